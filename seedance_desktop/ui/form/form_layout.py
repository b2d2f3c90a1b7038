"""The form's fields laid out for one model spec: what must fit above the fold comes first.

Order: the prompt, the media the model needs (reference videos; images for image to video),
a row of drawers for optional media (``media_drawer``: images, audio), then the output settings
in a two-column grid (resolution | ratio, duration, the seed on its own row, check boxes two a
row), then "Advanced". At 1366x768 the prompt, the videos and every output setting are in view
without scrolling; at 1024x700 the form stays usable (it scrolls vertically, never sideways).

``build_parts`` only creates and places widgets; the form connects their signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from seedance_desktop.api.spec import FieldKind, MediaKind, ModelSpec
from seedance_desktop.ui.form.exclusive_choice import ExclusiveChoice
from seedance_desktop.ui.form.form_fields import BoolEditor, FieldEditor, SeedEditor, make_editor, with_mnemonic
from seedance_desktop.ui.form.media_drawer import MediaDrawer
from seedance_desktop.ui.form.media_inspector import MediaInspector
from seedance_desktop.ui.form.media_list import MediaList
from seedance_desktop.ui.form.prompt_editor import PromptEditor
from seedance_desktop.ui.form.recent_folder import RecentFolder
from seedance_desktop.ui.style import CollapsibleSection

DRAWER_TITLES = {MediaKind.IMAGE: "Images", MediaKind.AUDIO: "Audio", MediaKind.VIDEO: "Videos"}


@dataclass
class FormParts:
    content: QWidget
    advanced: CollapsibleSection
    editors: dict[str, FieldEditor] = field(default_factory=dict)
    media: dict[str, MediaList] = field(default_factory=dict)
    drawers: dict[MediaKind, MediaDrawer] = field(default_factory=dict)
    drawer_of: dict[str, MediaDrawer] = field(default_factory=dict)  # media field -> its drawer
    prompt: PromptEditor | None = None
    choice: ExclusiveChoice | None = None


def is_primary(spec: ModelSpec, names: list[str]) -> bool:
    """Media the model needs are shown open; the rest are optional drawers."""
    return any(spec.field(n).required or n in spec.requires_any_of for n in names)


def build_parts(spec: ModelSpec, inspector: MediaInspector, recent: RecentFolder, used: set[str],
                last_seed: int | None) -> FormParts:
    """Every field widget for ``spec``, placed in a new content widget. ``used`` holds the
    mnemonic letters taken already (each label gets a distinct Alt+letter)."""
    content = QWidget()
    column = QVBoxLayout(content)
    column.setContentsMargins(0, 0, 4, 0)
    column.setSpacing(6)
    advanced = CollapsibleSection("&Advanced", content)
    advanced.toggle.setToolTip("Settings most requests leave alone (task expiry)")
    parts = FormParts(content, advanced)
    exclusive = [name for pair in spec.exclusive for side in pair for name in side]

    primary_form = QFormLayout()
    primary_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # labels above: lists get the width
    primary_form.setContentsMargins(0, 0, 0, 0)
    drawer_row = QHBoxLayout()
    drawer_row.setContentsMargins(0, 0, 0, 0)
    drawer_bodies = QVBoxLayout()
    drawer_bodies.setContentsMargins(0, 0, 0, 0)
    output_box = QGroupBox("Output", content)
    output_grid = QGridLayout(output_box)
    output_grid.setHorizontalSpacing(8)
    output_grid.setVerticalSpacing(4)
    output_grid.setColumnStretch(1, 1)
    output_grid.setColumnStretch(3, 1)
    pairs: list[tuple[QLabel, FieldEditor]] = []
    wide: list[tuple[QLabel, FieldEditor]] = []
    checks: list[FieldEditor] = []
    media_done: set[str] = set()

    def drawer(kind: MediaKind, tooltip: str) -> MediaDrawer:
        if kind not in parts.drawers:
            title = DRAWER_TITLES[kind]
            d = MediaDrawer(title, with_mnemonic(title, used), tooltip, content)
            parts.drawers[kind] = d
            drawer_row.addWidget(d.toggle)
            drawer_bodies.addWidget(d.body)
        return parts.drawers[kind]

    def exclusive_choice(parent: QWidget) -> ExclusiveChoice:
        choice = ExclusiveChoice(spec, spec.exclusive[0], inspector, used, parent, recent=recent)
        parts.choice = choice
        parts.media.update(choice.lists)
        for lst in choice.lists.values():
            lst.model = spec.slug
        return choice

    for f in spec.fields:
        if f.kind is FieldKind.TEXT:
            box = QGroupBox(with_mnemonic(f.label, used), content)
            parts.prompt = PromptEditor(f, box)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(6, 4, 6, 4)
            box_layout.addWidget(parts.prompt)
            column.addWidget(box)
            column.addLayout(primary_form)
            column.addLayout(drawer_row)
            column.addLayout(drawer_bodies)
        elif f.kind in (FieldKind.MEDIA, FieldKind.MEDIA_LIST):
            if f.name in media_done:
                continue
            if f.name in exclusive:
                media_done.update(exclusive)
                if is_primary(spec, exclusive):
                    choice = exclusive_choice(content)
                    kind = choice.groups[0][0].media
                    label = QLabel(f"{kind.value.capitalize()}s:" if kind else "Inputs:", content)
                    label.setBuddy(choice.focus_widget())
                    primary_form.addRow(label, choice)
                else:
                    d = drawer(MediaKind.IMAGE, "Optional images: first/last frame or reference images")
                    d.column.addWidget(exclusive_choice(d.body))
                    for name in exclusive:
                        parts.drawer_of[name] = d
                continue
            media_done.add(f.name)
            if is_primary(spec, [f.name]):
                lst = MediaList(f, inspector, content, recent=recent)
                label = QLabel(with_mnemonic(f.label, used) + ":", content)
                label.setBuddy(lst.list)
                label.setToolTip(f.help)
                primary_form.addRow(label, lst)
            else:
                assert f.media is not None
                d = drawer(f.media, f"Optional: {f.help}")
                lst = MediaList(f, inspector, d.body, recent=recent)
                d.column.addWidget(lst)
                parts.drawer_of[f.name] = d
            lst.model = spec.slug
            parts.media[f.name] = lst
        else:
            editor = make_editor(f, content)
            if editor is None:
                continue
            parts.editors[f.name] = editor
            if isinstance(editor, BoolEditor):
                editor.check.setText(with_mnemonic(f.label, used))
                if f.advanced:
                    advanced.form.addRow("", editor)
                else:
                    checks.append(editor)
                continue
            label = QLabel(with_mnemonic(f.label, used) + ":", content)
            label.setBuddy(editor.focus_widget())
            label.setToolTip(f.help)
            if f.advanced:
                advanced.form.addRow(label, editor)
            elif isinstance(editor, SeedEditor):
                editor.set_last_seed(last_seed)
                wide.append((label, editor))
            else:
                pairs.append((label, editor))
    drawer_row.addStretch(1)
    for i, (label, editor) in enumerate(pairs):  # two settings a row
        output_grid.addWidget(label, i // 2, 2 * (i % 2))
        output_grid.addWidget(editor, i // 2, 2 * (i % 2) + 1)
    row = (len(pairs) + 1) // 2
    for label, editor in wide:  # the seed: a check box, the number and "Reuse last seed"
        output_grid.addWidget(label, row, 0)
        output_grid.addWidget(editor, row, 1, 1, 3)
        row += 1
    for i, editor in enumerate(checks):
        output_grid.addWidget(editor, row + i // 2, 2 * (i % 2), 1, 2)
    if output_grid.count():
        column.addWidget(output_box)
    else:
        output_box.deleteLater()
    if advanced.form.rowCount():
        column.addWidget(advanced)
    else:
        advanced.hide()
    column.addStretch(1)
    return parts
