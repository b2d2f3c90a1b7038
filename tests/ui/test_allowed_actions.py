"""One table, three faces: for every job state, the queue panel's enabled actions, the CLI's
accepted commands and the engine's accepted calls are the same set (``core.engine.allowed``).

Each face is exercised for real: the panel over the real queue model, the engine's own methods
(a refusal is an ``EngineError``), and the CLI's ``main()`` in live mode against the loopback
simulator (a refusal is the table's message on stderr). Jobs that had a task point at one real,
succeeded task on the simulator, so an accepted "download again" really downloads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedance_desktop import cli
from seedance_desktop.core.engine import Action, Engine, EngineError
from seedance_desktop.core.engine.allowed import allowed_actions, refusal_message
from seedance_desktop.core.engine.owner import HELD_REASON
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore
from seedance_desktop.ui.queue.queue_model import QueueModel
from seedance_desktop.ui.queue.queue_panel import PANEL_ACTIONS, QueuePanel

MODEL = "bytedance/seedance-2.0-fast-v2v"
S = JobState
SENT = [S.SUBMITTING, S.SUBMITTED]
#: variant -> (transitions after QUEUED, whether the video file exists, whether the task succeeded)
VARIANTS: dict[str, tuple[list[JobState], bool, bool]] = {
    "queued": ([], False, False),
    # queued by a command that died before sending it (``Job.held``): only 'send' sends it
    "held": ([], False, False),
    "preparing": ([S.PREPARING], False, False),
    "uploading": ([S.UPLOADING], False, False),
    "submitting": ([S.SUBMITTING], False, False),
    "submitted": (SENT, False, False),
    "processing": ([*SENT, S.PROCESSING], False, False),
    "downloading": ([*SENT, S.DOWNLOADING], False, True),
    "done, file gone": ([*SENT, S.DOWNLOADING, S.DONE], False, True),
    "done, file there": ([*SENT, S.DOWNLOADING, S.DONE], True, True),
    "failed before sending": ([S.FAILED], False, False),
    "failed by the server": ([*SENT, S.FAILED], False, False),
    "failed after success": ([*SENT, S.DOWNLOADING, S.FAILED], False, True),
    "outcome unknown": ([S.SUBMITTING, S.OUTCOME_UNKNOWN], False, False),
    "expired": ([*SENT, S.DOWNLOADING, S.EXPIRED], False, True),
    "cancelled": ([S.CANCELLED], False, False),
}
#: The CLI's commands on one job, and the action each one is.
CLI_COMMANDS: dict[Action, list[str]] = {
    Action.CANCEL: ["cancel"],
    Action.RETRY: ["retry"],
    Action.SUBMIT_AGAIN: ["submit-again"],
    Action.REDOWNLOAD: ["download"],
    Action.SEND: ["send"],
}


def test_every_state_is_covered() -> None:
    assert {transitions[-1] if transitions else S.QUEUED for transitions, _, _ in VARIANTS.values()} == set(JobState)


def _succeeded_task(base_url: str, api_key: str, clip: Path) -> tuple[str, str]:
    """(task id, hosted input URL) of one real task that succeeded on the simulator."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http, clip.open("rb") as handle:
        hosted = http.post("/api/v1/media/files", files={"file": ("clip.mp4", handle, "video/mp4")}).json()["data"]["url"]
        body = {"prompt": "[Video 1] in rain", "video_urls": [hosted], "duration": 4, "resolution": "480p"}
        task_id = http.post(f"/api/v1/{MODEL}", json=body).json()["data"]["task_id"]
        deadline = time.monotonic() + 30
        while http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] != "success":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    return task_id, hosted


def _make(store: JobStore, variant: str, folder: Path, task_id: str, hosted: str) -> Job:
    transitions, file_there, succeeded = VARIANTS[variant]
    request = {"prompt": "[Video 1] at dusk", "video_urls": [hosted], "duration": 4, "resolution": "480p",
               "ratio": "16:9"}
    job = store.add(Job(model=MODEL, request=request, position=store.next_position(),
                        inputs=[InputFile("video_urls", 0, str(folder / "clip.mp4"), uploaded_url=hosted)]))
    video = folder / "out" / f"{variant}.mp4"
    for state in transitions:
        fields: dict[str, Any] = {}
        if state is S.SUBMITTED:
            fields["task_id"] = task_id
        if state is S.DOWNLOADING and succeeded:
            fields.update(remote_video_url="https://file.example/result.mp4", video_path=str(video))
        job = store.transition(job.id, state, "test", **fields)
    if variant == "held":
        job = store.transition(job.id, S.QUEUED, HELD_REASON, held=HELD_REASON, queued_by="cli:999999999:1")
    if file_there:
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(b"\0\0\0\x18ftypmp42")
    return job


