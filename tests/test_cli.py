"""The command line: parsing and friendly validation (exit 2 naming the option), the missing-key
error (exit 3), list/show output, no Qt on the CLI path, and the whole demo flow end to end in a
child process (simulator child on loopback, real upload/submit/poll/download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from seedance_desktop import cli
from seedance_desktop.cli_parser import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_OK, build_parser
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore


#: Runs the CLI like its console script does, then fails (exit 99) if anything imported Qt.
_NO_QT_MAIN = (
    "import sys\n"
    "from seedance_desktop.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
    "if qt:\n"
    "    print('Qt was imported: ' + ', '.join(qt), file=sys.stderr)\n"
    "    sys.exit(99)\n"
    "sys.exit(code)\n"
)


def run_cli(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with no display and no key (unless ``env`` sets one)."""
    drop = ("MODELLIX_API_KEY", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", _NO_QT_MAIN, "--home", str(home), *args],
        capture_output=True, text=True, timeout=timeout, env=full_env,
    )


def make_job_store(home: Path) -> tuple[JobStore, Job]:
    paths = AppPaths.from_env(home).ensure()
    store = JobStore(paths.db_file)
    job = store.add(Job(request={"prompt": "a cat in [Video 1]", "duration": 4, "resolution": "480p"}))
    store.transition(job.id, JobState.SUBMITTING, "sending")
    store.transition(job.id, JobState.SUBMITTED, "accepted", task_id="task-xyz",
                     result_url="https://api.example/api/v1/tasks/task-xyz?sig=SECRET")
    return store, job


# ----------------------------------------------------------------------------- parsing


def test_global_options_work_before_and_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--demo", "--json", "list"])
    after = parser.parse_args(["list", "--demo", "--json"])
    assert before.demo and before.json and after.demo and after.json
    neither = parser.parse_args(["list"])
    assert not neither.demo and not neither.json
    sub = parser.parse_args(["submit", "--no-generate-audio", "--camera-fixed", "--video", "a", "--video", "b"])
    assert sub.generate_audio is False and sub.camera_fixed is True and sub.video == ["a", "b"]


