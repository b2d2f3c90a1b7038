"""Prompt history in the window: a searchable popup (Ctrl+H) and Ctrl+Up/Down in the prompt box.

Entries come from ``core.prompt_history`` over the job store (every prompt ever sent, with its
jobs; only the stars are stored separately); the owner loads them off the GUI thread and hands
them in with :meth:`PromptHistoryDialog.set_entries`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QVBoxLayout, QWidget,
)

from seedance_desktop.core import prompt_history
from seedance_desktop.core.prompt_history import PromptEntry, Stepper

_ROLE = int(Qt.ItemDataRole.UserRole)


class PromptHistoryDialog(QDialog):
    chosen = Signal(str)               # use this prompt in the form
    star_toggled = Signal(str, bool)   # prompt, starred

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Prompt history")
        self.resize(720, 480)
        self.entries: list[PromptEntry] = []
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search prompts by words…")
        self.search.setAccessibleName("Search prompts")
        self.search.setClearButtonEnabled(True)
        self.starred_only = QCheckBox("&Starred only", self)
        row.addWidget(self.search, 1)
        row.addWidget(self.starred_only)
        layout.addLayout(row)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Prompts")
        self.list.setWordWrap(True)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(self)
        self.star_button = QPushButton("☆ S&tar", self)
        self.star_button.setToolTip("Star or unstar the selected prompt (starred prompts come first)")
        self.use_button = buttons.addButton("&Use prompt", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.star_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self._use)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._refill)
        self.starred_only.toggled.connect(self._refill)
        self.list.itemActivated.connect(lambda _item: self._use())
        self.list.currentItemChanged.connect(lambda *_: self._sync_star())
        self.star_button.clicked.connect(self._toggle_star)
        self.search.setFocus()

    def set_entries(self, entries: list[PromptEntry]) -> None:
        self.entries = entries
        self._refill()

    def shown_prompts(self) -> list[str]:
        return [str(self.list.item(i).data(_ROLE)) for i in range(self.list.count())]

    def _refill(self) -> None:
        current = self._current()
        self.list.clear()
        for entry in prompt_history.search(self.entries, self.search.text(), starred_only=self.starred_only.isChecked()):
            when = dt.datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
            uses = f" · {entry.uses} jobs" if entry.uses > 1 else ""
            item = QListWidgetItem(f"{'★' if entry.starred else '☆'}  {entry.prompt}\n      {when}{uses}", self.list)
            item.setData(_ROLE, entry.prompt)
            if entry.prompt == current:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._sync_star()

    def _current(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(_ROLE))

    def _entry(self, prompt: str | None) -> PromptEntry | None:
        return next((e for e in self.entries if e.prompt == prompt), None)

    def _sync_star(self) -> None:
        entry = self._entry(self._current())
        self.star_button.setEnabled(entry is not None)
        self.use_button.setEnabled(entry is not None)
        self.star_button.setText("★ Uns&tar" if entry is not None and entry.starred else "☆ S&tar")

    def _toggle_star(self) -> None:
        entry = self._entry(self._current())
        if entry is None:
            return
        entry.starred = not entry.starred
        self.star_toggled.emit(entry.prompt, entry.starred)
        self._refill()

    def _use(self) -> None:
        prompt = self._current()
        if prompt is not None:
            self.chosen.emit(prompt)
            self.accept()


class PromptStepping:
    """Ctrl+Up (older) / Ctrl+Down (newer) in the prompt box, through the recent prompts; the
    text being written is kept and comes back after the newest."""

    def __init__(self, box: QWidget, get_text: Callable[[], str], set_text: Callable[[str], None]) -> None:
        self.recent: list[str] = []
        self._get = get_text
        self._set = set_text
        self._stepper: Stepper | None = None
        self._last_set: str | None = None
        for keys, step in (("Ctrl+Up", self.older), ("Ctrl+Down", self.newer)):
            shortcut = QShortcut(QKeySequence(keys), box)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(step)

    def _current(self) -> Stepper:
        text = self._get()
        if self._stepper is None or text != self._last_set:  # the person typed: start again from here
            self._stepper = Stepper(self.recent, text)
        return self._stepper

    def older(self) -> None:
        self._show(self._current().older())

    def newer(self) -> None:
        self._show(self._current().newer())

    def _show(self, text: str) -> None:
        self._last_set = text
        self._set(text)


__all__ = ["PromptHistoryDialog", "PromptStepping"]
