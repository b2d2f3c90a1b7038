"""Live mode with a key the server rejects: the window says so where the user looks (an error
banner with a button to Settings, "Paused - API key rejected" in the status bar, the mode is
no longer "Starting…"), queued jobs wait instead of being sent, and saving a good key in
Settings lifts it all and the job runs."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.core.job import InputFile, JobState
from seedance_desktop.core.paths import AppPaths
from tests.ui.live_app import QT_NOISE, SessionSecrets, until, live_runtime_builder

MODEL = "bytedance/seedance-2.0-fast-v2v"


@QT_NOISE
@pytest.mark.timeout(90)
def test_rejected_key_is_shown_with_settings_and_a_good_key_lifts_it(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.ui import app as appmod
    from seedance_desktop.ui.settings_dialog import KeyChange

    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    builder = live_runtime_builder(simulator.base_url, tmp_path / "out", calls)

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder)
    qtbot.addWidget(desktop.window)
    secrets = SessionSecrets("sk-not-the-simulators-key")
    desktop._secrets = secrets
    win = desktop.window
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        await until(lambda: win.problem_banner.isVisibleTo(win), 20, "the problem banner")
        result["demo_banner"] = win.banner.isVisibleTo(win)
        result["banner_text"] = win.problem_banner.label.text()
        result["settings_button"] = win.problem_banner.settings_button.isVisibleTo(win)
        result["status"] = win.pause_label.text() if win.pause_label.isVisibleTo(win) else ""
        result["mode"] = win.mode_label.text()
        result["action"] = win.pause_action.text().replace("&", "")
        result["button"] = desktop.panel.pause_button.text()
        # A job submitted now waits with the reason in sight (not sent with a rejected key).
        desktop.controller.submit(MODEL, {"prompt": "[Video 1] as ink", "duration": 4, "resolution": "480p"},
                                  [InputFile("video_urls", 0, str(clip))])
        store = desktop.runtime.store
        await until(lambda: len(store.list()) == 1, 10, "the job in the store")
        job_id = store.list()[0].id
        result["queued_state"] = store.get(job_id).state
        result["submits_while_rejected"] = simulator.simulator.request_counts().get("submit", 0)
        # The banner's button opens Settings.
        win.problem_banner.settings_button.click()
        await until(lambda: desktop._dialog is not None and desktop._dialog.isVisible(), 20, "the Settings dialog")
        desktop._dialog.reject()
        # A good key saved in Settings: the runtime restarts with it; the banner goes; the job runs.
        desktop.ready.clear()
        desktop.apply_settings(secrets, desktop.settings, KeyChange("set", simulator.api_key, "session"))
        await asyncio.wait_for(desktop.ready.wait(), 30)
        await until(lambda: win.mode_label.text().startswith("Account · $"), 20, "the balance")
        result["folders"] = dict(win.data_folders)  # Help > Where is my data, for this session
        result["banner_after"] = win.problem_banner.isVisibleTo(win)
        result["status_after"] = win.pause_label.isVisibleTo(win)
        new_store = desktop.runtime.store
        await until(lambda: new_store.get(job_id).state.is_final, 60, "the job to finish")
        result["final"] = new_store.get(job_id).state
        win.close()
        await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert calls[0]["demo"] is False and calls[0]["api_key"] == "sk-not-the-simulators-key"  # live mode
    assert result["demo_banner"] is False
    assert "rejected the API key" in result["banner_text"] and "Settings" in result["banner_text"]
    assert result["settings_button"] is True
    assert result["status"] == "Paused - API key rejected"
    assert result["mode"] == "Account · key rejected"  # not "Starting…" forever
    assert result["action"] == result["button"] == "Resume queue"
    assert result["queued_state"] is JobState.QUEUED and result["submits_while_rejected"] == 0
    assert result["banner_after"] is False and result["status_after"] is False
    assert result["final"] is JobState.DONE
    assert result["folders"] == {"Data (job list)": paths.data_dir, "Settings": paths.config_dir,
                                 "Cache": paths.cache_dir, "Logs": paths.log_dir, "Videos": tmp_path / "out"}


@QT_NOISE
@pytest.mark.timeout(90)
def test_empty_balance_pauses_with_the_reason_and_resume_in_the_banner(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator_factory: Any, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 402 on submit: the same banner (error style) says why, offers Resume (not Settings),
    and the status bar says "Paused - insufficient balance"; Resume lifts it everywhere."""
    from seedance_desktop.ui import app as appmod

    poor = simulator_factory(balance=0.05)
    monkeypatch.setenv("MODELLIX_API_KEY", poor.api_key)
    paths = AppPaths.from_env(tmp_path / "home").ensure()

    builder = live_runtime_builder(poor.base_url, tmp_path / "out")

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder)
    qtbot.addWidget(desktop.window)
    win = desktop.window
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        await until(lambda: win.mode_label.text().startswith("Account · $"), 20, "the balance")
        desktop.controller.submit(MODEL, {"prompt": "[Video 1] as ink", "duration": 4, "resolution": "480p"},
                                  [InputFile("video_urls", 0, str(clip))])
        await until(lambda: win.problem_banner.isVisibleTo(win), 60, "the problem banner")
        result["text"] = win.problem_banner.label.text()
        result["buttons"] = (win.problem_banner.settings_button.isVisibleTo(win),
                             win.problem_banner.resume_button.isVisibleTo(win))
        result["status"] = win.pause_label.text()
        win.problem_banner.resume_button.click()
        result["after_resume"] = (win.problem_banner.isVisibleTo(win), win.pause_label.isVisibleTo(win),
                                  desktop.panel.pause_button.text())
        desktop.controller.pause()  # so the resumed queue does not try again while we close
        win.quit_now()
        await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert "insufficient balance" in result["text"] and "resume the queue" in result["text"]
    assert result["buttons"] == (False, True)
    assert result["status"] == "Paused - insufficient balance"
    assert result["after_resume"] == (False, False, "Pause queue")
