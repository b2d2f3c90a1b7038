"""Small shared look-and-feel helpers: message labels and colours that follow the palette.

Colours are derived from the application palette where possible so the form looks native in
light and dark themes; only the error/warning/ok accents are fixed (readable on both).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFormLayout, QLabel, QLayout, QSizePolicy, QToolButton, QVBoxLayout, QWidget

ERROR_COLOR = "#c62828"
WARNING_COLOR = "#b26a00"
OK_COLOR = "#2e7d32"

_KIND_COLORS = {"error": ERROR_COLOR, "warning": WARNING_COLOR, "ok": OK_COLOR}


class MessageLabel(QLabel):
    """A word-wrapped message line under a field: hidden while empty, coloured by kind.

    Every field in the form owns one, so a problem is shown next to the thing that causes it.
    """

    def __init__(self, parent: QWidget | None = None, *, kind: str = "error") -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._kind = kind
        self._sheet = ""
        self.set_message("", kind)

    @property
    def kind(self) -> str:
        return self._kind

    def set_message(self, text: str, kind: str | None = None) -> None:
        if kind is not None:
            self._kind = kind
        if text:
            # Only when the colour changes, and never for a hidden empty line: each
            # setStyleSheet re-polishes the label (~0.5 ms), and the form has dozens of them.
            color = _KIND_COLORS.get(self._kind)
            sheet = f"color: {color};" if color else ""
            if sheet != self._sheet:
                self._sheet = sheet
                self.setStyleSheet(sheet)
        self.setText(text)
        self.setAccessibleName(f"{self._kind}: {text}" if text else "")
        self.setVisible(bool(text))


class NoticeLabel(MessageLabel):
    """A message that clears itself after a few seconds ("Copied", "Added to the queue"), or
    at the next edit when it was flashed with ``until_edit`` (see :meth:`edited`)."""

    def __init__(self, parent: QWidget | None = None, *, msecs: int = 8000) -> None:
        super().__init__(parent, kind="ok")
        self._until_edit = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(msecs)
        self._timer.timeout.connect(self.clear_notice)

    def flash(self, text: str, kind: str = "ok", *, until_edit: bool = False) -> None:
        self._until_edit = until_edit
        self.set_message(text, kind)
        self._timer.start()

    def edited(self) -> None:
        """The person changed what the notice was about ("Added to the queue" describes the
        form as it was sent): an ``until_edit`` notice goes, others keep their few seconds."""
        if self._until_edit:
            self.clear_notice()

    def clear_notice(self) -> None:
        self._until_edit = False
        self._timer.stop()
        self.set_message("")


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """A secondary, smaller explanatory line (uses the palette's placeholder colour)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    font = label.font()
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * 0.92)
    label.setFont(font)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)
    return label


def human_size(size: int | None) -> str:
    """Decimal MB, the unit of every size and limit shown (``api.units``)."""
    from seedance_desktop.api.units import size_text

    return size_text(size)


class CollapsibleSection(QWidget):
    """A disclosure triangle button and a form body that it shows or hides ("Advanced")."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.body = QWidget(self)
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(16, 0, 0, 0)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self.set_expanded)

    def set_expanded(self, shown: bool) -> None:
        self.toggle.setChecked(shown)
        self.body.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


def layout_focus_order(root: QWidget) -> list[QWidget]:
    """Tab-focusable widgets under ``root`` in the order their layouts show them.

    Qt's default tab order is creation order, which breaks when parts of a form are rebuilt
    (the new widgets land at the end of the window's chain); layout order is the visual order.
    """
    found: list[QWidget] = []

    def visit_layout(layout: QLayout) -> None:
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if item is None:
                continue
            child_widget, child_layout = item.widget(), item.layout()
            if child_widget is not None:
                visit_widget(child_widget)
            elif child_layout is not None:
                visit_layout(child_layout)

    def visit_widget(widget: QWidget) -> None:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not isinstance(widget, QLabel):
            found.append(widget)
        own_layout = widget.layout()
        if own_layout is not None:
            visit_layout(own_layout)

    visit_widget(root)
    return found


def chain_tab_order(widgets: list[QWidget]) -> None:
    for first, second in zip(widgets, widgets[1:]):
        QWidget.setTabOrder(first, second)
