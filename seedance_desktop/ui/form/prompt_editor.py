"""The prompt editor: text, a live "n / 2000" counter, chips that insert ``[Video n]`` style
placeholders for the inputs that exist, and warnings for placeholders that point at nothing and
inputs the prompt never mentions (the model can only use what it is told about)."""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton, QHBoxLayout, QLabel, QMenu, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget,
)

from seedance_desktop.api.spec import FieldSpec, MediaKind
from seedance_desktop.ui.form.form_validation import KIND_WORD, placeholder_report
from seedance_desktop.ui.style import ERROR_COLOR, MessageLabel


#: Up to this many inputs get one button each; more get one drop-down per kind.
MAX_SINGLE_CHIPS = 4


class PromptEditor(QWidget):
    changed = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.maximum = spec.maximum or 2000
        self.edit = QPlainTextEdit(self)
        self.edit.setAccessibleName(spec.label)
        self.edit.setAccessibleDescription(spec.help)
        self.edit.setPlaceholderText(spec.help)
        self.edit.setToolTip(f"{spec.help} Up to {self.maximum} characters. Ctrl+Enter submits.")
        self.edit.setTabChangesFocus(True)  # Tab moves on, as in every other form field
        self.edit.setMinimumHeight(56)
        self.edit.setMaximumHeight(96)
        self.counter = QLabel(self)
        self.counter.setAccessibleName("Prompt length")
        self.chips_label = QLabel("Insert:", self)
        self.chips = QHBoxLayout()
        self.chips.setContentsMargins(0, 0, 0, 0)
        self.chips.setSpacing(4)
        self._chip_buttons: list[QAbstractButton] = []
        self._tokens: list[str] = []
        self.message = MessageLabel(self)
        self.placeholder_warning = MessageLabel(self, kind="warning")

        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.chips_label)
        bottom.addLayout(self.chips)
        bottom.addStretch(1)
        bottom.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        layout.addWidget(self.placeholder_warning)
        self._counts: dict[MediaKind, int] = {}
        self.edit.textChanged.connect(self._on_text)
        self.set_counts({})
        self._on_text()

    def focus_widget(self) -> QWidget:
        return self.edit

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def set_error(self, text: str) -> None:
        self.message.set_message(text, "error")

    def error_text(self) -> str:
        return self.message.text()

    def set_counts(self, counts: dict[MediaKind, int]) -> None:
        """Rebuild the chips for the inputs present and re-check the placeholders."""
        counts = {k: v for k, v in counts.items() if v > 0}
        if counts != self._counts or not self._chip_buttons:
            self._counts = counts
            for button in self._chip_buttons:
                self.chips.removeWidget(button)
                button.hide()  # deleteLater runs later; never leave it painted meanwhile
                button.deleteLater()
            self._chip_buttons = []
            self._tokens = [f"[{KIND_WORD[k]} {n}]" for k in MediaKind for n in range(1, counts.get(k, 0) + 1)]
            if len(self._tokens) <= MAX_SINGLE_CHIPS:
                for token in self._tokens:
                    button = QPushButton(token, self)
                    button.setToolTip(f"Insert {token} at the cursor")
                    button.setAccessibleName(f"Insert {token[1:-1]}")
                    button.clicked.connect(lambda _=False, t=token: self.insert_token(t))
                    self._add_chip(button)
            else:  # many inputs: one drop-down per kind keeps the row narrow
                for kind in MediaKind:
                    if counts.get(kind, 0):
                        self._add_chip(self._kind_menu_button(kind, counts[kind]))
            self.chips_label.setText("Insert:" if self._chip_buttons else "Add inputs to refer to them as [Video 1], [Image 1]…")
        self._check_placeholders()

    def _add_chip(self, button: QAbstractButton) -> None:
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.chips.addWidget(button)
        self._chip_buttons.append(button)

    def _kind_menu_button(self, kind: MediaKind, count: int) -> QToolButton:
        word = KIND_WORD[kind]
        button = QToolButton(self)
        button.setText(f"[{word} …]")
        button.setAccessibleName(f"Insert a {word.lower()} placeholder")
        button.setToolTip(f"Insert [{word} 1] to [{word} {count}] at the cursor")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for n in range(1, count + 1):
            token = f"[{word} {n}]"
            menu.addAction(token, functools.partial(self.insert_token, token))
        button.setMenu(menu)
        return button

    def chip_texts(self) -> list[str]:
        """Every placeholder the chips can insert, in order."""
        return list(self._tokens)

    def insert_token(self, token: str) -> None:
        cursor = self.edit.textCursor()
        before = self.edit.toPlainText()[: cursor.position()]
        spacer = " " if before and not before.endswith((" ", "\n")) else ""
        cursor.insertText(f"{spacer}{token} ")
        self.edit.setFocus()

    def _on_text(self) -> None:
        n = len(self.text())
        self.counter.setText(f"{n} / {self.maximum}")
        self.counter.setStyleSheet(f"color: {ERROR_COLOR};" if n > self.maximum else "")
        self._check_placeholders()
        self.changed.emit()

    def _check_placeholders(self) -> None:
        report = placeholder_report(self.text(), dict(self._counts))
        parts = []
        if report.missing:
            parts.append(f"No input for {', '.join(report.missing)}: add the input or fix the placeholder.")
        if report.unreferenced and self.text().strip():
            parts.append(f"Not mentioned in the prompt: {', '.join(report.unreferenced)}.")
        self.placeholder_warning.set_message(" ".join(parts), "warning")

    def placeholder_text(self) -> str:
        return self.placeholder_warning.text()
