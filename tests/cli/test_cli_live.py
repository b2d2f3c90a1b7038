"""The command line in live mode against the in-process simulator over loopback (key from
the environment, --base-url): submit then wait, failures and retry, a 402 pause, re-download,
outcome-unknown and submit-again, cancel. Every test checks how many paid submits the server saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedance_desktop import cli
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_OK
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore


def make_job_store(home: Path) -> tuple[JobStore, Job]:
    """A store under ``home`` holding one job that Modellix has accepted."""
    paths = AppPaths.from_env(home).ensure()
    store = JobStore(paths.db_file)
    job = store.add(Job(request={"prompt": "a cat in [Video 1]", "duration": 4, "resolution": "480p"}))
    store.transition(job.id, JobState.SUBMITTING, "sending")
    store.transition(job.id, JobState.SUBMITTED, "accepted", task_id="task-xyz")
    return store, job


def list_json(home: Path) -> list[dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if k != "MODELLIX_API_KEY"}
    result = subprocess.run([sys.executable, "-m", "seedance_desktop.cli", "--home", str(home), "list", "--json"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def _live(tmp_path: Path, simulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    return ["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]


@pytest.mark.timeout(60)
def test_live_submit_then_wait_against_the_simulator(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Live mode (key from the environment, --base-url): submit returns once accepted; a later
    'wait' resumes the job from the store and downloads it."""
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    home = tmp_path / "home"
    common = ["--home", str(home), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]
    code = cli.main([*common, "submit", "--video", str(clip), "--prompt", "[Video 1] at night",
                     "--duration", "4", "--resolution", "480p", "--seed", "7"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    job_id = captured.out.strip()
    assert len(job_id) >= 12
    assert len(simulator.simulator.tasks()) == 1

    code = cli.main([*common, "wait", job_id[:10], "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    (job,) = json.loads(captured.out)
    assert job["state"] == "done" and Path(job["video_path"]).is_file()
    assert Path(job["video_path"]).parent == tmp_path / "out"
    assert simulator.simulator.request_counts()["submit"] == 1
    assert simulator.api_key not in captured.out + captured.err
    log_text = AppPaths.from_env(home).log_file.read_text(encoding="utf-8")
    assert "runtime ready: mode=live" in log_text
    assert simulator.api_key not in log_text
    sidecar = Path(job["video_path"]).with_suffix(".json").read_text(encoding="utf-8")
    assert simulator.api_key not in sidecar and "?" not in json.loads(sidecar)["request"]["video_urls"][0]
    # The same recipe with the same fixed seed again: said (core.duplicates), as the window asks.
    code = cli.main([*common, "submit", "--video", str(clip), "--prompt", "[Video 1] at night",
                     "--duration", "4", "--resolution", "480p", "--seed", "7"])
    captured = capsys.readouterr()
    assert code == EXIT_OK and f"seed 7 was already made: job {job_id[:8]}" in captured.err


@pytest.mark.timeout(60)
def test_failed_job_exits_1_with_reason_then_retry_succeeds(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.simulator.faults import Fault

    common = _live(tmp_path, simulator, monkeypatch)
    simulator.simulator.inject(Fault.parse("submit:fail_task,message=Face detected in the reference video"))
    code = cli.main([*common, "submit", "--wait", "--video", str(clip),
                     "--prompt", "[Video 1] at night", "--duration", "4", "--resolution", "480p"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_JOB_FAILED
    failed_id = captured.out.strip()
    assert "Face detected" in captured.err
    assert f"retry {failed_id[:12]}" in captured.err

    simulator.simulator.clear_faults()
    code = cli.main([*common, "retry", failed_id[:8], "--wait", "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    job = json.loads(captured.out)
    assert job["state"] == "done" and job["attempt_of"] == failed_id
    assert simulator.simulator.request_counts()["submit"] == 2


@pytest.mark.timeout(60)
def test_insufficient_balance_stops_waiting_with_exit_3(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.simulator.faults import Fault

    common = _live(tmp_path, simulator, monkeypatch)
    simulator.simulator.inject(Fault.parse("submit:status=402,times=-1"))
    code = cli.main([*common, "submit", "--wait", "--video", str(clip),
                     "--prompt", "[Video 1] at night", "--duration", "4", "--resolution", "480p"])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "balance" in err.lower() and "nothing was sent or charged" in err.lower()
    # The unsent job was cancelled, so running the command again cannot send it twice.
    assert cli.main([*common, "list", "--json"]) == EXIT_OK
    (job,) = json.loads(capsys.readouterr().out)
    assert job["state"] == "cancelled"
    assert simulator.simulator.tasks() == {}


@pytest.mark.timeout(60)
def test_download_fetches_a_deleted_video_again(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    code = cli.main([*common, "submit", "--wait", "--video", str(clip),
                     "--prompt", "[Video 1] at night", "--duration", "4", "--resolution", "480p"])
    video = Path(capsys.readouterr().out.strip())
    assert code == EXIT_OK and video.is_file()
    original = video.read_bytes()
    video.unlink()
    video.with_suffix(".json").unlink()
    job_id = str(list_json(tmp_path / "home")[0]["id"])
    store = JobStore(AppPaths.from_env(tmp_path / "home").db_file)
    waiting = store.add(Job(request={"prompt": "queued in the app", "video_urls": ["https://example.invalid/v.mp4"]},
                            position=store.next_position()))
    store.close()

    code = cli.main([*common, "download", job_id[:8]])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert Path(captured.out.strip()) == video
    assert video.read_bytes() == original
    assert video.with_suffix(".json").is_file()
    assert simulator.simulator.request_counts()["submit"] == 1  # the app's queued job was not sent
    store = JobStore(AppPaths.from_env(tmp_path / "home").db_file)
    assert store.get(waiting.id).state is JobState.QUEUED
    store.close()

    code = cli.main([*common, "download", job_id[:8]])  # already there: nothing fetched
    assert code == EXIT_OK
    assert "Already downloaded" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_outcome_unknown_is_never_resent_until_submit_again(tmp_path: Path, clip: Path, simulator,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.simulator.faults import Fault

    common = _live(tmp_path, simulator, monkeypatch)
    simulator.simulator.inject(Fault.parse("submit:drop"))  # the POST arrives, the answer never does
    code = cli.main([*common, "submit", "--wait", "--video", str(clip), "--prompt", "[Video 1] at night",
                     "--duration", "4", "--resolution", "480p"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_JOB_FAILED
    unknown_id = captured.out.strip()
    assert f"submit-again {unknown_id[:12]}" in captured.err
    assert simulator.simulator.request_counts()["submit"] == 1

    code = cli.main([*common, "wait", unknown_id[:8]])  # waiting again never re-sends it
    capsys.readouterr()
    assert code == cli.EXIT_JOB_FAILED
    assert simulator.simulator.request_counts()["submit"] == 1

    code = cli.main([*common, "submit-again", unknown_id[:8], "--wait", "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    job = json.loads(captured.out)
    assert job["state"] == "done" and job["attempt_of"] == unknown_id
    assert simulator.simulator.request_counts()["submit"] == 2


@pytest.mark.timeout(60)
def test_cancel_only_touches_unsent_jobs_and_sends_nothing(tmp_path: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    store, sent = make_job_store(tmp_path / "home")  # a submitted job
    queued = store.add(Job(request={"prompt": "later", "video_urls": ["https://example.invalid/v.mp4"]},
                           position=store.next_position()))
    store.close()
    code = cli.main([*common, "cancel", queued.id[:8], sent.id[:8]])
    captured = capsys.readouterr()
    assert code == EXIT_BAD_INPUT  # one of them could not be cancelled
    assert f"{queued.id}\tcancelled" in captured.out
    assert f"{sent.id}\tsubmitted" in captured.out
    assert "no way to cancel" in captured.err
    assert simulator.simulator.request_counts().get("submit", 0) == 0


@pytest.mark.timeout(60)
def test_wait_all_finishes_every_unfinished_job(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    for seed in ("1", "2"):
        assert cli.main([*common, "submit", "--quiet", "--video", str(clip), "--prompt", "[Video 1]",
                         "--duration", "4", "--resolution", "480p", "--seed", seed]) == EXIT_OK
    capsys.readouterr()
    assert cli.main([*common, "wait"]) == EXIT_BAD_INPUT  # neither ids nor --all
    capsys.readouterr()
    assert cli.main([*common, "wait", "--all", "--json"]) == EXIT_OK
    jobs = json.loads(capsys.readouterr().out)
    assert len(jobs) == 2 and {j["state"] for j in jobs} == {"done"}
    assert simulator.simulator.request_counts()["submit"] == 2


@pytest.mark.timeout(60)
def test_retry_of_a_cancelled_job_sends_it_once(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    store = JobStore(AppPaths.from_env(tmp_path / "home").ensure().db_file)
    queued = store.add(Job(request={"prompt": "[Video 1] later", "video_urls": [None], "duration": 4, "resolution": "480p"},
                           inputs=[InputFile("video_urls", 0, str(clip))]))
    store.close()
    assert cli.main([*common, "cancel", queued.id[:8]]) == EXIT_OK
    capsys.readouterr()
    assert cli.main([*common, "retry", queued.id[:8], "--wait", "--json"]) == EXIT_OK
    job = json.loads(capsys.readouterr().out)
    assert job["state"] == "done" and job["attempt_of"] == queued.id
    assert simulator.simulator.request_counts()["submit"] == 1
