"""The main window composes the parts, wires them to the controller and remembers its layout."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QKeySequence

from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.ui.controller import Controller
from seedance_desktop.ui.main_window import MainWindow, decode_state, encode_state
from seedance_desktop.ui.player import Player
from seedance_desktop.ui.queue.queue_model import QueueModel
from seedance_desktop.ui.queue.queue_panel import QueuePanel
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.store import JobStore
from tests.ui.live_app import QT_NOISE, SessionSecrets

# Applied per test: tests/ui/conftest.py adds an item-level qt_log_ignore that would shadow
# a module-level one (pytest-qt reads only the closest marker).


class FakeTray:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, message: str, *args: Any) -> None:
        self.messages.append((title, message))


@pytest.fixture
def window(qtbot: Any, loop: Any, tmp_path: Any) -> Any:
    # Built lazily inside each test: Qt's multimedia start-up noise (no PulseAudio here) is only
    # matched by qt_log_ignore during the test call, not during fixture set-up.
    built: list[Any] = []
    yield SimpleNamespace(build=lambda: built.append(_build(qtbot, tmp_path)) or built[-1])
    for w in built:
        w.store.close()


def _build(qtbot: Any, tmp_path: Any) -> Any:
    from seedance_desktop.ui.notifications import Notifier
    from seedance_desktop.ui.form.request_form import RequestForm

    # The real store and engine; with no client (no key) the engine sends nothing.
    store = JobStore(tmp_path / "jobs.sqlite3")
    engine = Engine(store, None, output_dir=tmp_path / "out")
    controller = Controller(store, engine, demo=True)
    model = QueueModel(store, lookup=controller.job)
    form = RequestForm()
    settings = SimpleNamespace(window_geometry="", window_state="", splitter_state="", notify_on_completion=True)
    tray = FakeTray()
    win = MainWindow(settings=settings)
    assert win.submit_action.isEnabled() is False  # the frame exists before the parts
    win.install(controller, form, QueuePanel(model), Player())
    win.notifier = Notifier(win, tray=tray)
    qtbot.addWidget(win)
    return SimpleNamespace(win=win, controller=controller, engine=engine, store=store, model=model,
                           form=form, settings=settings, tray=tray)


@QT_NOISE
def test_submit_from_form_adds_a_row_and_status_shows_counts(qtbot: Any, window: Any) -> None:
    w = window.build()
    w.win.show()
    qtbot.waitSignal(w.win.first_painted, timeout=3000)
    w.form.submit_requested.emit("bytedance/seedance-2.0-fast-v2v", {"prompt": "a fox", "duration": 5}, [])
    assert w.model.rowCount() == 1
    qtbot.waitUntil(lambda: "Queued 1" in w.win.counts_label.text(), timeout=3000)
    w.controller.mode_changed.emit("Account · $12.34")
    assert w.win.mode_label.text() == "Account · $12.34"


@QT_NOISE
def test_demo_banner_and_shortcuts(window: Any) -> None:
    w = window.build()
    assert w.win.banner.isHidden()
    w.win.set_demo(True)
    assert not w.win.banner.isHidden()
    assert w.model.demo  # the Cost column says nothing is billed
    assert "Demo mode: outputs are simulated" in w.win.banner.label.text()
    assert w.win.add_file_action.shortcut() == QKeySequence("Ctrl+O")
    assert w.win.settings_action.shortcut() == QKeySequence("Ctrl+,")
    assert w.win.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert QKeySequence("Ctrl+Return") in w.win.submit_action.shortcuts()
    assert w.win.submit_action is w.form.submit_action  # the form's own, enabled by its validity
    assert w.win.splitter.widget(0) is w.form and w.win.right.widget(1) is w.win.job_tabs
    assert w.win.job_tabs.widget(0) is w.win.player and w.win.job_tabs.widget(1) is w.win.panel.details


@QT_NOISE
def test_duplicate_fills_the_form_and_pause_updates_panel(qtbot: Any, window: Any, tmp_path: Any) -> None:
    w = window.build()
    w.store.add(Job(id="a", request={"prompt": "again [Video 1]", "duration": 6, "resolution": "480p"},
                    inputs=[InputFile("video_urls", 0, str(tmp_path / "v.mp4"))]))
    w.store.transition("a", JobState.FAILED, "test")
    w.model.reload()
    w.panel = w.win.panel
    assert w.panel.select_job("a")
    w.panel.job_actions["duplicate"].trigger()
    model, request, inputs = w.form.recipe()
    assert request["prompt"] == "again [Video 1]" and request["duration"] == 6
    assert [i.local_path for i in inputs] == [str(tmp_path / "v.mp4")]
    w.panel.pause_button.click()
    assert w.engine.paused


@QT_NOISE
def test_pause_is_shown_the_same_everywhere_from_the_engine(qtbot: Any, window: Any) -> None:
    """One source (the engine's pause gate): toolbar action, panel button, status bar, banner."""
    from seedance_desktop.api.errors import AuthenticationError

    w = window.build()
    win, panel = w.win, w.win.panel

    def shown() -> tuple[str, str, str, bool]:
        return (win.pause_action.text().replace("&", ""), panel.pause_button.text(),
                win.pause_label.text() if win.pause_label.isVisibleTo(win) else "",
                win.problem_banner.isVisibleTo(win))

    assert shown() == ("Pause queue", "Pause queue", "", False)
    panel.pause_button.click()  # the panel's button
    assert w.engine.paused
    assert shown() == ("Resume queue", "Resume queue", "Paused - you pressed Pause", False)
    win.pause_action.trigger()  # the toolbar's action, same words, the other way
    assert not w.engine.paused and shown() == ("Pause queue", "Pause queue", "", False)
    # The engine pausing itself (a rejected key) is shown in the error banner, with Settings.
    w.engine.note_rejected_key(AuthenticationError("401", status=401))
    assert shown() == ("Resume queue", "Resume queue", "Paused - API key rejected", True)
    assert "rejected the API key" in win.problem_banner.label.text()
    assert win.problem_banner.settings_button.isVisibleTo(win)
    assert "rejected the API key" in win.pause_label.toolTip() and "Press to resume" in panel.pause_button.toolTip()
    with qtbot.waitSignal(win.settings_requested, timeout=1000):  # the app opens the dialog
        win.problem_banner.settings_button.click()
    win.pause_action.trigger()
    assert not w.engine.paused and shown() == ("Pause queue", "Pause queue", "", False)


@QT_NOISE
def test_notification_only_when_window_inactive(window: Any) -> None:
    w = window.build()
    w.controller._on_engine_job(Job(id="d", state=JobState.PROCESSING, request={"prompt": "sunset"}))
    w.controller._on_engine_job(Job(id="d", state=JobState.DONE, request={"prompt": "sunset"}))
    assert w.tray.messages == [("Video ready", "sunset")]  # the offscreen window is never active


@QT_NOISE
def test_layout_round_trip_and_close_is_deferred(qtbot: Any, window: Any) -> None:
    w = window.build()
    w.win.resize(1000, 700)
    w.win.splitter.setSizes([300, 700])
    w.win.save_layout()
    assert w.settings.window_geometry and w.settings.splitter_state.count("|") == 1
    assert decode_state(encode_state(w.win.saveGeometry())) == w.win.saveGeometry()
    w.win.show()
    with qtbot.waitSignal(w.win.close_requested):
        w.win.close()
    assert w.win.isHidden()
    w.win.allow_close()
    assert w.win.close()


@QT_NOISE
def test_fetch_more_through_panel(window: Any) -> None:
    w = window.build()
    for i in range(5):
        w.store.add(Job(id=f"j{i}", request={"prompt": f"p{i}"}, position=float(i)))
    w.model.reload()
    assert w.model.rowCount() == 5 and not w.model.canFetchMore(QModelIndex())


# -- the composition root ----------------------------------------------------------------------

def test_help_and_cli_delegation(capsys: Any, monkeypatch: Any) -> None:
    from seedance_desktop import __main__ as entry
    from seedance_desktop.ui.app import parse_args

    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--demo" in out and "--home DIR" in out
    assert parse_args(["--demo", "--home", "/tmp/x"]).home == "/tmp/x"
    seen: list[list[str]] = []
    import seedance_desktop.cli as cli

    monkeypatch.setattr(cli, "main", lambda argv: seen.append(list(argv)) or 0)
    assert entry.main(["cli", "list", "--json"]) == 0
    assert seen == [["list", "--json"]]


@QT_NOISE
@pytest.mark.timeout(60)
def test_first_run_without_key_opens_demo_with_sample(qtbot: Any, qapp: Any, tmp_path: Any, simulator: Any) -> None:
    """DesktopApp end to end offscreen: frame first, then runtime; no key -> demo + sample."""
    import dataclasses

    from seedance_desktop.ui import app as appmod
    from seedance_desktop.runtime import compose as composition
    from seedance_desktop.core.paths import AppPaths

    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        calls.append(kw)
        # The in-process simulator stands in for the demo child process (much faster here).
        runtime = await composition.build_runtime(paths, settings, api_key=simulator.api_key, demo=False,
                                                  base_url=simulator.base_url, start_engine=False,
                                                  output_dir=tmp_path / "out")
        return dataclasses.replace(runtime, mode="demo")

    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    assert shell.window.mode_label.text() == "Starting…"
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=shell)
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 20)
        result["banner"] = desktop.window.banner.isVisible()
        result["inputs"] = desktop.form.recipe()[2]
        result["prompt"] = desktop.form.recipe()[1]["prompt"]
        result["mode"] = desktop.window.mode_label.text()
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        result["exit"] = await asyncio.wait_for(run, 20)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()
    assert calls and calls[0]["demo"] is True and calls[0]["api_key"] is None  # no key anywhere
    assert result["banner"] and result["mode"] == "Demo" and result["exit"] == 0
    assert [Path(i.local_path).name for i in result["inputs"]] == ["sample_clip.mp4"]
    assert "[Video 1]" in result["prompt"]
    assert desktop.window.isHidden()
    saved = (paths.settings_file).read_text()
    assert '"window_geometry": "' in saved and '"window_geometry": ""' not in saved


