"""Help menu actions for when something goes wrong: "Open log folder" and "Copy diagnostics".

One function adds both to a given menu, so whoever owns the Help menu only calls it. The
diagnostics text is built in a worker thread (it reads the log file and package metadata) by
``runtime.diagnostics`` and is redacted there: the key and signed links never reach the
clipboard.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu

from seedance_desktop.api.redact import install_log_redaction

Spawn = Callable[[Coroutine[Any, Any, Any], str], object]


def ui_facts(mode: str) -> dict[str, str]:
    """What only the window knows, for the diagnostics text."""
    import PySide6

    app = QGuiApplication.instance()
    platform_name = QGuiApplication.platformName() if app is not None else "none"
    return {
        "Qt": f"{qVersion()} (PySide6 {PySide6.__version__}), platform plugin {platform_name}",
        # Qt has no public call naming the loaded multimedia backend; it is FFmpeg unless the
        # user picked another with QT_MEDIA_BACKEND.
        "Qt Multimedia backend": os.environ.get("QT_MEDIA_BACKEND") or "ffmpeg (Qt's default)",
        "Mode": mode,
    }


def add_support_actions(menu: QMenu, *, log_dir: Path, diagnostics: Callable[[dict[str, str]], str],
                        mode: Callable[[], str], spawn: Spawn,
                        status: Callable[[str], None],
                        add: Callable[[QAction], None] | None = None) -> tuple[QAction, QAction]:
    """Add "Open log folder" and "Copy diagnostics" to ``menu`` (through ``add`` when the menu's
    owner keeps a place for them, e.g. the Help menu's tools section above About).

    ``diagnostics(ui_facts)`` builds the (redacted) text and may block: it runs in a worker via
    ``spawn`` (the controller's, so a failure reaches its one error handler), with the facts only
    the window knows (Qt version, multimedia backend, ``mode()``) read first on the GUI thread;
    ``status`` shows a short confirmation."""
    open_logs = QAction("Open &log folder", menu)
    open_logs.setToolTip(f"Show the folder with the app's log files ({log_dir})")
    open_logs.setStatusTip(open_logs.toolTip())

    def open_folder() -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir))):
            status(f"Could not open a file manager. The logs are in {log_dir}")

    open_logs.triggered.connect(open_folder)

    copy = QAction("Copy &diagnostics", menu)
    copy.setToolTip("Copy versions, settings and the last log lines for a bug report "
                    "(the API key and signed links are masked)")
    copy.setStatusTip(copy.toolTip())

    async def copy_text() -> None:
        text = await asyncio.to_thread(diagnostics, ui_facts(mode()))
        # Once more at the clipboard's door, whoever built the text: a key that was set after
        # the builder ran, or a builder that forgot, still cannot leave the process.
        QGuiApplication.clipboard().setText(install_log_redaction()(text))
        status("Diagnostics copied to the clipboard (the API key and signed links are masked).")

    copy.triggered.connect(lambda: spawn(copy_text(), "copying the diagnostics"))
    for action in (open_logs, copy):
        (add or menu.addAction)(action)
    return open_logs, copy


__all__ = ["add_support_actions", "ui_facts"]
