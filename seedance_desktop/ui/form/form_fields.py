"""Editors for the scalar fields of a model spec (CHOICE, INT, BOOL and the seed).

Each editor is a small widget: the control plus its own message line underneath, so validation
messages appear next to the field that caused them. ``make_editor`` picks the editor from the
``FieldSpec`` so the form never hard-codes field names (except the seed, which has its own
random/fixed semantics in the API: -1 means random).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QAbstractSpinBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.api.spec import FieldKind, FieldSpec
from seedance_desktop.ui.style import MessageLabel

RANDOM_SEED = -1
_QT_INT_MAX = 2_147_483_647  # QSpinBox is a signed 32-bit control


def with_mnemonic(text: str, used: set[str]) -> str:
    """``text`` with an ``&`` before its first letter not yet taken, so every label gets a
    distinct Alt+letter shortcut without hand-maintaining them per model."""
    for i, ch in enumerate(text):
        key = ch.lower()
        if ch.isalpha() and key not in used:
            used.add(key)
            return text[:i] + "&" + text[i:]
    return text


class FieldEditor(QWidget):
    """Base class: one request field, its control and its message line."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(self.row)
        self.message = MessageLabel(self)
        self._layout.addWidget(self.message)
        self._note = ""

    # The widget a form label's mnemonic should focus.
    def focus_widget(self) -> QWidget:
        return self

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_error(self, text: str) -> None:
        """Show a validation problem; with none, fall back to any informational note."""
        if text:
            self.message.set_message(text, "error")
        else:
            self.message.set_message(self._note, "warning")

    def set_note(self, text: str) -> None:
        self._note = text
        if self.message.kind != "error" or not self.message.text():
            self.message.set_message(text, "warning")

    def error_text(self) -> str:
        return self.message.text() if self.message.kind == "error" else ""

    def local_problem(self) -> str:
        """A problem the request validator cannot see (the control's own state)."""
        return ""


class ChoiceEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        self.combo.addItems(list(spec.choices))
        self.combo.setAccessibleName(spec.label)
        self.combo.setToolTip(spec.help)
        self.row.addWidget(self.combo)
        self.row.addStretch(1)
        if spec.default is not None:
            self.set_value(spec.default)
        self.combo.currentIndexChanged.connect(self.changed)

    def focus_widget(self) -> QWidget:
        return self.combo

    def value(self) -> str:
        return self.combo.currentText()

    def set_value(self, value: Any) -> None:
        index = self.combo.findText(str(value))
        if index < 0:
            self.set_note(f"{value!s} is not offered by this model; using {self.combo.currentText()}.")
            return
        self.set_note("")
        self.combo.setCurrentIndex(index)


