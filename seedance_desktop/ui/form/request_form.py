"""The request form, generated from the model spec (``api.spec.MODELS``).

Nothing here names a particular model: the fields, their editors, the advanced section and the
frame/reference exclusivity all come from the ``ModelSpec``. The layout keeps what most
requests need above the fold at 1366x768 and usable at 1024x700: the prompt, the required
media, then the output settings in a two-column grid; optional media (images for video to
video, audio) are drawers that stay closed until used (``media_drawer``).

Validation runs as you type (debounced) through ``api.validate`` on exactly what would be sent;
each field shows its own message and Submit stays disabled with the reason while anything is
wrong, including problems with local files found by the media inspector. While the window is
still loading (``loading=True`` until :meth:`set_loading`), and on an empty form nobody has
touched, no red messages are shown: only a neutral line says what is needed.

Switching models keeps every value the new model has a field for and holds the others (v2v ->
i2v -> v2v keeps the videos). Replacing the form (a recipe, a model switch that hides values)
can be undone with Ctrl+Z or the Undo button (``form_undo``).
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any, Callable, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
    QVBoxLayout, QWidget,
)

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MODELS, FieldKind, MediaKind, ModelSpec, get_model
from seedance_desktop.api.urls import is_remote
from seedance_desktop.core.duplicates import is_random
from seedance_desktop.core.job import InputFile
from seedance_desktop.ui.form.form_export import curl_command, request_json
from seedance_desktop.ui.form.form_fields import FieldEditor, SeedEditor
from seedance_desktop.ui.form.form_layout import build_parts
from seedance_desktop.ui.form.form_undo import FormSnapshot, UndoBar, UndoStack
from seedance_desktop.ui.form.form_validation import validate_request
from seedance_desktop.ui.form.form_values import cost_text, merge_recipe, recipe_edits, split_media
from seedance_desktop.ui.form.media_inspector import MediaInspector, media_kind_of
from seedance_desktop.ui.form.media_list import MediaList, set_drop_highlight, urls_to_sources
from seedance_desktop.ui.form.prompt_editor import PromptEditor
from seedance_desktop.ui.form.recent_folder import RecentFolder
from seedance_desktop.ui.style import MessageLabel, NoticeLabel, chain_tab_order, layout_focus_order

if TYPE_CHECKING:
    from seedance_desktop.media.edit import Selection
    from seedance_desktop.ui.studio.trim_dialog import TrimDialog

VALIDATE_DELAY_MS = 150
PENDING_NOTE = "Checking local files… You can submit now: each file is checked again before upload."
_RESERVED_MNEMONICS = {"m", "s", "j", "u", "a", "x"}  # Model, Submit, JSON, curl, Advanced, Fixed
_CHECKING_REPEATS = "Looking for an identical job…"


class DuplicateCheck(Protocol):
    """Looks for identical queued or finished recipes (off the GUI thread) and answers with a
    warning ("" when there is none) through ``reply``, on the GUI thread."""

    def __call__(self, model: str, request: dict[str, Any], inputs: list[InputFile],
                 reply: Callable[[str], None]) -> None: ...


class RequestForm(QWidget):
    """Signals: ``submit_requested(model, request, inputs)``: request values without local
    paths, ``inputs`` a list of ``InputFile`` naming each local file's field and index;
    ``validity_changed(valid, reason)``."""

    submit_requested = Signal(str, dict, list)
    validity_changed = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None, *, inspector: MediaInspector | None = None,
                 model: str = DEFAULT_MODEL, loading: bool = False, recent: RecentFolder | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.inspector = inspector or MediaInspector(self)
        self.recent = recent or RecentFolder(parent=self)
        self._base_url: str | None = None
        self._prices: dict[str, dict[str, float]] = {}
        self._demo = False
        self._last_seed: int | None = None
        self._valid: bool | None = None
        self._reason = ""
        self._loading = loading
        self._quiet = loading           # no red messages until loaded, touched or submitted
        self._baseline: dict[str, Any] = {}
        self._applying = 0
        self._touched: set[str] = set()  # fields the person changed while quiet
        self._held: dict[str, Any] = {}  # values of fields the current model lacks
        self._undo = UndoStack()
        self._duplicate_check: DuplicateCheck | None = None
        self._confirm_repeat = ""        # the warning the user has seen for this exact recipe
        self._checking = False
        self._confirmed_recipe: tuple[str, dict[str, Any], list[InputFile]] | None = None
        self.spec: ModelSpec = MODELS.get(model) or get_model(DEFAULT_MODEL)  # a stale setting is no crash

        self.model_combo = QComboBox(self)
        for slug, spec in MODELS.items():
            self.model_combo.addItem(spec.title, slug)
        self.model_combo.setAccessibleName("Model")
        self.model_combo.setToolTip("The generation model. Switching keeps your inputs (Ctrl+Z undoes it).")
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(16)
        model_label = QLabel("&Model:", self)
        model_label.setBuddy(self.model_combo)
        top = QHBoxLayout()
        top.addWidget(model_label)
        top.addWidget(self.model_combo, 1)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields take focus, not the frame
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.status = MessageLabel(self)
        self.notice = NoticeLabel(self)  # transient feedback, apart from validation
        self.trim_dialog: TrimDialog | None = None   # the last trim editor opened (tests, screenshots)
        self.repeat_warning = MessageLabel(self, kind="warning")
        self.undo_bar = UndoBar(self)
        self.copy_json_button = QPushButton("&JSON", self)
        self.copy_json_button.setToolTip("Copy the request as JSON (local files are named, not embedded)")
        self.copy_json_button.setAccessibleName("Copy request as JSON")
        self.copy_curl_button = QPushButton("c&url", self)
        self.copy_curl_button.setToolTip("Copy a curl command for this request (it reads the key from $MODELLIX_API_KEY)")
        self.copy_curl_button.setAccessibleName("Copy as curl")
        self.submit_button = QPushButton("&Submit", self)
        self.submit_button.setDefault(True)
        self.submit_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.submit_action = QAction("Submit", self)
        self.submit_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.submit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.submit_action)
        self.undo_action = QAction("Undo form change", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setEnabled(False)
        self.addAction(self.undo_action)
        bottom = QHBoxLayout()
        for button in (self.copy_json_button, self.copy_curl_button, self.submit_button):
            bottom.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.repeat_warning)
        layout.addWidget(self.notice)
        layout.addWidget(self.undo_bar)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.model_combo.currentIndexChanged.connect(lambda i: self.set_model(self.model_combo.itemData(i), user=True))
        self.submit_button.clicked.connect(self.submit)
        self.submit_action.triggered.connect(self.submit)
        self.undo_action.triggered.connect(self.undo)
        self.undo_bar.undo_clicked.connect(self.undo)
        self.copy_json_button.clicked.connect(self.copy_json)
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self._build(self.spec)
        self._baseline = self._raw_values()
        self.validate_now()

    # ----- building -------------------------------------------------------------------------
    def _build(self, spec: ModelSpec) -> None:
        """(Re)create every field widget for ``spec`` inside the scroll area (``form_layout``)."""
        old = self.scroll_area.takeWidget()
        if old is not None:
            for lst in old.findChildren(MediaList):
                lst.detach()
            old.deleteLater()
        parts = build_parts(spec, self.inspector, self.recent, set(_RESERVED_MNEMONICS), self._last_seed)
        self.spec = spec
        self.editors, self.media, self.drawers = parts.editors, parts.media, parts.drawers
        self._drawer_of = parts.drawer_of
        self.prompt, self.choice, self.advanced = parts.prompt, parts.choice, parts.advanced
        if self.prompt is not None:
            self.prompt.changed.connect(self.schedule_validation)
        for editor in self.editors.values():
            editor.changed.connect(self.schedule_validation)
        for name, lst in self.media.items():
            lst.changed.connect(self._on_media_changed)
            lst.trim_requested.connect(lambda row, name=name: self.open_trim(name, row))
        if self.choice is not None:
            self.choice.mode_changed.connect(self._on_media_changed)
        self.scroll_area.setWidget(parts.content)
        # Never narrower than the fields (no horizontal scrolling): the splitter keeps this.
        bar = self.scroll_area.verticalScrollBar().sizeHint().width()
        self.scroll_area.setMinimumWidth(parts.content.minimumSizeHint().width() + bar)
        self.model_combo.blockSignals(True)  # a rebuild is not a user's model choice
        self.model_combo.setCurrentIndex(self.model_combo.findData(spec.slug))
        self.model_combo.blockSignals(False)
        self._update_counts()

    def set_model(self, slug: str, *, user: bool = False) -> None:
        """Switch models, keeping every value the new model has a field for; values of fields
        it lacks are held and come back when a model with those fields is chosen again."""
        if slug == self.spec.slug or slug not in MODELS:
            return
        before = self.snapshot()
        raw = self._raw_values()
        edits = self._media_edits()
        new = get_model(slug)
        hidden = [n for n, v in raw.items() if not new.has_field(n) and _filled(v)]
        held = {**self._held, **{n: raw.pop(n) for n in list(raw) if not new.has_field(n)}}
        for name in [n for n in held if new.has_field(n)]:
            if not _filled(raw.get(name)):
                raw[name] = held[name]
            del held[name]
        self._held = {n: v for n, v in held.items() if _filled(v)}
        with self._programmatic():
            self._build(new)
            self._apply_raw(raw)
            self._apply_edits(edits)
            if self.choice is not None:
                self.choice.set_mode(before.mode)
        if user and self._has_content(before):
            self._undo.push(before, "model")
            if hidden:
                labels = ", ".join(get_model(before.model).field(n).label.lower() for n in hidden)
                self._offer_undo(f"{new.title} has no {labels}: kept aside, back when you switch again.")
            self.undo_action.setEnabled(True)
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
        with self._programmatic():
            for name, value in raw.items():
                if self.prompt is not None and name == self.prompt.spec.name:
                    self.prompt.set_text(str(value))
                elif name in self.editors:
                    self.editors[name].set_value(value)
                elif name in self.media:
                    entries = value if isinstance(value, list) else ([value] if value else [])
                    self.media[name].set_entries([str(v) for v in entries])

    def _media_edits(self) -> dict[str, list[dict[str, Any] | None]]:
        """Each media field's per-row trim/framing (rows without one are None)."""
        return {name: lst.edits() for name, lst in self.media.items() if any(lst.edits())}

    def _apply_edits(self, edits: dict[str, list[dict[str, Any] | None]]) -> None:
        with self._programmatic():
            for name, rows in edits.items():
                lst = self.media.get(name)
                if lst is not None:
                    for row, edit in enumerate(rows[:lst.list.count()]):
                        if edit:
                            lst.set_edit(row, edit)

    def open_trim(self, field: str, row: int) -> TrimDialog | None:
        """The trim (and framing) editor for the local clip at ``row`` of ``field``; OK writes
        the selection into that row. Non-modal: the form stays usable while it is open.

        One editor at a time: opening another clip closes the open editor (unapplied, as its
        Cancel would), which cancels its filmstrip, so the new clip's strip does not wait behind
        the stale decode. Asking again for the clip already open brings that editor forward."""
        import shiboken6

        from seedance_desktop.media.edit import Selection
        from seedance_desktop.ui.studio.trim_dialog import TrimDialog

        lst = self.media.get(field)
        result = lst.cached_inspection(row) if lst is not None else None
        if lst is None or result is None or not result.duration:
            return None
        item = lst.list.item(row)
        current = lst.input_at(row)
        previous = self.trim_dialog
        if previous is not None and shiboken6.isValid(previous) and previous.isVisible():
            if (previous.field, previous.row_item, previous.path) == (field, item, current.local_path):
                previous.raise_()
                previous.activateWindow()
                return previous
            previous.close()
        others = 0.0
        for other in range(lst.list.count()):
            seen = lst.cached_inspection(other)
            if other == row or seen is None or not seen.duration:
                continue
            edit = lst.input_at(other)
            others += (edit.trim_end - (edit.trim_start or 0.0)) if edit.trim_end is not None else min(seen.duration, 15.0)
        ratio = self.editors["ratio"].value() if "ratio" in self.editors else None
        size = (result.width, result.height) if result.width and result.height else None
        fps = getattr(result.info, "fps", None)
        selection = (Selection(current.trim_start or 0.0, current.trim_end)
                     if current.trim_end is not None else None)
        dialog = TrimDialog(current.local_path, lst.kind, result.duration, fps=fps, size=size, selection=selection,
                            framing=current.framing, ratio=ratio if isinstance(ratio, str) else None,
                            others_seconds=others, parent=self)

        def apply(chosen: Selection, framing: str | None) -> None:
            at = lst.list.row(item)   # the row may have moved while the dialog was open
            if at >= 0:
                lst.set_edit(at, {"trim_start": chosen.start, "trim_end": chosen.end, "framing": framing})
        dialog.field, dialog.row_item = field, item
        dialog.edited.connect(apply)
        dialog.show()
        self.trim_dialog = dialog
        return dialog

    def _programmatic(self) -> _Applying:
        return _Applying(self)

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
        return split_media(self.spec, scalars, media, self._media_edits())

    def recipe(self) -> tuple[str, dict[str, Any], list[InputFile]]:
        request, inputs, _ = self._collect()
        return self.spec.slug, request, inputs

    def set_recipe(self, model: str, request: dict[str, Any], inputs: list[InputFile], *, what: str = "") -> None:
        """Load a job's recipe (duplicate into the form, open recipe, the demo sample): locals go
        back to their positions. What the form held before can be put back with Undo."""
        if model not in MODELS:
            self.notice.flash(f"This recipe uses {model}, which this version does not support.", "error")
            return
        before = self.snapshot()
        with self._programmatic():
            if model != self.spec.slug:
                self._build(get_model(model))
            raw = merge_recipe(self.spec, request, inputs)
            self._apply_raw(raw)
            self._apply_edits(recipe_edits(inputs))
            if self.choice is not None:
                right_used = any(raw.get(n) for n in [s.name for s in self.choice.groups[1]])
                left_used = any(raw.get(n) for n in [s.name for s in self.choice.groups[0]])
                self.choice.set_mode(1 if right_used and not left_used else 0)
        self._held = {}
        self._quiet = False  # a loaded recipe is content: say what is wrong with it
        self._baseline = self._raw_values()
        if self._has_content(before) and self.snapshot().raw != before.raw:
            self._undo.push(before, "recipe")
            self.undo_action.setEnabled(True)
            self._offer_undo(what or "The form was replaced by the recipe.")
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

    # ----- undo -----------------------------------------------------------------------------
    def snapshot(self) -> FormSnapshot:
        mode = self.choice.mode() if self.choice is not None else 0
        return FormSnapshot(self.spec.slug, copy.deepcopy(self._raw_values()), max(mode, 0), copy.deepcopy(self._held),
                            copy.deepcopy(self._media_edits()))

    def _has_content(self, snap: FormSnapshot) -> bool:
        """Worth keeping: anything typed or added (defaults alone are not)."""
        text_fields = {f.name for f in get_model(snap.model).fields
                       if f.kind in (FieldKind.TEXT, FieldKind.MEDIA, FieldKind.MEDIA_LIST)}
        return any(_filled(snap.raw.get(n)) for n in text_fields) or any(_filled(v) for v in snap.held.values())

    def _offer_undo(self, text: str) -> None:
        self.undo_bar.offer(f"{text} Ctrl+Z or Undo puts back what was there.")

    def can_undo(self) -> bool:
        return len(self._undo) > 0

    def undo(self) -> None:
        """Put back the form as it was before the last replacement."""
        item = self._undo.pop()
        self.undo_action.setEnabled(len(self._undo) > 0)
        self.undo_bar.hide()
        if item is None:
            return
        snap, _what = item
        with self._programmatic():
            if snap.model != self.spec.slug:
                self._build(get_model(snap.model))
            self._apply_raw(snap.raw)
            self._apply_edits(snap.edits)
            if self.choice is not None:
                self.choice.set_mode(snap.mode)
        self._held = copy.deepcopy(snap.held)
        self.notice.flash("The form is back as it was.")
        self.validate_now()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # In the prompt, Ctrl+Z is the text's own undo; once the text has nothing left to undo
        # (a recipe replaced it), the form's undo takes the key.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Undo) and self.prompt is not None
                and watched is self.prompt.edit and not self.prompt.edit.document().isUndoAvailable()
                and self.can_undo()):
            event.ignore()
            return True
        return super().eventFilter(watched, event)

    # ----- settings -------------------------------------------------------------------------
    def set_base_url(self, url: str) -> None:
        self._base_url = url

    def set_prices(self, prices: dict[str, dict[str, float]]) -> None:
        """Per-model price tables from settings (slug -> resolution -> USD per second)."""
        self._prices = dict(prices)
        self._update_cost()

    def set_demo(self, demo: bool) -> None:
        """In demo mode nothing is billed, and the Submit button says so instead of a price."""
        self._demo = demo
        self._update_cost()

    def set_last_seed(self, seed: int | None) -> None:
        self._last_seed = seed
        for editor in self.editors.values():
            if isinstance(editor, SeedEditor):
                editor.set_last_seed(seed)

    def set_loading(self, loading: bool) -> None:
        """The window is still starting (``True``: "Loading…", no red) or is ready. Problems
        are then shown for a recipe loaded into the form, for each field the person changed,
        and for everything once Submit was pressed."""
        self._loading = loading
        self.validate_now()

    def set_duplicate_check(self, check: DuplicateCheck | None) -> None:
        self._duplicate_check = check

    # ----- validation -----------------------------------------------------------------------
    def schedule_validation(self) -> None:
        """After every edit (prompt, field, media): check again shortly."""
        self.notice.edited()
        self._timer.start()

    def _on_media_changed(self) -> None:
        self._update_counts()
        self.schedule_validation()

    def _fix_tab_order(self) -> None:
        content = self.scroll_area.widget()
        inner = layout_focus_order(content) if content is not None else []
        if self.prompt is not None:
            self.prompt.edit.removeEventFilter(self)
            self.prompt.edit.installEventFilter(self)
        chain_tab_order([self.model_combo, *inner, self.copy_json_button, self.copy_curl_button, self.submit_button])

    def _update_counts(self) -> None:
        counts: dict[MediaKind, int] = {}
        active = self._active_media()
        for name, lst in self.media.items():  # field order: the prompt's numbering
            if name not in active:
                lst.set_number_offset(None)
                continue
            lst.set_number_offset(counts.get(lst.kind, 0))
            counts[lst.kind] = counts.get(lst.kind, 0) + len(lst.entries())
        if self.prompt is not None:
            self.prompt.set_counts(counts)
        for kind, d in self.drawers.items():
            d.set_count(sum(len(lst.entries()) for name, lst in self.media.items()
                            if self._drawer_of.get(name) is d))
        self._fix_tab_order()  # chips may have been rebuilt

    def validate_now(self) -> bool:
        self._timer.stop()
        if self._quiet and not self._applying:
            # A field the person changed says what is wrong with it; the others wait.
            for name, value in self._raw_values().items():
                if value != self._baseline.get(name):
                    self._touched.add(name)
        if self._confirm_repeat and self.recipe() != self._confirmed_recipe:
            self._clear_repeat()
        touched = self._touched

        def silent(*names: str) -> bool:
            return self._quiet and not touched.intersection(names)

        shown: list[str] = []
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
            editor.set_error("" if silent(name) else text)
            reasons += [text] if text else []
            shown += [text] if text and not silent(name) else []
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
            lst.set_error("" if silent(name) else " ".join(texts))
            reasons += texts
            shown += [] if silent(name) else texts
        if self.choice is not None:
            grouped = self.choice.active_fields() + self.choice.inactive_fields()
            self.choice.set_error("" if silent(*grouped) else " ".join(choice_errors))
            reasons += choice_errors
            shown += [] if silent(*grouped) else choice_errors
        for leftover in by_field.values():
            reasons += leftover
        # A file still being checked does not hold Submit: the job's PREPARING step checks every
        # input again (same words) before anything is uploaded, and a problem found here first
        # disables Submit as soon as the check answers.
        if self._checking and not reasons:
            reasons.append(_CHECKING_REPEATS)
        valid = not reasons
        reason = reasons[0] if reasons else ""
        self.submit_button.setEnabled(valid)
        self.submit_action.setEnabled(valid)
        if self._loading and self._quiet and not shown:
            self.submit_button.setToolTip("Loading…")
            self.status.set_message("Loading…", "info")
        elif valid:
            self.submit_button.setToolTip("Queue this request (Ctrl+Enter). The cost shown is an estimate.")
            self.status.set_message(PENDING_NOTE if pending else "", "info")
        else:
            self.submit_button.setToolTip("Cannot submit yet:\n" + "\n".join(reasons))
            if self._quiet and not shown:  # nothing touched is wrong: what is next, in neutral words
                self.status.set_message(reason, "info")
            else:
                first = shown[0] if self._quiet else reason
                self.status.set_message(first, "info" if first == _CHECKING_REPEATS else "error")
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
        cost = cost_text(self.spec, values, self._prices, demo=self._demo)
        verb = "&Submit anyway" if self._confirm_repeat else "&Submit"
        self.submit_button.setText(f"{verb} · {cost}" if cost else verb)
        self.submit_button.setAccessibleName(f"{verb.replace('&', '')}, cost {cost}" if cost else verb.replace("&", ""))

    # ----- actions --------------------------------------------------------------------------
    def submit(self) -> None:
        self._quiet = False
        if not self.validate_now():
            return
        model, request, inputs = self.recipe()
        if self._duplicate_check is not None and not self._confirm_repeat and not is_random(request):
            self._checking = True
            self.validate_now()
            expected = (model, copy.deepcopy(request), list(inputs))
            self._duplicate_check(model, request, inputs, lambda warning: self._after_check(expected, warning))
            return
        self._send(model, request, inputs)

    def _after_check(self, expected: tuple[str, dict[str, Any], list[InputFile]], warning: str) -> None:
        self._checking = False
        if warning and self.recipe() != expected:  # edited meanwhile: say it, queue nothing
            self.validate_now()
            self.notice.flash(f"Not queued: {warning}", "warning")
            return
        if warning:
            self._confirm_repeat = warning
            self._confirmed_recipe = expected
            self.repeat_warning.set_message(warning + " Press Submit anyway to queue it.", "warning")
            self.validate_now()
            return
        self.validate_now()
        self._send(*expected)  # what was there when Submit was pressed, even if edited since

    def _send(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> None:
        self._clear_repeat()
        self.submit_requested.emit(model, request, inputs)
        self.notice.flash("Added to the queue. Change anything and submit again for another job.", until_edit=True)
        self.validate_now()

    def _clear_repeat(self) -> None:
        self._confirm_repeat = ""
        self._confirmed_recipe = None
        self.repeat_warning.set_message("", "warning")
        self._update_cost()

    def copy_json(self) -> None:
        _, request, inputs = self.recipe()
        QGuiApplication.clipboard().setText(request_json(self.spec, request, inputs))
        self.notice.flash("Request copied as JSON.")

    def copy_curl(self) -> None:
        _, request, inputs = self.recipe()
        QGuiApplication.clipboard().setText(curl_command(self.spec, request, inputs, self._base_url))
        self.notice.flash("curl command copied; it reads the key from $MODELLIX_API_KEY.")

    # ----- drag and drop onto the whole form ------------------------------------------------
    # Another app's drag is taken as a copy, never a move: a file manager would delete the
    # original after a move. The form is highlighted while something droppable is over it.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            set_drop_highlight(self, True)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        set_drop_highlight(self, False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        set_drop_highlight(self, False)
        sources = [s for s in urls_to_sources(event.mimeData().urls()) if not is_remote(s)]
        if sources:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.add_media_paths(sources)


class _Applying:
    """Marks changes made by the form itself (a recipe, a rebuild), not by the person."""

    def __init__(self, form: RequestForm) -> None:
        self._form = form

    def __enter__(self) -> None:
        self._form._applying += 1

    def __exit__(self, *exc: object) -> None:
        self._form._applying -= 1
        if not self._form._applying and self._form._quiet:
            self._form._baseline = self._form._raw_values()


def _filled(value: Any) -> bool:
    return value not in (None, "", [], ())


__all__ = ["DuplicateCheck", "RequestForm"]
