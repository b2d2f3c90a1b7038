"""Uncaught exceptions: logged, shown, survived.

Three places an exception can escape the code that should have handled it:

* ``sys.excepthook``: a Python exception raised in a Qt slot or virtual (PySide6 prints it
  through the hook and carries on) or on the main thread outside the loop;
* ``threading.excepthook``: a worker thread that died;
* the asyncio loop's exception handler: a callback, or a task nobody awaited. The controller's
  ``report`` stays the one handler for the tasks it owns; this is the net under everything else.

Each is written to the log (with its traceback, through the redaction filter) and shown in one
non-modal box that says what happened, that the app keeps running and the jobs are safe (every
job transition is committed to the store before it acts, so nothing in memory is lost), and where
the log is. Nothing here quits the app: a slot that failed once usually works the next time.

``report_startup_failure`` is for a crash before the window runs: it says so in the log and in a
dialog instead of vanishing.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from seedance_desktop.api.redact import install_log_redaction

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe(exc: BaseException, where: str, log_file: Path) -> str:
    """What the person reads: what failed, that the app carries on, where the details are."""
    what = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
    text = (f"An unexpected error happened {where}: {what}\n\n"
            "Seedance Desktop keeps running and your jobs are saved. If something does not work "
            f"any more, restart the app. The details are in the log:\n{log_file}")
    return install_log_redaction()(text)


class CrashReporter(QObject):
    """Installs the three hooks; shows each failure in a box on the GUI thread."""

    occurred = Signal(str, str)  # message, traceback (redacted)

    def __init__(self, log_file: Path, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.log_file = log_file
        self.parent_widget = parent_widget
        self.box: QMessageBox | None = None
        self.count = 0
        self._previous: dict[str, Any] = {}
        # Queued when emitted from a worker thread: the box is built on the GUI thread.
        self.occurred.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # -- installing ------------------------------------------------------------------------------
    def install(self, loop: Any = None) -> None:
        self._previous = {"sys": sys.excepthook, "threading": threading.excepthook}
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook
        if loop is not None:
            self._previous["loop"] = (loop, loop.get_exception_handler())
            loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        if "sys" in self._previous:
            sys.excepthook = self._previous["sys"]
            threading.excepthook = self._previous["threading"]
        if "loop" in self._previous:
            loop, handler = self._previous["loop"]
            if not loop.is_closed():
                loop.set_exception_handler(handler)
        self._previous = {}

    # -- the hooks -------------------------------------------------------------------------------
    def _sys_hook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):  # Ctrl+C keeps its normal meaning
            sys.__excepthook__(kind, exc, tb)
            return
        self.handle((kind, exc, tb), "in the window")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a worker"
        self.handle((args.exc_type, args.exc_value, args.exc_traceback), f"in a background thread ({name})")

    def _loop_handler(self, loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not isinstance(exc, BaseException):
            log.warning("event loop: %s", context.get("message", "an error without an exception"))
            return
        self.handle((type(exc), exc, exc.__traceback__), "in a background task")

    def handle(self, info: ExcInfo, where: str) -> None:
        """Log one failure and show it (from any thread)."""
        self.count += 1
        log.error("uncaught exception %s", where, exc_info=info)
        tb = install_log_redaction()("".join(traceback.format_exception(*info)))
        self.occurred.emit(describe(info[1], where, self.log_file), tb)

    def _show(self, message: str, details: str) -> None:
        if QApplication.instance() is None:
            return
        if self.box is None:
            self.box = QMessageBox(QMessageBox.Icon.Warning, "Seedance Desktop: unexpected error",
                                   message, QMessageBox.StandardButton.Ok, self.parent_widget)
            self.box.setWindowModality(Qt.WindowModality.NonModal)  # the app stays usable
        self.box.setText(message)
        self.box.setDetailedText(details)
        self.box.show()  # never exec(): this can run while the qasync loop is inside a coroutine


def report_startup_failure(exc: BaseException, log_file: Path | None,
                           show: Callable[[str], None] | None = None) -> None:
    """A crash before the window runs: log it and say so in a dialog (not only on stderr)."""
    log.critical("start-up failed", exc_info=exc)
    where = f"\n\nThe details are in the log:\n{log_file}" if log_file is not None else ""
    text = install_log_redaction()(
        f"Seedance Desktop could not start: {getattr(exc, 'user_message', None) or f'{type(exc).__name__}: {exc}'}"
        f"{where}")
    print(text, file=sys.stderr)
    if show is not None:
        show(text)
        return
    if QApplication.instance() is not None:
        # No loop runs any more (start-up is over, or never got going): a modal box is safe.
        QMessageBox.critical(None, "Seedance Desktop", text)


__all__ = ["CrashReporter", "describe", "report_startup_failure"]
