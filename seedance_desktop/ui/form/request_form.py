"""The request form, generated from the model spec (``api.spec.MODELS``).

Nothing here names a particular model: the fields, their editors, the advanced section and the
frame/reference exclusivity all come from the ``ModelSpec``. Switching models rebuilds the fields
and carries over every value the new model understands.

Validation runs as you type (debounced) through ``api.validate`` on exactly what would be sent;
each field shows its own message and Submit stays disabled with the reason while anything is
wrong, including problems with local files found by the media inspector.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MODELS, FieldKind, MediaKind, ModelSpec, get_model
from seedance_desktop.core.job import InputFile
from seedance_desktop.ui.form.exclusive_choice import ExclusiveChoice
from seedance_desktop.ui.form.form_export import curl_command, request_json
from seedance_desktop.ui.form.form_fields import BoolEditor, FieldEditor, SeedEditor, make_editor, with_mnemonic
from seedance_desktop.ui.form.form_validation import validate_request
from seedance_desktop.api.urls import is_remote
from seedance_desktop.ui.form.form_values import cost_text, merge_recipe, split_media
from seedance_desktop.ui.form.media_inspector import MediaInspector, media_kind_of
from seedance_desktop.ui.form.media_list import MediaList, urls_to_sources
from seedance_desktop.ui.form.prompt_editor import PromptEditor
from seedance_desktop.ui.style import CollapsibleSection, MessageLabel, NoticeLabel, chain_tab_order, layout_focus_order

VALIDATE_DELAY_MS = 150
PENDING_NOTE = "Checking local files… You can submit now: each file is checked again before upload."
_RESERVED_MNEMONICS = {"m", "s", "j", "u", "a", "x"}  # Model, Submit, JSON, curl, Advanced, Fixed


class RequestForm(QWidget):
    """Signals: ``submit_requested(model, request, inputs)``: request values without local
    paths, ``inputs`` a list of ``InputFile`` naming each local file's field and index;
    ``validity_changed(valid, reason)``."""

    submit_requested = Signal(str, dict, list)
    validity_changed = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None, *, inspector: MediaInspector | None = None,
                 model: str = DEFAULT_MODEL) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.inspector = inspector or MediaInspector(self)
        self._base_url: str | None = None
        self._prices: dict[str, dict[str, float]] = {}
        self._last_seed: int | None = None
        self._valid: bool | None = None
        self._reason = ""
        self.spec: ModelSpec = MODELS.get(model) or get_model(DEFAULT_MODEL)  # a stale setting is no crash

        self.model_combo = QComboBox(self)
        for slug, spec in MODELS.items():
            self.model_combo.addItem(spec.title, slug)
        self.model_combo.setAccessibleName("Model")
        model_label = QLabel("&Model:", self)
        model_label.setBuddy(self.model_combo)
        top = QHBoxLayout()
        top.addWidget(model_label)
        top.addWidget(self.model_combo, 1)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields take focus, not the frame

        self.status = MessageLabel(self)
        self.cost_label = QLabel(self)
        self.cost_label.setAccessibleName("Estimated cost")
        self.cost_label.setToolTip("Estimated from the price per second; the real charge is shown when the job finishes.")
        self.notice = NoticeLabel(self)  # transient feedback, apart from validation
        self.copy_json_button = QPushButton("Copy request as &JSON", self)
        self.copy_curl_button = QPushButton("Copy as c&url", self)
        self.submit_button = QPushButton("&Submit", self)
        self.submit_button.setDefault(True)
        self.submit_action = QAction("Submit", self)
        self.submit_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.submit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.submit_action)
        bottom = QHBoxLayout()
        bottom.addWidget(self.cost_label, 1)
        for button in (self.copy_json_button, self.copy_curl_button, self.submit_button):
            bottom.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.notice)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.model_combo.currentIndexChanged.connect(lambda i: self.set_model(self.model_combo.itemData(i)))
        self.submit_button.clicked.connect(self.submit)
        self.submit_action.triggered.connect(self.submit)
        self.copy_json_button.clicked.connect(self.copy_json)
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self._build(self.spec)
        self.validate_now()

    # ----- building -------------------------------------------------------------------------
    def _build(self, spec: ModelSpec) -> None:
        """(Re)create every field widget for ``spec`` inside the scroll area."""
        self.spec = spec
        self.editors: dict[str, FieldEditor] = {}
        self.media: dict[str, MediaList] = {}
        self.prompt: PromptEditor | None = None
        self.choice: ExclusiveChoice | None = None
        used = set(_RESERVED_MNEMONICS)
        old = self.scroll_area.takeWidget()
        if old is not None:
            for lst in old.findChildren(MediaList):
                lst.detach()
            old.deleteLater()
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        exclusive = {name for pair in spec.exclusive for side in pair for name in side}

        inputs_box = QGroupBox("Inputs", content)
        inputs_form = QFormLayout(inputs_box)
        inputs_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # labels above: lists get the width
        output_box = QGroupBox("Output", content)
        output_form = QFormLayout(output_box)
        self.advanced = CollapsibleSection("&Advanced", content)
        advanced_form = self.advanced.form
        for f in spec.fields:
            if f.kind is FieldKind.TEXT:
                box = QGroupBox(with_mnemonic(f.label, used), content)
                self.prompt = PromptEditor(f, box)
                QVBoxLayout(box).addWidget(self.prompt)
                self.prompt.changed.connect(self.schedule_validation)
                column.addWidget(box)
            elif f.kind in (FieldKind.MEDIA, FieldKind.MEDIA_LIST):
                if f.name in exclusive:
                    if self.choice is None:
                        self._add_exclusive(spec, inputs_box, inputs_form, used)
                    continue
                lst = MediaList(f, self.inspector, inputs_box)
                lst.model = spec.slug
                lst.changed.connect(self._on_media_changed)
                self.media[f.name] = lst
                label = QLabel(with_mnemonic(f.label, used) + ":", inputs_box)
                label.setBuddy(lst.list)
                inputs_form.addRow(label, lst)
            else:
                editor = make_editor(f, content)
                if editor is None:
                    continue
                self.editors[f.name] = editor
                editor.changed.connect(self.schedule_validation)
                form = advanced_form if f.advanced else output_form
                if isinstance(editor, BoolEditor):
                    editor.check.setText(with_mnemonic(f.label, used))
                    form.addRow("", editor)
                else:
                    label = QLabel(with_mnemonic(f.label, used) + ":", content)
                    label.setBuddy(editor.focus_widget())
                    label.setToolTip(f.help)
                    form.addRow(label, editor)
                if isinstance(editor, SeedEditor):
                    editor.set_last_seed(self._last_seed)
        for box in (inputs_box, output_box):
            layout = box.layout()
            if layout is not None and layout.count():
                column.addWidget(box)
            else:
                box.deleteLater()
        if advanced_form.rowCount():
            column.addWidget(self.advanced)
        else:
            self.advanced.hide()
        column.addStretch(1)
        self.scroll_area.setWidget(content)
        self.model_combo.blockSignals(True)  # a rebuild is not a user's model choice
        self.model_combo.setCurrentIndex(self.model_combo.findData(spec.slug))
        self.model_combo.blockSignals(False)
        self._update_counts()

    def _add_exclusive(self, spec: ModelSpec, parent: QWidget, form: QFormLayout, used: set[str]) -> None:
        self.choice = ExclusiveChoice(spec, spec.exclusive[0], self.inspector, used, parent)
        self.media.update(self.choice.lists)
        for lst in self.choice.lists.values():
            lst.model = spec.slug
            lst.changed.connect(self._on_media_changed)
        self.choice.mode_changed.connect(self._on_media_changed)
        kind = self.choice.groups[0][0].media
        label = QLabel(f"{kind.value.capitalize()}s:" if kind else "Inputs:", parent)
        label.setBuddy(self.choice.focus_widget())
        form.addRow(label, self.choice)

    def set_model(self, slug: str) -> None:
        """Switch models, keeping every value the new model has a field for."""
        if slug == self.spec.slug or slug not in MODELS:
            return
        raw = self._raw_values()
        mode = self.choice.mode() if self.choice is not None else 0
        self._build(get_model(slug))
        self._apply_raw(raw)
        if self.choice is not None:
            self.choice.set_mode(mode)
        self.validate_now()

    # ----- values ---------------------------------------------------------------------------
    def _raw_values(self) -> dict[str, Any]:
        """Everything in the widgets, local paths included (for rebuilding)."""
        raw: dict[str, Any] = {name: e.value() for name, e in self.editors.items()}
        if self.prompt is not None:
            raw[self.prompt.spec.name] = self.prompt.text()
        for name, lst in self.media.items():
            raw[name] = lst.entries()
        return raw

    def _apply_raw(self, raw: dict[str, Any]) -> None:
        for name, value in raw.items():
            if self.prompt is not None and name == self.prompt.spec.name:
                self.prompt.set_text(str(value))
            elif name in self.editors:
                self.editors[name].set_value(value)
            elif name in self.media:
                entries = value if isinstance(value, list) else ([value] if value else [])
                self.media[name].set_entries([str(v) for v in entries])

    def _active_media(self) -> dict[str, MediaList]:
        inactive = set(self.choice.inactive_fields()) if self.choice is not None else set()
        return {n: lst for n, lst in self.media.items() if n not in inactive}

    def _collect(self) -> tuple[dict[str, Any], list[InputFile], dict[str, Any]]:
        """(request without local paths, inputs, values to validate with placeholders)."""
        scalars: dict[str, Any] = {}
        if self.prompt is not None:
            scalars[self.prompt.spec.name] = self.prompt.text()
        scalars.update({name: editor.value() for name, editor in self.editors.items()})
        media = {name: lst.entries() for name, lst in self._active_media().items()}
        return split_media(self.spec, scalars, media)

    def recipe(self) -> tuple[str, dict[str, Any], list[InputFile]]:
        request, inputs, _ = self._collect()
        return self.spec.slug, request, inputs

    def set_recipe(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> None:
        """Load a job's recipe (duplicate into the form): locals go back to their positions."""
        if model not in MODELS:
            self.notice.flash(f"This recipe uses {model}, which this version does not support.", "error")
            return
        if model != self.spec.slug:
            self._build(get_model(model))
        raw = merge_recipe(self.spec, request, inputs)
        self._apply_raw(raw)
        if self.choice is not None:
            right_used = any(raw.get(n) for n in [s.name for s in self.choice.groups[1]])
            left_used = any(raw.get(n) for n in [s.name for s in self.choice.groups[0]])
            self.choice.set_mode(1 if right_used and not left_used else 0)
        self.validate_now()

    def add_media_paths(self, paths: list[str]) -> list[str]:
        """Route files by type (videos, images, audio); returns those that found no place."""
        refused: list[str] = []
        for path in (os.path.abspath(p) for p in paths):
            kind = media_kind_of(path)
            targets = [lst for lst in self._active_media().values() if lst.kind is kind]
            target = next((t for t in targets if len(t.entries()) < t.max_items), targets[0] if targets else None)
            if target is None:
                refused.append(path)
            else:
                refused.extend(target.add_sources([path]))
        if refused:
            names = ", ".join(p.rsplit("/", 1)[-1] for p in refused)
            self.notice.flash(f"Not added: {names} (unsupported type or the field is full).", "warning")
        return refused

    # ----- settings -------------------------------------------------------------------------
    def set_base_url(self, url: str) -> None:
        self._base_url = url

    def set_prices(self, prices: dict[str, dict[str, float]]) -> None:
        """Per-model price tables from settings (slug -> resolution -> USD per second)."""
        self._prices = dict(prices)
        self._update_cost()

    def set_last_seed(self, seed: int | None) -> None:
        self._last_seed = seed
        for editor in self.editors.values():
            if isinstance(editor, SeedEditor):
                editor.set_last_seed(seed)

    # ----- validation -----------------------------------------------------------------------
    def schedule_validation(self) -> None:
        self._timer.start()

    def _on_media_changed(self) -> None:
        self._update_counts()
        self.schedule_validation()

    def _fix_tab_order(self) -> None:
        content = self.scroll_area.widget()
        inner = layout_focus_order(content) if content is not None else []
        chain_tab_order([self.model_combo, *inner, self.copy_json_button, self.copy_curl_button, self.submit_button])

    def _update_counts(self) -> None:
        if self.prompt is not None:
            counts: dict[MediaKind, int] = {}
            for lst in self._active_media().values():
                counts[lst.kind] = counts.get(lst.kind, 0) + len(lst.entries())
            self.prompt.set_counts(counts)
        self._fix_tab_order()  # chips may have been rebuilt

    def validate_now(self) -> bool:
        self._timer.stop()
        _, _, checked = self._collect()
        by_field: dict[str, list[str]] = {}
        for error in validate_request(self.spec, checked):
            by_field.setdefault(error.field, []).append(error.message)
        reasons: list[str] = []
        fields: dict[str, FieldEditor | PromptEditor] = dict(self.editors)
        if self.prompt is not None:
            fields = {self.prompt.spec.name: self.prompt, **fields}
        for name, editor in fields.items():
            local = [editor.local_problem()] if isinstance(editor, FieldEditor) else []
            text = " ".join([*by_field.pop(name, []), *filter(None, local)])
            editor.set_error(text)
            reasons += [text] if text else []
        pending = False
        choice_errors: list[str] = []
        for name, lst in self.media.items():
            texts = by_field.pop(name, [])
            if self.choice is not None and name in self.choice.active_fields() + self.choice.inactive_fields():
                choice_errors += texts
                texts = []
            if name in self._active_media():
                texts += lst.local_problems()
                pending = pending or any(self.inspector.cached(p) is None for p in lst.local_paths())
            lst.set_error(" ".join(texts))
            reasons += texts
        if self.choice is not None:
            self.choice.set_error(" ".join(choice_errors))
            reasons += choice_errors
        for leftover in by_field.values():
            reasons += leftover
        # A file still being checked does not hold Submit: the job's PREPARING step checks every
        # input again (same words) before anything is uploaded, and a problem found here first
        # disables Submit as soon as the check answers.
        valid = not reasons
        reason = reasons[0] if reasons else ""
        self.submit_button.setEnabled(valid)
        self.submit_action.setEnabled(valid)
        self.submit_button.setToolTip("Submit (Ctrl+Enter)" if valid else "Cannot submit yet:\n" + "\n".join(reasons))
        if valid:
            self.status.set_message(PENDING_NOTE if pending else "", "info")
        else:
            self.status.set_message(reason, "error")
        self._update_cost()
        if (valid, reason) != (self._valid, self._reason):
            self._valid, self._reason = valid, reason
            self.validity_changed.emit(valid, reason)
        return valid

    def is_valid(self) -> bool:
        return bool(self._valid)

    def invalid_reason(self) -> str:
        return self._reason

    def _update_cost(self) -> None:
        values = {name: editor.value() for name, editor in self.editors.items()}
        self.cost_label.setText(cost_text(self.spec, values, self._prices.get(self.spec.slug)))

    # ----- actions --------------------------------------------------------------------------
    def submit(self) -> None:
        if not self.validate_now():
            return
        model, request, inputs = self.recipe()
        self.submit_requested.emit(model, request, inputs)
        self.notice.flash("Added to the queue. Change anything and submit again for another job.")

    def copy_json(self) -> None:
        _, request, inputs = self.recipe()
        QGuiApplication.clipboard().setText(request_json(self.spec, request, inputs))
        self.notice.flash("Request copied as JSON.")

    def copy_curl(self) -> None:
        _, request, inputs = self.recipe()
        QGuiApplication.clipboard().setText(curl_command(self.spec, request, inputs, self._base_url))
        self.notice.flash("curl command copied; it reads the key from $MODELLIX_API_KEY.")

    # ----- drag and drop onto the whole form ------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        sources = [s for s in urls_to_sources(event.mimeData().urls()) if not is_remote(s)]
        if sources:
            event.acceptProposedAction()
            self.add_media_paths(sources)