def test_help_documents_exit_codes_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["submit", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for needle in ("exit codes:", "--no-generate-audio", "--expires-after", "--reference-image", "examples:", "--wait"):
        assert needle in text


@pytest.mark.timeout(30)
def test_bad_input_exits_2_and_names_each_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main([
        "--home", str(tmp_path), "submit", "--demo", "--prompt", "x",
        "--video", "https://example.com/a.mp4", "--duration", "99", "--resolution", "1080p",
        "--first-frame", "https://example.com/f.png", "--reference-image", str(tmp_path / "missing.png"),
    ])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--duration:" in err and "4 to 15" in err
    assert "--resolution:" in err and "1080p" in err
    assert "--reference-image" in err and "no such file" in err
    assert "not both" in err


def test_argparse_type_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--home", str(tmp_path), "submit", "--duration", "five"])
    assert info.value.code == 2
    assert "--duration" in capsys.readouterr().err


def test_no_key_and_no_demo_explains_how_to_set_one(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    code = cli.main(["--home", str(tmp_path), "submit", "--prompt", "x", "--video", "https://example.com/a.mp4"])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "MODELLIX_API_KEY" in err and "--demo" in err and "keyring" in err


# --------------------------------------------------------------------------- list/show


def test_list_and_show_json_parse_and_hide_signed_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, job = make_job_store(tmp_path)
    store.close()
    assert cli.main(["--home", str(tmp_path), "list", "--json"]) == EXIT_OK
    listed = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in listed] == [job.id]
    assert listed[0]["state"] == "submitted" and listed[0]["task_id"] == "task-xyz"

    assert cli.main(["--home", str(tmp_path), "show", job.id[:6], "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    shown = json.loads(out)
    assert shown["id"] == job.id
    assert [h["to"] for h in shown["history"]] == ["queued", "submitting", "submitted"]
    assert "SECRET" not in out

    assert cli.main(["--home", str(tmp_path), "show", job.id[:6]]) == EXIT_OK
    text = capsys.readouterr().out
    assert "task-xyz" in text and "accepted" in text and f"wait {job.id[:12]}" in text

    assert cli.main(["--home", str(tmp_path), "list"]) == EXIT_OK
    assert job.id[:12] in capsys.readouterr().out


def test_demo_list_does_not_show_paid_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = make_job_store(tmp_path)
    store.close()
    assert cli.main(["--home", str(tmp_path), "--demo", "list", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []


def test_unknown_job_id_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--home", str(tmp_path), "show", "ffff"]) == EXIT_BAD_INPUT
    assert "no job 'ffff'" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_cli_path_never_imports_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from seedance_desktop import cli, composition\n"
        "import seedance_desktop.cli_submit, seedance_desktop.cli_output\n"
        f"rc = cli.main(['--home', {str(tmp_path)!r}, 'list'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "assert rc == 0 and not bad, (rc, bad)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------- end to end


def _simulator_pids(log_file: Path) -> list[int]:
    pids = []
    for line in log_file.read_text(encoding="utf-8").splitlines():
        if "demo simulator started: pid=" in line:
            pids.append(int(line.split("pid=")[1].split()[0]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent, the CLI, has exited; init reaps it).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(60)
def test_demo_submit_wait_makes_a_playable_mp4_and_sidecar(tmp_path: Path, clip: Path) -> None:
    pytest.importorskip("seedance_desktop.core.scheduler")
    home = tmp_path / "home"
    started = time.monotonic()
    result = run_cli(
        "submit", "--demo", "--wait", "--json", "--video", str(clip),
        "--prompt", "[Video 1] as a watercolour", "--duration", "4", "--resolution", "480p",
        home=home, env={"SEEDANCE_DEMO_TIME_SCALE": "60"},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "done"
    video = Path(job["video_path"])
    assert video.is_file() and video.suffix == ".mp4"
    assert video.is_relative_to(home)  # --home keeps outputs away from the real Videos folder
    sidecar = video.with_suffix(".json")
    recipe = json.loads(sidecar.read_text(encoding="utf-8"))
    assert recipe["model"] == "bytedance/seedance-2.0-fast-v2v"
    assert recipe["request"]["duration"] == 4 and recipe["request"]["resolution"] == "480p"
    assert recipe["task_id"] == job["task_id"]
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(container.duration / av.time_base) if container.duration else frames / float(stream.average_rate)
    assert frames > 0
    assert abs(duration - 4.0) < 0.6
    # Progress went to stderr, the result alone to stdout.
    assert "Done" in result.stderr or "done" in result.stderr
    pids = _simulator_pids(AppPaths.from_env(home).log_file)
    assert len(pids) == 1
    deadline = time.monotonic() + 5
    while _alive(pids[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids[0]), "the demo simulator child outlived the CLI"
    assert elapsed < 20, f"demo flow took {elapsed:.1f} s"

    # The demo job is in the demo store only, and list/show read it.
    listed = run_cli("--demo", "list", "--json", home=home)
    assert [j["id"] for j in json.loads(listed.stdout)] == [job["id"]]
    assert json.loads(run_cli("list", "--json", home=home).stdout) == []


@pytest.mark.timeout(60)
def test_live_submit_then_wait_against_the_simulator(tmp_path: Path, clip: Path, simulator, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Live mode (key from the environment, --base-url): submit returns once accepted; a later
    'wait' resumes the job from the store and downloads it."""
    pytest.importorskip("seedance_desktop.core.scheduler")
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


def test_recipe_fills_options_and_explicit_options_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.core.outputs import write_sidecar

    job = Job(request={"prompt": "[Video 1] in snow", "video_urls": ["https://example.com/v.mp4?sig=abc"],
                       "duration": 6, "resolution": "480p"})
    sidecar = write_sidecar(tmp_path / "old.mp4", job)
    code = cli.main(["--home", str(tmp_path), "submit", "--demo", "--recipe", str(sidecar), "--duration", "99"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--duration:" in err
    assert "--prompt" not in err and "--video" not in err  # both came from the recipe

    code = cli.main(["--home", str(tmp_path), "submit", "--demo", "--recipe", str(tmp_path / "nope.json")])
    assert code == EXIT_BAD_INPUT
    assert "--recipe:" in capsys.readouterr().err


def _live(tmp_path: Path, simulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    return ["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]


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
    job_id = json.loads(run_cli("list", "--json", home=tmp_path / "home").stdout)[0]["id"]
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


# ------------------------------------------------------------------------- local media


def _submit_args(*extra: str) -> object:
    return build_parser().parse_args(["submit", "--prompt", "[Video 1] at dusk", *extra])


@pytest.mark.timeout(60)
def test_local_video_breaking_a_fixable_limit_is_conformed_before_upload(tmp_path: Path) -> None:
    from seedance_desktop.cli_submit import prepare_request
    from seedance_desktop.media.probe import check_reference_video, probe
    from seedance_desktop.media.synth import make_clip

    small = make_clip(tmp_path / "small.mp4", duration=2.5, width=320, height=240, fps=24, audio=False)
    assert check_reference_video(probe(small))  # too few pixels as it is
    notes: list[str] = []
    prepared = prepare_request(_submit_args("--video", str(small)), tmp_path / "conformed", say=notes.append)
    (item,) = prepared.inputs
    conformed = Path(item.local_path)
    assert conformed.parent == tmp_path / "conformed" and conformed.is_file()
    assert check_reference_video(probe(conformed)) == []
    assert prepared.request["video_urls"] == [None]  # filled with the uploaded URL by the engine
    assert any("conformed" in n for n in prepared.notes)


def test_unfixable_local_media_exits_2_naming_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.media.synth import make_clip

    short = make_clip(tmp_path / "short.mp4", duration=1.0, audio=False)
    not_media = tmp_path / "notes.txt"
    not_media.write_text("hello")
    code = cli.main(["--home", str(tmp_path / "home"), "--demo", "submit", "--prompt", "x",
                     "--video", str(short), "--reference-image", str(not_media)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--video:" in err and "at least 2 s" in err
    assert "--reference-image" in err and "notes.txt" in err


# ---------------------------------------------------------------------- interruption


@pytest.mark.timeout(60)
def test_sigterm_while_waiting_stops_cleanly_and_kills_the_simulator(tmp_path: Path, clip: Path) -> None:
    import signal

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "MODELLIX_API_KEY"}
    env["SEEDANCE_DEMO_TIME_SCALE"] = "1"  # a real-time job: it is still processing when we stop
    process = subprocess.Popen(
        [sys.executable, "-m", "seedance_desktop.cli", "--home", str(home), "submit", "--demo", "--wait",
         "--video", str(clip), "--prompt", "[Video 1] slowly", "--duration", "4", "--resolution", "480p"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert process.stderr is not None
    seen = ""
    try:
        for line in process.stderr:
            seen += line
            if "Submitted" in line or "Processing" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == cli.EXIT_INTERRUPTED, seen + rest
    assert "retry" in rest  # tells what to do next (a demo job dies with its simulator)
    (pid,) = _simulator_pids(AppPaths.from_env(home).log_file)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    demo_db = AppPaths.from_env(home).data_dir / "demo" / "jobs.sqlite3"
    store = JobStore(demo_db)
    try:
        (job,) = store.list()
        assert job.task_id and job.state in (JobState.SUBMITTED, JobState.PROCESSING)  # never lost mid-way
    finally:
        store.close()


def test_python_m_seedance_desktop_cli_delegates_without_qt(tmp_path: Path) -> None:
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['seedance_desktop', 'cli', '--home', {str(tmp_path)!r}, 'list', '--json']\n"
        "try:\n"
        "    runpy.run_module('seedance_desktop', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_frozen_entry_script_dispatches_the_simulator_and_the_cli() -> None:
    """A frozen build has no ``python -m``: its entry script must route ``-m
    seedance_desktop.simulator`` (how demo mode starts its child) to the simulator."""
    entry = Path(__file__).resolve().parents[1] / "packaging" / "entry_cli.py"
    sim = subprocess.run([sys.executable, str(entry), "-m", "seedance_desktop.simulator", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert sim.returncode == 0 and "--time-scale" in sim.stdout
    own = subprocess.run([sys.executable, str(entry), "--help"], capture_output=True, text=True, timeout=60)
    assert own.returncode == 0 and "exit codes:" in own.stdout
    spec = Path(__file__).resolve().parents[1] / "packaging" / "seedance-desktop.spec"
    compile(spec.read_text(encoding="utf-8"), str(spec), "exec")  # at least valid Python


def test_cost_note_is_labelled_as_an_estimate() -> None:
    from seedance_desktop.cli_output import cost_note
    from seedance_desktop.core.settings import Settings

    live = cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {"duration": 4, "resolution": "480p"}, demo=False)
    assert "$0.28" in live and "Estimated" in live
    default = cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {}, demo=False)  # server defaults: 720p, 5 s
    assert "$0.69" in default
    custom = Settings(prices={"bytedance/seedance-2.0-fast-v2v": {"480p": 0.1, "720p": 0.2}})
    assert "$0.40" in cost_note(custom, "bytedance/seedance-2.0-fast-v2v", {"duration": 4, "resolution": "480p"}, demo=False)
    assert "nothing" in cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {}, demo=True).lower()


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


def test_prompt_placeholder_without_an_input_is_a_warning() -> None:
    from seedance_desktop.cli_submit import placeholder_notes

    assert placeholder_notes({"prompt": "[Video 1] meets [Video 2]", "video_urls": ["https://a.example/v.mp4"]}) == [
        "warning: --prompt mentions [Video 2], but there is no such input (inputs are numbered 1, 2, 3 in the order given)"
    ]
    assert placeholder_notes({"prompt": "[Video 1] with [Image 1]", "video_urls": ["u"], "first_frame_image": "i"}) == []
