"""Quitting with jobs in flight asks first (keyboard-accessible), and the Help menu: shortcuts
read from the live actions, where the data is (copy / open), About."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMessageBox

from seedance_desktop import __version__
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.store import JobStore
from seedance_desktop.ui.controller import Controller
from seedance_desktop.ui.main_window import MainWindow
from seedance_desktop.ui.player import Player
from seedance_desktop.ui.queue.queue_model import QueueModel
from seedance_desktop.ui.queue.queue_panel import QueuePanel

QT_NOISE = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device",
    "does not support raise", "does not support grabbing", r"QBackingStore::flush\(\) called for",
    "does not support activating",
)


@pytest.fixture
def built(qtbot: Any, loop: Any, tmp_path: Path) -> Any:
    made: list[Any] = []

    def build(demo: bool = False) -> Any:
        from seedance_desktop.ui.form.request_form import RequestForm

        store = JobStore(tmp_path / f"jobs-{len(made)}.sqlite3")
        engine = Engine(store, None, output_dir=tmp_path / "out")  # no client: sends nothing
        controller = Controller(store, engine, demo=demo)
        settings = SimpleNamespace(window_geometry="", window_state="", splitter_state="", notify_on_completion=True)
        win = MainWindow(settings=settings)
        win.install(controller, RequestForm(), QueuePanel(QueueModel(store, lookup=controller.job)), Player())
        qtbot.addWidget(win)
        made.append(SimpleNamespace(win=win, store=store, controller=controller))
        return made[-1]

    yield build
    for item in made:
        item.store.close()


def _running_job(store: JobStore, job_id: str = "r") -> None:
    store.add(Job(id=job_id, request={"prompt": "p"}))
    store.transition(job_id, JobState.SUBMITTING, "sending")
    store.transition(job_id, JobState.PROCESSING, "accepted", task_id="task-1")


def _prompt(qtbot: Any, win: MainWindow) -> QMessageBox:
    qtbot.waitUntil(lambda: win._quit_prompt is not None and win._quit_prompt.isVisible(), timeout=3000)
    assert win._quit_prompt is not None
    return win._quit_prompt


@QT_NOISE
def test_nothing_in_flight_quits_without_asking(qtbot: Any, built: Any) -> None:
    w = built()
    w.store.add(Job(id="q", request={"prompt": "queued only"}))  # queued jobs wait safely in the list
    w.win.show()
    with qtbot.waitSignal(w.win.close_requested, timeout=2000):
        w.win.close()
    assert w.win._quit_prompt is None and w.win.isHidden()


@QT_NOISE
def test_quit_with_a_job_running_asks_and_esc_keeps_enter_quits(qtbot: Any, built: Any) -> None:
    w = built()
    _running_job(w.store)
    w.store.add(Job(id="q", request={"prompt": "waiting"}))
    w.win.show()
    closes: list[bool] = []
    w.win.close_requested.connect(lambda: closes.append(True))
    w.win.quit_action.trigger()  # Ctrl+Q
    box = _prompt(qtbot, w.win)
    assert box.text() == "1 job is still running (1 more queued)."
    assert "it continues on Modellix's servers" in box.informativeText()
    assert "next time it starts" in box.informativeText()
    labels = [b.text() for b in box.buttons()]
    assert "&Quit" in labels and "&Keep running" in labels  # Alt+Q / Alt+K
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.win._quit_prompt is None, timeout=3000)
    assert closes == [] and w.win.isVisible()  # Esc keeps the window and its jobs
    w.win.close()  # the window manager's close button asks the same
    box = _prompt(qtbot, w.win)
    with qtbot.waitSignal(w.win.close_requested, timeout=3000):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # Quit is the default
    assert w.win.isHidden()


@QT_NOISE
def test_demo_quit_says_the_demo_server_continues_them(qtbot: Any, built: Any) -> None:
    w = built(demo=True)
    _running_job(w.store, "a")
    _running_job(w.store, "b")
    w.win.show()
    w.win.close()
    box = _prompt(qtbot, w.win)
    assert box.text() == "2 demo jobs are still running."
    assert "demo server" in box.informativeText() and "continues them" in box.informativeText()
    with qtbot.waitSignal(w.win.close_requested, timeout=3000):
        w.win.quit_now()  # SIGTERM: nobody is there to answer


@QT_NOISE
def test_shortcuts_list_is_read_from_the_live_actions(qtbot: Any, built: Any) -> None:
    from seedance_desktop.ui.help_dialogs import ShortcutsDialog, collect_shortcuts

    w = built()
    rows = {(r.keys, r.what): r.where for r in collect_shortcuts(w.win)}
    native = lambda text: QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText)  # noqa: E731
    assert rows[(native("Ctrl+Q"), "Quit")] == "Everywhere"
    assert rows[(native("Ctrl+Return"), "Submit")] == "Everywhere"
    assert rows[(native("F1"), "Keyboard shortcuts")] == "Everywhere"
    assert rows[(native("F"), "Full screen on/off")] == "Player"
    assert rows[(native("Return"), "Play")] == "Queue (when it has focus)"
    extra = QAction("Frobnicate the queue", w.win)  # any action added later is listed too
    extra.setShortcut(QKeySequence("Ctrl+Shift+F"))
    w.win.addAction(extra)
    assert any(r.what == "Frobnicate the queue" for r in collect_shortcuts(w.win))
    w.win.shortcuts_action.trigger()
    dialog = w.win._help_dialogs["shortcuts"]
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    texts = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"Quit", "Submit", "Frobnicate the queue", "Settings"} <= texts


@QT_NOISE
def test_where_is_my_data_copies_and_says_when_it_cannot_open(qtbot: Any, built: Any, tmp_path: Path) -> None:
    from seedance_desktop.ui.help_dialogs import DataFoldersDialog

    w = built()
    folders = [("Data (job list)", tmp_path / "data"), ("Logs", tmp_path / "logs")]
    w.win.data_folders = folders
    w.win.data_action.trigger()
    dialog = w.win._help_dialogs["data"]
    assert isinstance(dialog, DataFoldersDialog) and dialog.isVisible()
    assert dialog.paths["Logs"].text() == str(tmp_path / "logs")
    opened: list[Path] = []
    failing = DataFoldersDialog(folders, w.win, opener=lambda p: opened.append(p) or False)
    failing.open_path(tmp_path / "logs")
    assert opened == [tmp_path / "logs"]
    assert QGuiApplication.clipboard().text() == str(tmp_path / "logs")
    assert "No file manager could open" in failing.message.text()


@QT_NOISE
def test_help_menu_order_leaves_a_place_for_tools_and_about_names_the_version(built: Any) -> None:
    w = built()
    tool = QAction("Open log folder", w.win)
    w.win.add_help_action(tool)
    texts = [a.text() for a in w.win.help_menu.actions() if not a.isSeparator()]
    assert texts == ["&Keyboard shortcuts", "Where is my &data…", "Open log folder", "&About Seedance Desktop"]
    w.win.about_action.trigger()
    about = w.win._help_dialogs["about"]
    assert __version__ in about.label.text() and "GPL" in about.label.text() and "LGPL" in about.label.text()
    about.notices_button.click()
    assert about.notices is not None and "GNU GENERAL PUBLIC LICENSE" in about.notices.toPlainText()
