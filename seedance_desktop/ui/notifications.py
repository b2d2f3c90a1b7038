"""Notifications: a tray message when the window is not in front, else an in-window notice.

Desktops without a system tray (and the offscreen platform) get the in-window notice bar
(:class:`NoticeBar`, above the queue) instead: a finished or failed job must never pass
unnoticed just because there is no tray. The same bar carries the queue's own messages that
offer an action (Undo a removal, show a failure's details, copy a path nobody could reveal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSystemTrayIcon, QToolButton, QWidget

#: kind -> (background, border) of the notice bar
_KINDS = {
    "info": ("#e3f2fd", "#90caf9"),
    "done": ("#e8f5e9", "#a5d6a7"),
    "error": ("#ffebee", "#ef9a9a"),
}
NOTICE_MS = 12000        # an ordinary notice stays this long
ERROR_NOTICE_MS = 30000  # a failure stays longer (the row and the details pane keep it anyway)


class NoticeBar(QFrame):
    """One message with up to a few action buttons and a close button; a newer message
    replaces the older one. Showing it never takes the keyboard focus (the person may be
    typing a prompt), but its buttons are reachable with Tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setAccessibleName("Notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss this notice")
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 4, 4)
        self._layout.addWidget(self.label, 1)
        self._layout.addWidget(self.close_button)
        self.buttons: list[QPushButton] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self.kind = "info"
        self.hide()

    def show_notice(self, text: str, *, kind: str = "info",
                    actions: Sequence[tuple[str, Callable[[], Any]]] = (), timeout_ms: int | None = None) -> None:
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        for label, callback in actions:
            button = QPushButton(label, self)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, cb=callback: self._run(cb))
            self._layout.insertWidget(self._layout.count() - 1, button)
            self.buttons.append(button)
        self.kind = kind
        background, border = _KINDS.get(kind, _KINDS["info"])
        self.setStyleSheet(f"QFrame#noticeBar {{ background: {background}; border: 1px solid {border}; "
                           "border-radius: 4px; } QFrame#noticeBar QLabel { color: #212121; }")
        self.label.setText(text)
        self.show()
        self._timer.start(timeout_ms if timeout_ms is not None else (ERROR_NOTICE_MS if kind == "error" else NOTICE_MS))

    def _run(self, callback: Callable[[], Any]) -> None:
        self.dismiss()
        callback()

    @property
    def text(self) -> str:
        """The message while the notice is up ("" once dismissed or timed out)."""
        return "" if self.isHidden() else self.label.text()

    def button(self, label: str) -> QPushButton | None:
        return next((b for b in self.buttons if b.text() == label), None)

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()


class Notifier(QObject):
    """A tray message when the window is not in front; without a tray, ``fallback(title,
    message, kind)`` shows it in the window (the notice bar) whether or not it is in front."""

    def __init__(self, window: QWidget, icon: QIcon | None = None, *, tray: Any = None,
                 enabled: bool = True, fallback: Callable[[str, str, str], None] | None = None) -> None:
        super().__init__(window)
        self._window = window
        self.enabled = enabled
        self.fallback = fallback
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

    def notify(self, title: str, message: str, *, kind: str = "done", in_window: bool = True) -> bool:
        """Show ``message``; True if shown. With a tray: only while the window is not active
        (the queue already shows it). Without one: in the window (unless ``in_window`` is
        False: the caller shows it there already)."""
        if not self.enabled:
            return False
        if self.tray is None:
            if self.fallback is None or not in_window:
                return False
            self.fallback(title, message, kind)
            return True
        if self._window.isActiveWindow():
            return False
        icon = QSystemTrayIcon.MessageIcon.Warning if kind == "error" else QSystemTrayIcon.MessageIcon.Information
        self.tray.showMessage(title, message, icon, 8000)
        return True

    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
