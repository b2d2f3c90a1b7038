"""Undo for replacing the form's contents.

Duplicate into form, Open recipe, the demo/live switch and a model switch replace what the user
typed. Rather than asking first, the form keeps what was there (a ``FormSnapshot``) and offers
Undo: Ctrl+Z and an "Undo" button beside the message that says what was replaced.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from seedance_desktop.ui.style import MessageLabel

MAX_UNDO = 20
UNDO_BAR_MS = 20_000


@dataclass
class FormSnapshot:
    """Everything needed to put the form back: model, raw widget values (local paths included),
    the exclusive-group choice and the values held for fields the model lacks."""

    model: str
    raw: dict[str, Any]
    mode: int = 0
    held: dict[str, Any] = field(default_factory=dict)
    #: Each media field's per-row trim/framing (``MediaList.edits()``).
    edits: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> FormSnapshot:
        return FormSnapshot(self.model, copy.deepcopy(self.raw), self.mode, copy.deepcopy(self.held),
                            copy.deepcopy(self.edits))


class UndoStack:
    """Snapshots taken before each replacement, newest last (bounded)."""

    def __init__(self) -> None:
        self._items: list[tuple[FormSnapshot, str]] = []

    def push(self, snapshot: FormSnapshot, what: str) -> None:
        self._items.append((snapshot.copy(), what))
        del self._items[:-MAX_UNDO]

    def pop(self) -> tuple[FormSnapshot, str] | None:
        return self._items.pop() if self._items else None

    def __len__(self) -> int:
        return len(self._items)


class UndoBar(QWidget):
    """"The form was replaced by ... [Undo]": shown after a replacement, hides itself later."""

    undo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = MessageLabel(self, kind="info")
        self.button = QPushButton("Undo", self)
        self.button.setToolTip("Put back what the form held before (Ctrl+Z)")
        self.button.setAccessibleName("Undo the form replacement")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UNDO_BAR_MS)
        self._timer.timeout.connect(self.hide)
        self.button.clicked.connect(self.undo_clicked)
        self.hide()

    def offer(self, text: str) -> None:
        self.label.set_message(text, "info")
        self.show()
        self._timer.start()

    def text(self) -> str:
        return self.label.text()
