"""Completion notifications: a tray message, only when the window is not in front.

Desktop environments without a system tray (and the offscreen platform) simply get nothing:
the queue panel already shows the state, so a missing tray must never be an error.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget


class Notifier(QObject):
    def __init__(self, window: QWidget, icon: QIcon | None = None, *, tray: Any = None,
                 enabled: bool = True) -> None:
        super().__init__(window)
        self._window = window
        self.enabled = enabled
        self.tray: Any = tray
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon or window.windowIcon(), self)
            self.tray.setToolTip("Seedance Desktop")
            self.tray.activated.connect(lambda *_: self._raise_window())
            self.tray.messageClicked.connect(self._raise_window)
            self.tray.show()

    @property
    def available(self) -> bool:
        return self.tray is not None

    def notify(self, title: str, message: str) -> bool:
        """Show ``message`` unless the window is active or there is no tray; True if shown."""
        if not self.enabled or self.tray is None or self._window.isActiveWindow():
            return False
        self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 8000)
        return True

    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
