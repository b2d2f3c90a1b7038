"""Issue 12 on the command line, live against the in-process simulator: ``batch FILE`` reports
bad lines by number and queues the rest only after confirmation; the budget caps hold a job
unless --ignore-budget."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop import cli
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_OK
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings, SettingsStore
from seedance_desktop.core.store import JobStore


def _live(tmp_path: Path, simulator: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    return ["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]


def _jsonl(tmp_path: Path, clip: Path) -> Path:
    lines = [
        {"prompt": "first [Video 1]", "video_urls": [str(clip)], "duration": 4, "resolution": "480p"},
        {"prompt": "bad ratio", "video_urls": [str(clip)], "ratio": "5:4"},
        {"model": "bytedance/seedance-2.0-v2v", "prompt": "second [Video 1]", "video_urls": [str(clip)],
         "duration": 4, "resolution": "480p"},
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.timeout(90)
def test_a_jsonl_file_with_one_bad_line_reports_it_and_queues_the_rest_only_after_confirmation(
        tmp_path: Path, clip: Path, simulator: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    path = _jsonl(tmp_path, clip)
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    monkeypatch.setattr(builtins, "input", lambda prompt: asked.append(prompt) or "n")
    assert cli.main([*common, "batch", str(path)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "line 2:" in err and "ratio" in err and "about $0.676 in all (estimate)" in err  # 0.276 + 0.40
    assert asked and simulator.simulator.request_counts().get("submit", 0) == 0
    assert "Nothing was queued" in err

    monkeypatch.setattr(builtins, "input", lambda prompt: asked.append(prompt) or "y")
    code = cli.main([*common, "batch", str(path), "--wait"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert len(asked) == 2 and simulator.simulator.request_counts()["submit"] == 2
    with JobStore(AppPaths.from_env(tmp_path / "home").db_file) as store:
        jobs = store.list()
    assert len(jobs) == 2 and len({j.group_id for j in jobs}) == 1 and jobs[0].group_id
    assert {j.model for j in jobs} == {"bytedance/seedance-2.0-fast-v2v", "bytedance/seedance-2.0-v2v"}


def test_batch_without_a_terminal_needs_yes(tmp_path: Path, clip: Path, simulator: Any,
                                           capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main([*common, "batch", str(_jsonl(tmp_path, clip))]) == EXIT_BAD_INPUT
    assert "--yes" in capsys.readouterr().err
    assert simulator.simulator.request_counts().get("submit", 0) == 0


@pytest.mark.timeout(90)
def test_the_cli_honours_the_budget_cap_unless_told_to_ignore_it(
        tmp_path: Path, clip: Path, simulator: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    SettingsStore(paths.settings_file).save(Settings(daily_cap=0.1))
    submit = ["submit", "--video", str(clip), "--prompt", "[Video 1] capped", "--duration", "4", "--resolution", "480p"]
    assert cli.main([*common, *submit]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "daily cap is $0.10" in err and "--ignore-budget" in err
    assert simulator.simulator.request_counts().get("submit", 0) == 0
    assert cli.main([*common, "--ignore-budget", *submit]) == EXIT_OK
    assert simulator.simulator.request_counts()["submit"] == 1


@pytest.mark.timeout(90)
def test_wait_does_not_send_a_job_the_budget_holds_but_send_does(
        tmp_path: Path, clip: Path, simulator: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.core.job import InputFile, Job, JobState
    from seedance_desktop.core.spend_guard import BUDGET_HOLD_PREFIX

    common = _live(tmp_path, simulator, monkeypatch)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    SettingsStore(paths.settings_file).save(Settings(daily_cap=0.1))
    reason = f"{BUDGET_HOLD_PREFIX} this job would cost about $0.28 (estimate); the daily cap is $0.10."
    with JobStore(paths.db_file) as store:
        job = store.add(Job(model="bytedance/seedance-2.0-fast-v2v", held=reason,
                            request={"prompt": "[Video 1] held", "video_urls": [None], "duration": 4, "resolution": "480p"},
                            inputs=[InputFile("video_urls", 0, str(clip))]))
    assert cli.main([*common, "wait", job.id[:10]]) == EXIT_CONFIG
    assert "send" in capsys.readouterr().err and simulator.simulator.request_counts().get("submit", 0) == 0
    assert cli.main([*common, "send", job.id[:10]]) == EXIT_OK, capsys.readouterr().err
    assert simulator.simulator.request_counts()["submit"] == 1
    with JobStore(paths.db_file) as store:
        assert store.get(job.id).state is JobState.DONE and store.get(job.id).budget_override


def test_a_batch_that_would_cross_a_cap_is_not_queued_without_ignore_budget(
        tmp_path: Path, clip: Path, simulator: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    common = _live(tmp_path, simulator, monkeypatch)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    SettingsStore(paths.settings_file).save(Settings(monthly_cap=0.5))
    assert cli.main([*common, "batch", str(_jsonl(tmp_path, clip)), "--yes"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "this batch would cost about $0.676" in err and "monthly cap is $0.50" in err and "Nothing was queued" in err
    with JobStore(paths.db_file) as store:
        assert store.count() == 0
