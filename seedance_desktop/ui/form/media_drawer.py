"""A section for optional inputs that stays collapsed until it is used.

Most requests use a prompt and reference videos only; images and audio are optional. Four empty
drop zones pushed the output settings (duration, ratio, resolution, seed) below the fold, so an
optional group is a one-line toggle ("+ Images") that opens on a click, and opens by itself when
something is put into it (a drop on the form, a recipe). Its title carries the count
("Images (2)") so collapsed content is never invisible.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class MediaDrawer:
    """A toggle button and a body widget, placed separately by the form (the toggles of all
    drawers share one row; the bodies open underneath)."""

    def __init__(self, title: str, mnemonic_title: str, tooltip: str, parent: QWidget) -> None:
        self.title = title
        self._mnemonic_title = mnemonic_title
        self._count = 0
        self.toggle = QToolButton(parent)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.toggle.setAccessibleName(f"Show or hide {title.lower()}")
        self.toggle.setToolTip(tooltip)
        self.body = QWidget(parent)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.body.setVisible(False)
        self.toggle.toggled.connect(self.set_expanded)
        self.set_count(0)

    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, shown: bool) -> None:
        self.toggle.setChecked(shown)
        self.body.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def set_count(self, count: int) -> None:
        """Show the number of entries in the title; open when the first one arrives."""
        if count and not self._count:
            self.set_expanded(True)
        self._count = count
        text = f"{self._mnemonic_title} ({count})" if count else f"+ {self._mnemonic_title}"
        self.toggle.setText(text)
