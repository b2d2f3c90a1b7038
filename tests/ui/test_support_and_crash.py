"""Help menu support actions, the uncaught-exception net and a failed start-up."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from seedance_desktop.core.paths import AppPaths
from seedance_desktop.runtime.logs import close_logging, setup_logging

KEY = "sk-crash-0123456789abcdef"
SIGNED = "https://cdn.example/out.mp4?expires=1&signature=feedface"


@pytest.fixture
def paths(tmp_path: Path) -> Any:
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    setup_logging(paths, secrets=(KEY,))
    yield paths
    close_logging()


# ------------------------------------------------------------------ support menu

def test_support_actions_open_the_log_folder_and_copy_redacted_diagnostics(
        qtbot: Any, loop: Any, paths: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.core.settings import Settings
    from seedance_desktop.runtime.diagnostics import diagnostics_text
    from seedance_desktop.ui import support_menu

    opened: list[QUrl] = []
    monkeypatch.setattr(support_menu.QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    logging.getLogger("seedance_desktop.test").warning("fetched %s", SIGNED)
    menu = QMenu()
    statuses: list[str] = []
    tasks: list[asyncio.Task[Any]] = []
    open_logs, copy = support_menu.add_support_actions(
        menu, log_dir=paths.log_dir, mode=lambda: "live",
        diagnostics=lambda ui: diagnostics_text(paths, Settings(), ui=ui) + f"\nslipped: {KEY}",
        spawn=lambda coro, _what: tasks.append(asyncio.ensure_future(coro)), status=statuses.append)
    assert [a.text() for a in menu.actions()] == ["Open &log folder", "Copy &diagnostics"]
    assert "masked" in copy.toolTip()
    open_logs.trigger()
    assert opened == [QUrl.fromLocalFile(str(paths.log_dir))]
    copy.trigger()
    loop.run_until_complete(tasks[0])
    text = QGuiApplication.clipboard().text()
    assert "Mode: live" in text and "Qt Multimedia backend:" in text and "fetched https://cdn.example/out.mp4?…" in text
    assert KEY not in text and "feedface" not in text
    assert statuses == ["Diagnostics copied to the clipboard (the API key and signed links are masked)."]


def test_open_log_folder_without_a_file_manager_says_where_the_logs_are(
        qtbot: Any, paths: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.ui import support_menu

    monkeypatch.setattr(support_menu.QDesktopServices, "openUrl", lambda url: False)
    statuses: list[str] = []
    menu = QMenu()
    open_logs, _ = support_menu.add_support_actions(menu, log_dir=paths.log_dir, diagnostics=lambda ui: "",
                                                    mode=lambda: "", spawn=lambda c, w: c.close(),
                                                    status=statuses.append)
    open_logs.trigger()
    assert statuses == [f"Could not open a file manager. The logs are in {paths.log_dir}"]


# ------------------------------------------------------------------ the crash net

def _raise_in_a_slot() -> None:
    raise RuntimeError(f"slot broke near {SIGNED} with {KEY}")


def test_uncaught_exceptions_from_slots_threads_and_the_loop_are_logged_and_shown(
        qtbot: Any, loop: Any, paths: Any) -> None:
    from seedance_desktop.ui.crash import CrashReporter

    crashes = CrashReporter(paths.log_file)
    crashes.install(loop)
    try:
        # A Python exception escaping a slot: PySide6 hands it to sys.excepthook.
        sys.excepthook(*_exc_info(_raise_in_a_slot))
        qtbot.waitUntil(lambda: crashes.box is not None and crashes.box.isVisible())
        box = crashes.box
        assert box is not None and not box.isModal()
        assert "in the window" in box.text() and str(paths.log_file) in box.text()
        assert "keeps running and your jobs are saved" in box.text()
        assert KEY not in box.text() + box.detailedText() and "feedface" not in box.detailedText()
        # A worker thread that dies: shown on the GUI thread.
        worker = threading.Thread(target=_raise_in_a_slot, name="io-worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: crashes.count == 2 and "background thread (io-worker)" in box.text())
        # A loop callback that raises, past the controller's own handler.
        loop.call_soon(_raise_in_a_slot)
        loop.run_until_complete(asyncio.sleep(0.05))
        qtbot.waitUntil(lambda: crashes.count == 3 and "background task" in box.text())
        box.close()
    finally:
        crashes.uninstall()
    assert sys.excepthook is sys.__excepthook__ or sys.excepthook is not crashes._sys_hook
    log_text = paths.log_file.read_text(encoding="utf-8")
    assert log_text.count("uncaught exception") == 3 and "Traceback" in log_text
    assert KEY not in log_text and "feedface" not in log_text


def _exc_info(function: Any) -> tuple[Any, Any, Any]:
    try:
        function()
    except RuntimeError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("did not raise")


# ------------------------------------------------------------------ start-up

def test_a_crash_at_start_up_is_logged_and_shown_in_a_dialog(
        qtbot: Any, qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.ui import app as appmod
    from seedance_desktop.ui import crash

    shown: list[str] = []
    monkeypatch.setattr(crash.QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))

    class BrokenShell:
        def __init__(self, _paths: Any) -> None:
            raise OSError("settings folder is not writable")

    monkeypatch.setattr(appmod, "Shell", BrokenShell)
    package_logger = logging.getLogger("seedance_desktop")
    level = package_logger.level
    try:
        assert appmod.main(["--config-dir", str(tmp_path / "home")]) == 1
    finally:
        close_logging()
        package_logger.setLevel(level)  # main() set it for its session
    log_file = tmp_path / "home" / "logs" / "seedance-desktop.log"
    assert len(shown) == 1 and "could not start: OSError: settings folder is not writable" in shown[0]
    assert str(log_file) in shown[0]
    assert "start-up failed" in log_file.read_text(encoding="utf-8")


# ------------------------------------------------------------------ options

def test_window_options(capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop import __version__
    from seedance_desktop.__main__ import split_window_args
    from seedance_desktop.ui.app import parse_args

    with pytest.raises(SystemExit) as stop:
        parse_args(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"seedance-desktop {__version__}"
    args = parse_args(["--config-dir", "/p", "--log-level", "debug", "--demo"])
    assert (args.home, args.log_level, args.demo, args.self_test) == ("/p", "DEBUG", True, False)
    assert parse_args(["--home", "/h"]).home == "/h"
    with pytest.raises(SystemExit):
        parse_args(["--log-level", "chatty"])
    assert "invalid choice: 'CHATTY'" in capsys.readouterr().err
    # A value after --log-level is not a file for the form; --config-dir reaches the instance check.
    assert split_window_args(["--log-level", "DEBUG", "a.mp4", "--config-dir", "/c"]) == (
        ["--log-level", "DEBUG", "--home", "/c"], ["a.mp4"], "/c")