class RangeSpinBox(QSpinBox):
    """A spin box that accepts any whole number typed into it and steps only inside the spec's
    range. A plain QSpinBox cannot hold a value outside its range: it silently turned a typed
    20 into the last valid 5. Here the typed value stays visible and the form's validation
    says what the range is (and blocks Submit) until it is fixed."""

    def __init__(self, low: int, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = low, high
        self.setRange(-_QT_INT_MAX - 1, _QT_INT_MAX)  # what may be typed; validation judges it

    def stepBy(self, steps: int) -> None:
        # Arrow keys and wheel move toward the valid range and never out of it.
        self.setValue(max(self.low, min(self.high, self.value() + steps * self.singleStep())))

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.value() > self.low:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if self.value() < self.high:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags


class IntEditor(FieldEditor):
    """A whole number within the spec's range. Out-of-range values (typed, or from a recipe) are
    kept as they are; validation shows the range under the field and blocks Submit."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        low = spec.minimum if spec.minimum is not None else 0
        high = min(spec.maximum if spec.maximum is not None else _QT_INT_MAX, _QT_INT_MAX)
        unit = f" {spec.unit}" if spec.unit else ""
        self.range_text = f"{low}–{high}{unit}"
        self.spin = RangeSpinBox(low, high, self)
        if spec.unit:
            self.spin.setSuffix(f" {spec.unit}")
        if high - low > 10_000:
            # Long ranges in seconds (task expiry) step by the hour.
            self.spin.setSingleStep(3600)
        self.spin.setAccessibleName(spec.label)
        self.spin.setAccessibleDescription(f"Allowed: {self.range_text}")
        self.spin.setToolTip(f"{spec.help} Allowed: {self.range_text}.".strip())
        self.spin.setMinimumWidth(90)
        self.row.addWidget(self.spin)
        self.hours: MessageLabel | None = None
        if spec.unit == "s" and high >= 3600:
            self.hours = MessageLabel(self, kind="info")
            self.row.addWidget(self.hours)
            self.spin.valueChanged.connect(self._show_hours)
        self.row.addStretch(1)
        if spec.default is not None:
            self.set_value(spec.default)
        self._show_hours()
        self.spin.valueChanged.connect(self.changed)

    def _show_hours(self) -> None:
        if self.hours is not None:
            self.hours.set_message(f"= {self.spin.value() / 3600:g} h", "info")

    def focus_widget(self) -> QWidget:
        return self.spin

    def value(self) -> int:
        return self.spin.value()

    def in_range(self) -> bool:
        return self.spin.low <= self.spin.value() <= self.spin.high

    def set_value(self, value: Any) -> None:
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.set_note(f"{value!r} is not a whole number; kept {self.spin.value()}.")
            return
        self.set_note("")
        # Kept even when out of range: validation names the range and Submit waits for a fix.
        self.spin.setValue(max(-_QT_INT_MAX - 1, min(_QT_INT_MAX, number)))


class BoolEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None, *, text: str = "") -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox(text or spec.label, self)
        self.check.setAccessibleName(spec.label)
        self.check.setToolTip(spec.help)
        self.row.addWidget(self.check)
        self.row.addStretch(1)
        self.set_value(bool(spec.default))
        self.check.toggled.connect(self.changed)

    def focus_widget(self) -> QWidget:
        return self.check

    def value(self) -> bool:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class SeedEditor(FieldEditor):
    """Random (-1) or a fixed seed, plus "reuse seed" from the last finished job.

    A line edit, not a spin box: seeds go up to 2^32-1, beyond a QSpinBox's int32 range. Digits
    and a leading minus can be typed, so the "-1 (random)" the message offers is accepted; range
    problems are reported by validation as you type.
    """

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.fixed = QCheckBox("Fi&xed", self)
        self.fixed.setAccessibleName("Use a fixed seed")
        self.fixed.setToolTip("Unchecked: a random seed each time. Checked: the seed below, for repeatable results.")
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(spec.label)
        self.edit.setPlaceholderText("random")
        self.edit.setValidator(QRegularExpressionValidator(r"-?\d{0,11}", self.edit))
        self.edit.setToolTip(spec.help)
        self.edit.setMaximumWidth(140)
        self.reuse = QPushButton("Reuse last seed", self)
        self.reuse.setAccessibleName("Reuse the seed of the last job")
        self.reuse.setEnabled(False)
        self.row.addWidget(self.fixed)
        self.row.addWidget(self.edit)
        self.row.addWidget(self.reuse)
        self.row.addStretch(1)
        self._last_seed: int | None = None
        self.fixed.toggled.connect(self._on_fixed)
        self.edit.textChanged.connect(self._explain_random)
        self.edit.textChanged.connect(self.changed)
        self.reuse.clicked.connect(self._reuse)
        self.set_value(spec.default if spec.default is not None else RANDOM_SEED)

    def focus_widget(self) -> QWidget:
        return self.edit if self.fixed.isChecked() else self.fixed

    def _on_fixed(self, fixed: bool) -> None:
        self.edit.setEnabled(fixed)
        if fixed and not self.edit.text() and self._last_seed is not None:
            self.edit.setText(str(self._last_seed))
        self.changed.emit()

    def _explain_random(self, text: str) -> None:
        self.set_note("-1 picks a new random seed for each job." if text.strip() == str(RANDOM_SEED) else "")

    def _reuse(self) -> None:
        if self._last_seed is not None:
            self.set_value(self._last_seed)

    def set_last_seed(self, seed: int | None) -> None:
        self._last_seed = seed if seed is not None and seed >= 0 else None
        self.reuse.setEnabled(self._last_seed is not None)
        self.reuse.setToolTip(f"Use seed {self._last_seed}" if self._last_seed is not None else "No finished job yet")

    def local_problem(self) -> str:
        if self.fixed.isChecked() and self.edit.text().strip() in ("", "-"):
            return f"Enter a seed (0 to {self.spec.maximum}, or -1 for random) or untick Fixed for a random one."
        return ""

    def value(self) -> int | str:
        if not self.fixed.isChecked():
            return RANDOM_SEED
        text = self.edit.text().strip()
        try:
            return int(text)
        except ValueError:
            return text  # "" or "-": local_problem / validation say what is missing

    def set_value(self, value: Any) -> None:
        if value is None or (isinstance(value, int) and value == RANDOM_SEED):
            self.fixed.setChecked(False)
            self.edit.setEnabled(False)
            return
        self.fixed.setChecked(True)
        self.edit.setEnabled(True)
        self.edit.setText(str(value))


def make_editor(spec: FieldSpec, parent: QWidget | None = None) -> FieldEditor | None:
    """The editor for a scalar field, or None for prompt/media fields (they have richer widgets)."""
    if spec.kind is FieldKind.CHOICE:
        return ChoiceEditor(spec, parent)
    if spec.kind is FieldKind.INT:
        if spec.name == "seed":
            return SeedEditor(spec, parent)
        return IntEditor(spec, parent)
    if spec.kind is FieldKind.BOOL:
        return BoolEditor(spec, parent)
    return None


__all__ = [
    "BoolEditor", "ChoiceEditor", "FieldEditor", "IntEditor", "RANDOM_SEED", "RangeSpinBox", "SeedEditor",
    "make_editor", "with_mnemonic",
]
