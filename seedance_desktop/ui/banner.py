"""Banners above the form and queue: where the user looks first.

* :class:`DemoBanner` says plainly that results are simulated and how to get real ones.
* :class:`ProblemBanner` (error style) says why nothing is being sent (a rejected key, an empty
  balance, submissions with unknown outcomes) and offers the fix: Settings, or resuming.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

DEMO_TEXT = (
    "Demo mode: outputs are simulated by a local server. "
    "Add a Modellix API key in Settings to generate real videos."
)


class _Banner(QFrame):
    """A framed line of text with buttons on the right, styled by object name."""

    def __init__(self, name: str, background: str, border: str, text_colour: str, accessible: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            f"#{name} {{ background: {background}; border: 1px solid {border}; border-radius: 4px; }}"
            f"#{name} QLabel {{ color: {text_colour}; }}"
        )
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName(accessible)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.addWidget(self.label, 1)


class DemoBanner(_Banner):
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("demoBanner", "#fff4d6", "#e0b84c", "#5a4300", "Demo mode notice", parent)
        self.label.setText(DEMO_TEXT)
        self.button = QPushButton("Open Settings…", self)
        self.button.clicked.connect(self.settings_requested)
        self._layout.addWidget(self.button)


class ProblemBanner(_Banner):
    """Shown while the engine has paused itself; hidden again when the pause is lifted."""

    settings_requested = Signal()
    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("problemBanner", "#fde2e1", "#d9534f", "#7a1712", "Queue problem", parent)
        self.settings_button = QPushButton("Open Settings…", self)
        self.settings_button.setToolTip("Add or replace the Modellix API key")
        self.settings_button.clicked.connect(self.settings_requested)
        self.resume_button = QPushButton("Resume queue", self)
        self.resume_button.setToolTip("Send queued jobs again (after you have fixed the cause)")
        self.resume_button.clicked.connect(self.resume_requested)
        self._layout.addWidget(self.settings_button)
        self._layout.addWidget(self.resume_button)

    def show_problem(self, text: str, *, settings: bool, resume: bool) -> None:
        self.label.setText(text)
        self.settings_button.setVisible(settings)
        self.resume_button.setVisible(resume)
        self.show()