@QT_NOISE
@pytest.mark.timeout(60)
def test_settings_saved_in_worker_and_new_key_switches_to_account_mode(
    qtbot: Any, qapp: Any, tmp_path: Any, simulator: Any
) -> None:
    import dataclasses

    from seedance_desktop.ui import app as appmod
    from seedance_desktop.runtime import compose as composition
    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.ui.settings_dialog import KeyChange

    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        calls.append(kw)
        runtime = await composition.build_runtime(
            paths, settings, api_key=kw["api_key"] or simulator.api_key, demo=False,
            base_url=simulator.base_url, start_engine=False, output_dir=tmp_path / "out")
        return dataclasses.replace(runtime, mode="demo" if kw["demo"] else "live")

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder)
    qtbot.addWidget(desktop.window)
    secrets = SessionSecrets()
    desktop._secrets = secrets
    result: dict[str, Any] = {}

    async def wait_signal(signal: Any, action: Any) -> None:
        fired = asyncio.Event()
        signal.connect(fired.set)
        action()
        await asyncio.wait_for(fired.wait(), 20)

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 20)
        result["mode_before"] = desktop.window.mode_label.text()
        desktop.open_settings()  # non-modal; key storage is looked up in a worker first
        for _ in range(100):
            if desktop._dialog is not None and desktop._dialog.isVisible():
                break
            await asyncio.sleep(0.05)
        result["dialog"] = type(desktop._dialog).__name__
        result["key_shown"] = desktop._dialog.key_edit.text()
        desktop._dialog.reject()
        quieter = dataclasses.replace(desktop.settings, max_in_flight=3)
        await wait_signal(desktop.controller.settings_saved,
                          lambda: desktop.apply_settings(secrets, quieter, KeyChange("keep")))
        result["in_flight"] = desktop.controller.engine.max_in_flight
        desktop.ready.clear()
        await wait_signal(desktop.controller.mode_changed, lambda: desktop.apply_settings(
            secrets, desktop.settings, KeyChange("set", simulator.api_key, "session")))
        await asyncio.wait_for(desktop.ready.wait(), 20)
        for _ in range(100):
            if desktop.window.mode_label.text().startswith("Account"):
                break
            await asyncio.sleep(0.05)
        result["mode_after"] = desktop.window.mode_label.text()
        result["banner_after"] = desktop.window.banner.isVisible()
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        await asyncio.wait_for(run, 20)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()
    assert result["mode_before"] == "Demo" and result["in_flight"] == 3
    assert result["dialog"] == "SettingsDialog" and result["key_shown"] == ""
    assert '"max_in_flight": 3' in paths.settings_file.read_text()
    assert [c["demo"] for c in calls] == [True, False] and calls[1]["api_key"] == simulator.api_key
    assert result["mode_after"] == f"Account · ${simulator.simulator.config.balance:,.2f}" and not result["banner_after"]
    assert simulator.api_key not in paths.settings_file.read_text()  # the key never goes to settings