def _engine_accepts(tmp: Path, variant: str, task_id: str, hosted: str) -> set[Action]:
    accepted: set[Action] = set()
    calls: dict[Action, Callable[[Engine, Job], object]] = {
        Action.CANCEL: lambda e, j: e.cancel(j.id),
        Action.EDIT: lambda e, j: e.edit(j.id, j.request, j.inputs),
        Action.MOVE: lambda e, j: e.move(j.id, -1.0),
        Action.REMOVE: lambda e, j: e.remove(j.id),
        Action.RETRY: lambda e, j: e.retry(j.id),
        Action.SUBMIT_AGAIN: lambda e, j: e.submit_again(j.id),
        Action.RERUN: lambda e, j: e.rerun_with_new_seed(j.id),
        Action.DUPLICATE: lambda e, j: e.recipe(j.id),
        Action.REDOWNLOAD: lambda e, j: e.redownload(j.id),
        Action.SEND: lambda e, j: e.send(j.id),
    }
    assert set(calls) == set(Action)
    for action, call in calls.items():
        folder = tmp / "engine" / action.value
        folder.mkdir(parents=True)
        store = JobStore(folder / "jobs.sqlite3")
        try:
            job = _make(store, variant, folder, task_id, hosted)
            engine = Engine(store, None, output_dir=folder / "out")  # never started: nothing is sent
            try:
                call(engine, job)
            except EngineError as refusal:
                assert refusal.user_message == refusal_message(job, action)
            else:
                accepted.add(action)
        finally:
            store.close()
    return accepted


def _panel_enables(qtbot: Any, tmp: Path, variant: str, task_id: str, hosted: str) -> set[Action]:
    folder = tmp / "panel"
    folder.mkdir()
    store = JobStore(folder / "jobs.sqlite3")
    try:
        job = _make(store, variant, folder, task_id, hosted)
        model = QueueModel(store, lookup=store.find)
        panel = QueuePanel(model)
        qtbot.addWidget(panel)
        qtbot.waitUntil(lambda: model.rowCount() == 1)
        assert panel.select_job(job.id)
        return {action for name, action in PANEL_ACTIONS.items() if panel.job_actions[name].isEnabled()}
    finally:
        store.close()


def _cli_accepts(tmp: Path, variant: str, task_id: str, hosted: str, simulator: Any,
                 capsys: pytest.CaptureFixture[str]) -> set[Action]:
    accepted: set[Action] = set()
    for action, command in CLI_COMMANDS.items():
        home = tmp / "cli" / action.value
        store = JobStore(AppPaths.from_env(home).ensure().db_file)
        try:
            job = _make(store, variant, home, task_id, hosted)
        finally:
            store.close()
        capsys.readouterr()
        code = cli.main(["--home", str(home), "--base-url", simulator.base_url, "--output-dir", str(home / "out"),
                         *command, job.id])
        err = capsys.readouterr().err
        refused = refusal_message(job, action) in err
        assert refused or code in (0, 1), err  # accepted: it ran (a job may still end badly)
        if not refused:
            accepted.add(action)
    return accepted


@pytest.mark.timeout(240)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_panel_cli_and_engine_accept_the_same_actions(variant: str, qtbot: Any, tmp_path: Path, simulator: Any,
                                                      clip: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    task_id, hosted = _succeeded_task(simulator.base_url, simulator.api_key, clip)
    probe_store = JobStore(tmp_path / "probe.sqlite3")
    expected = set(allowed_actions(_make(probe_store, variant, tmp_path, task_id, hosted)))
    probe_store.close()

    engine = _engine_accepts(tmp_path, variant, task_id, hosted)
    panel = _panel_enables(qtbot, tmp_path, variant, task_id, hosted)
    cli_accepted = _cli_accepts(tmp_path, variant, task_id, hosted, simulator, capsys)

    assert engine == expected
    assert panel == expected & set(PANEL_ACTIONS.values())
    assert cli_accepted == expected & set(CLI_COMMANDS)
