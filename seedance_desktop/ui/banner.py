"""The demo-mode banner: says plainly that results are simulated and how to get real ones."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

DEMO_TEXT = (
    "Demo mode: outputs are simulated by a local server. "
    "Add a Modellix API key in Settings to generate real videos."
)


class DemoBanner(QFrame):
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#demoBanner { background: #fff4d6; border: 1px solid #e0b84c; border-radius: 4px; }"
            "#demoBanner QLabel { color: #5a4300; }"
        )
        self.label = QLabel(DEMO_TEXT, self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Demo mode notice")
        self.button = QPushButton("Open Settings…", self)
        self.button.clicked.connect(self.settings_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
