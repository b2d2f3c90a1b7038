"""A segmented choice between two groups of media fields that the API will not take together
(first/last frame images versus reference images).

Only the chosen group is shown and sent; the other group's entries are kept aside (so switching
back loses nothing) with a note saying they will not be sent. The rule is therefore visible in
the UI itself instead of surfacing as an error after the user filled both.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from seedance_desktop.api.spec import FieldSpec, ModelSpec
from seedance_desktop.ui.form.form_fields import with_mnemonic
from seedance_desktop.ui.form.media_inspector import MediaInspector
from seedance_desktop.ui.form.media_list import MediaList
from seedance_desktop.ui.form.recent_folder import RecentFolder
from seedance_desktop.ui.style import MessageLabel, hint_label


def group_title(specs: list[FieldSpec]) -> str:
    """"First / last frame" for (First frame, Last frame); the label for one field."""
    labels = [s.label for s in specs]
    if len(labels) == 2:
        a, b = (label.split() for label in labels)
        if len(a) == 2 and len(b) == 2 and a[1] == b[1]:
            return f"{a[0]} / {b[0].lower()} {a[1]}"
    return " + ".join(labels)


class ExclusiveChoice(QWidget):
    mode_changed = Signal(int)

    def __init__(
        self,
        spec: ModelSpec,
        pair: tuple[tuple[str, ...], tuple[str, ...]],
        inspector: MediaInspector,
        used_mnemonics: set[str],
        parent: QWidget | None = None,
        *,
        recent: RecentFolder | None = None,
    ) -> None:
        super().__init__(parent)
        groups = ([spec.field(n) for n in pair[0]], [spec.field(n) for n in pair[1]])
        self.groups = groups
        self.lists = lists = {f.name: MediaList(f, inspector, self, recent=recent) for f in groups[0] + groups[1]}
        titles = [group_title(g) for g in groups]
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(True)
        segment = QHBoxLayout()
        segment.setContentsMargins(0, 0, 0, 0)
        segment.setSpacing(0)
        self.stack = QStackedWidget(self)
        for index, (group, title) in enumerate(zip(groups, titles)):
            button = QPushButton(title, self)
            button.setCheckable(True)
            button.setAccessibleName(f"Use {title.lower()}")
            button.setToolTip(" ".join(s.help for s in group))
            self.buttons.addButton(button, index)
            segment.addWidget(button)
            page = QWidget(self.stack)
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # label above: room for the list
            for field_spec in group:
                label = QLabel(with_mnemonic(field_spec.label, used_mnemonics) + ":", page)
                label.setBuddy(lists[field_spec.name].list)
                form.addRow(label, lists[field_spec.name])
            self.stack.addWidget(page)
        segment.addStretch(1)
        self.hint = hint_label(
            f"The API takes {titles[0].lower()} images or {titles[1].lower()}, not both: "
            "only the selected group is sent.", self
        )
        self.aside = MessageLabel(self, kind="warning")
        self.message = MessageLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(segment)
        layout.addWidget(self.hint)
        layout.addWidget(self.stack)
        layout.addWidget(self.aside)
        layout.addWidget(self.message)
        for lst in lists.values():
            lst.changed.connect(self._update_aside)
        self.buttons.idToggled.connect(self._on_toggled)
        self.set_mode(0)

    def mode(self) -> int:
        return self.buttons.checkedId()

    def set_mode(self, mode: int) -> None:
        self.buttons.button(mode).setChecked(True)
        self._show_page(mode)
        self._update_aside()

    def _show_page(self, mode: int) -> None:
        """A stacked widget is as tall as its tallest page; hidden pages are told to take no
        room so the section is only as tall as what is shown."""
        for index in range(self.stack.count()):
            policy = QSizePolicy.Policy.Preferred if index == mode else QSizePolicy.Policy.Ignored
            page = self.stack.widget(index)
            if page is not None:
                page.setSizePolicy(policy, policy)
        self.stack.setCurrentIndex(mode)
        self.stack.adjustSize()

    def _on_toggled(self, mode: int, checked: bool) -> None:
        if checked:
            self._show_page(mode)
            for index, group in enumerate(self.groups):
                for spec in group:
                    self.lists[spec.name].setEnabled(index == mode)
            self._update_aside()
            self.mode_changed.emit(mode)

    def active_fields(self) -> list[str]:
        return [s.name for s in self.groups[max(self.mode(), 0)]]

    def inactive_fields(self) -> list[str]:
        return [s.name for s in self.groups[1 - max(self.mode(), 0)]]

    def focus_widget(self) -> QWidget:
        return self.buttons.button(max(self.mode(), 0))

    def _update_aside(self) -> None:
        kept = sum(len(self.lists[name].entries()) for name in self.inactive_fields())
        if kept:
            other_button, chosen_button = self.buttons.button(1 - max(self.mode(), 0)), self.buttons.checkedButton()
            other = other_button.text().lower() if other_button is not None else "other"
            chosen = chosen_button.text().lower() if chosen_button is not None else "the other choice"
            self.aside.set_message(
                f"{kept} {other} entr{'y' if kept == 1 else 'ies'} kept aside and NOT sent while {chosen} is selected.",
                "warning",
            )
        else:
            self.aside.set_message("", "warning")

    def set_error(self, text: str) -> None:
        self.message.set_message(text, "error")
