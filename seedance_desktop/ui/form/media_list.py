"""One media field of the request (videos, frame images, reference images, audio) as a list.

Entries are local files (from the native file dialog or dropped from the file manager) or URLs
pasted by the user. Local files are checked in a worker (``MediaInspector``: probe, limits, the
decode check of the tail) and show a thumbnail, duration, resolution and size, and the shared
verdict of ``core.prepare.combine`` over the whole field: what the engine's PREPARING step will
conform ("Will be conformed before upload: ..."), or why the file cannot be used, in the same
words the command line prints. The list enforces the field's ``max_items`` when adding, with a
message instead of silently dropping files.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QIcon, QKeyEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import FieldKind, FieldSpec, MediaKind
from seedance_desktop.core.job import InputFile
from seedance_desktop.core.prepare import InputAssessment, combine
from seedance_desktop.ui.form.media_inspector import (
    AUDIO_SUFFIXES,
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    Inspection,
    MediaInspector,
    media_kind_of,
)
from seedance_desktop.api.urls import is_remote
from seedance_desktop.ui.form.form_validation import KIND_WORD
from seedance_desktop.ui.form.recent_folder import RecentFolder
from seedance_desktop.ui.style import ERROR_COLOR, MessageLabel, human_size

SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1
#: The row's edit (``InputFile.edit_fields()``: trim_start, trim_end, framing) or None.
EDIT_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_HEIGHT = 56
MAX_VISIBLE_ROWS = 3
_FILTERS = {
    MediaKind.VIDEO: ("Videos", VIDEO_SUFFIXES),
    MediaKind.IMAGE: ("Images", IMAGE_SUFFIXES),
    MediaKind.AUDIO: ("Audio", AUDIO_SUFFIXES),
}


#: Drawn around a widget while a drag from another app is over it.
_DROP_STYLE = "border: 2px dashed palette(highlight); border-radius: 4px;"


def set_drop_highlight(widget: QWidget, on: bool) -> None:
    """Mark ``widget`` as the drop target while a droppable drag is over it."""
    widget.setProperty("dropTarget", on)
    name = widget.objectName() or f"dropTarget{id(widget)}"
    widget.setObjectName(name)
    widget.setStyleSheet(f"#{name} {{ {_DROP_STYLE} }}" if on else "")


def urls_to_sources(urls: list[QUrl]) -> list[str]:
    """Dropped URLs as local paths (file://) or remote URL strings."""
    return [u.toLocalFile() if u.isLocalFile() else u.toString() for u in urls if u.isValid()]


class _EntryList(QListWidget):
    """A list that reorders by internal drag and accepts files dropped from outside."""

    external_drop = Signal(list)
    delete_pressed = Signal()

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint = hint
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setAcceptDrops(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setIconSize(QSize(ROW_HEIGHT - 8, ROW_HEIGHT - 8))
        self.setWordWrap(False)  # long warnings are elided; the full text is in the tooltip
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

    def _is_external(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> bool:
        return event.source() is not self and event.mimeData().hasUrls()

    # Files from another app are taken as a copy, never a move (a file manager would delete the
    # original after a move); the list is highlighted while such a drag is over it.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._is_external(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            set_drop_highlight(self, True)
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._is_external(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        set_drop_highlight(self, False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        set_drop_highlight(self, False)
        if self._is_external(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.external_drop.emit(urls_to_sources(event.mimeData().urls()))
        else:
            super().dropEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selectedItems():
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(self.palette().ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._hint)
            painter.end()


class MediaList(QWidget):
    """Editor for a MEDIA or MEDIA_LIST field. ``entries()`` is the ordered list of sources."""

    changed = Signal()
    #: The user asked to trim/frame the local clip at this row (the form opens the editor).
    trim_requested = Signal(int)

    def __init__(self, spec: FieldSpec, inspector: MediaInspector, parent: QWidget | None = None, *,
                 recent: RecentFolder | None = None) -> None:
        super().__init__(parent)
        self._recent = recent or RecentFolder(parent=self)
        #: Entries of the same kind in the fields before this one: row 0 is [Video offset+1].
        #: None: this list is not sent (kept aside), so its entries have no number.
        self.number_offset: int | None = 0
        assert spec.media is not None
        self.spec = spec
        self.kind: MediaKind = spec.media
        #: The model whose labels name the inputs ("Reference video 2 (clip.webm)").
        self.model = DEFAULT_MODEL
        self.max_items = spec.max_items if spec.kind is FieldKind.MEDIA_LIST else 1
        self._inspector = inspector
        self._notice = ""
        noun = "file" if self.max_items == 1 else "files"
        self.list = _EntryList(f"Drop {self.kind.value} {noun} here, or use Add…", self)
        self.list.setAccessibleName(spec.label)
        self.list.setToolTip(spec.help)
        self._fit_height()

        self.add_button = QPushButton("Add…", self)
        self.add_button.setAccessibleName(f"Add {spec.label.lower()} from files")
        self.add_button.setToolTip(f"Choose {self.kind.value} files ({spec.help}) You can also drop them here.")
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("or paste a URL")
        self.url_edit.setMinimumWidth(90)
        self.url_edit.setAccessibleName(f"{spec.label} URL")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setToolTip("An http(s) link the server can fetch; it is sent as is, not checked here")
        self.url_button = QPushButton("Add URL", self)
        self.url_button.setToolTip("Add the link typed on the left (Enter)")
        self.url_button.setEnabled(False)
        self.url_button.setVisible(False)
        self.up_button = QToolButton(self)
        self.up_button.setArrowType(Qt.ArrowType.UpArrow)
        self.up_button.setAccessibleName("Move up")
        self.up_button.setToolTip("Move the selected entry up")
        self.down_button = QToolButton(self)
        self.down_button.setArrowType(Qt.ArrowType.DownArrow)
        self.down_button.setAccessibleName("Move down")
        self.down_button.setToolTip("Move the selected entry down")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setAccessibleName(f"Remove the selected {spec.label.lower()}")
        self.remove_button.setToolTip("Remove the selected entries (Delete)")
        self.trim_button = QPushButton("Trim…", self)
        self.trim_button.setAccessibleName(f"Trim the selected {self.kind.value}")
        self.trim_button.setToolTip("Choose which seconds to send (and how to frame the picture); "
                                    "double-click a row does the same")
        self.trim_button.setVisible(self.kind is not MediaKind.IMAGE)
        self.message = MessageLabel(self)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.url_edit, 1)
        buttons.addWidget(self.url_button)
        if self.max_items > 1:
            buttons.addWidget(self.up_button)
            buttons.addWidget(self.down_button)
        else:
            self.up_button.hide()
            self.down_button.hide()
        buttons.addWidget(self.trim_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

        self.add_button.clicked.connect(self.browse)
        # "Add URL" appears once a link is typed: the row stays narrow (Enter adds it too).
        self.url_edit.textChanged.connect(lambda text: self.url_button.setEnabled(bool(text.strip())))
        self.url_edit.textChanged.connect(lambda text: self.url_button.setVisible(bool(text.strip())))
        self.url_edit.returnPressed.connect(self._add_typed_url)
        self.url_button.clicked.connect(self._add_typed_url)
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button.clicked.connect(lambda: self._move_selected(+1))
        self.remove_button.clicked.connect(self.remove_selected)
        self.trim_button.clicked.connect(lambda: self._ask_trim(self.list.currentRow()))
        self.list.itemDoubleClicked.connect(lambda item: self._ask_trim(self.list.row(item)))
        self.list.delete_pressed.connect(self.remove_selected)
        self.list.external_drop.connect(self.add_sources)
        self.list.model().rowsMoved.connect(self._after_change)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        inspector.inspected.connect(self._on_inspected)
        self._update_buttons()

    def detach(self) -> None:
        """Stop listening to the shared inspector (the form is rebuilding without this list)."""
        try:
            self._inspector.inspected.disconnect(self._on_inspected)
        except (RuntimeError, TypeError):
            pass

    # ----- contents -------------------------------------------------------------------------
    def entries(self) -> list[str]:
        return [self.list.item(i).data(SOURCE_ROLE) for i in range(self.list.count())]

    def edits(self) -> list[dict[str, object] | None]:
        """Each row's trim/framing (``InputFile.edit_fields()``), None where there is none."""
        return [self.list.item(i).data(EDIT_ROLE) for i in range(self.list.count())]

    def set_edit(self, row: int, edit: dict[str, object] | None) -> None:
        """Set the row's trim/framing (the trim editor's OK); the verdicts follow."""
        item = self.list.item(row)
        if item is not None:
            item.setData(EDIT_ROLE, edit if edit and any(v is not None for v in edit.values()) else None)
            self._after_change()

    def input_at(self, row: int) -> InputFile:
        """The row as the recipe names it (its edit included)."""
        edit = self.list.item(row).data(EDIT_ROLE) or {}
        return InputFile(field=self.spec.name, index=row, local_path=self.list.item(row).data(SOURCE_ROLE),
                         trim_start=edit.get("trim_start"), trim_end=edit.get("trim_end"), framing=edit.get("framing"))

    def cached_inspection(self, row: int) -> Inspection | None:
        source = self.list.item(row).data(SOURCE_ROLE) if 0 <= row < self.list.count() else None
        return None if source is None or is_remote(source) else self._inspector.cached(source)

    def _ask_trim(self, row: int) -> None:
        result = self.cached_inspection(row)
        if self.kind is MediaKind.IMAGE or result is None or not result.duration or result.error:
            return   # nothing to trim (or not inspected yet: the button is disabled then too)
        self.trim_requested.emit(row)

    def set_entries(self, sources: list[str], edits: list[dict[str, object] | None] | None = None) -> None:
        """Replace the contents (used for recipes): every entry is kept, even past
        ``max_items``, so validation can say what is wrong instead of data vanishing."""
        self.list.clear()
        for n, source in enumerate(sources):
            self._append(source)
            if edits is not None and n < len(edits) and edits[n]:
                self.list.item(n).setData(EDIT_ROLE, edits[n])
        self._notice = ""
        self._after_change()

    def add_sources(self, sources: list[str]) -> list[str]:
        """Add local paths and URLs; returns the ones refused (with the reason shown)."""
        refused: list[str] = []
        reasons: list[str] = []
        over_limit = 0
        for source in sources:
            source = source.strip()
            if not source:
                continue
            if not is_remote(source) and media_kind_of(source) is not self.kind:
                refused.append(source)
                reasons.append(f"{Path(source).name} is not {_article(self.kind)} {self.kind.value} file.")
            elif self.list.count() >= self.max_items:
                refused.append(source)
                over_limit += 1
            else:
                self._append(source)
        if over_limit:
            reasons.append(
                f"{self.spec.label}: at most {self.max_items} allowed; "
                f"{over_limit} not added. Remove an entry first."
            )
        self._notice = " ".join(reasons)
        self._after_change()
        return refused

    def add_url(self, url: str) -> bool:
        return not self.add_sources([url])

    def clear(self) -> None:
        self.set_entries([])

    def local_paths(self) -> list[str]:
        return [s for s in self.entries() if not is_remote(s)]

    # ----- problems -------------------------------------------------------------------------
    def assessments(self) -> dict[int, InputAssessment]:
        """Row -> the shared verdict for every local entry checked so far (pure arithmetic
        over the inspector's cached findings: safe on the GUI thread)."""
        rows: list[int] = []
        inputs: list[InputFile] = []
        findings = []
        for row, source in enumerate(self.entries()):
            if is_remote(source):
                continue
            result = self._inspector.cached(source)
            if result is None or result.finding is None:
                continue
            rows.append(row)
            inputs.append(self.input_at(row))
            findings.append(result.finding)
        return dict(zip(rows, combine(self.model, inputs, findings)))

    def local_problems(self) -> list[str]:
        """Problems with local files that stop a submit: what no conforming can fix."""
        problems: list[str] = []
        verdicts = self.assessments()
        for row, path in enumerate(self.entries()):
            if is_remote(path):
                continue
            assessment = verdicts.get(row)
            result = self._inspector.cached(path)
            if assessment is not None:
                if assessment.rejected:
                    problems.append(assessment.line)
            elif result is not None:
                problems.extend(result.blocking)
            elif not Path(path).is_file():
                problems.append(f"{Path(path).name} does not exist any more.")
        return problems

    def set_error(self, text: str) -> None:
        parts = [p for p in (text, self._notice) if p]
        self.message.set_message(" ".join(parts), "error" if text else "warning")

    def error_text(self) -> str:
        return self.message.text() if self.message.kind == "error" else ""

    # ----- actions --------------------------------------------------------------------------
    def browse(self) -> None:
        """The native file dialog. A static call is fine here: widgets run no coroutines."""
        title, suffixes = _FILTERS[self.kind]
        patterns = " ".join(f"*{s}" for s in sorted(suffixes))
        start = self._recent.folder()
        if self.max_items == 1:
            path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.spec.label.lower()}", start, f"{title} ({patterns})")
            paths = [path] if path else []
        else:
            paths, _ = QFileDialog.getOpenFileNames(self, f"Add {self.spec.label.lower()}", start, f"{title} ({patterns})")
        if paths:
            self._recent.remember(list(paths))
            if self.max_items == 1:
                self.list.clear()
            self.add_sources(paths)

    def _add_typed_url(self) -> None:
        url = self.url_edit.text().strip()
        if url and not self.add_sources([url]):
            self.url_edit.clear()

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._notice = ""
        self._after_change()

    def _move_selected(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._after_change()

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        selected = bool(self.list.selectedItems())
        self.remove_button.setEnabled(selected)
        result = self.cached_inspection(row) if selected and row >= 0 else None
        self.trim_button.setEnabled(result is not None and bool(result.duration) and not result.error)
        self.up_button.setEnabled(selected and row > 0)
        self.down_button.setEnabled(selected and 0 <= row < self.list.count() - 1)

    def _fit_height(self) -> None:
        """As tall as its entries (at most three, then it scrolls); one row when empty, for the
        drop hint. Keeps a form with many empty fields compact."""
        rows = [self.list.sizeHintForRow(i) for i in range(min(self.list.count(), MAX_VISIBLE_ROWS))]
        height = sum(max(h, ROW_HEIGHT) for h in rows) if rows else ROW_HEIGHT
        self.list.setFixedHeight(height + 2 * self.list.frameWidth() + 4)

    def _after_change(self, *args: object) -> None:
        self._refresh()
        self._fit_height()
        self._update_buttons()
        self.set_error(self.error_text() if self.message.kind == "error" else "")
        self.changed.emit()

    # ----- display --------------------------------------------------------------------------
    def _append(self, source: str) -> None:
        item = QListWidgetItem()
        item.setData(SOURCE_ROLE, source)
        item.setSizeHint(QSize(0, ROW_HEIGHT))
        self.list.addItem(item)
        if is_remote(source):
            self._show(item, None)
        else:
            self._show(item, self._inspector.request(source))

    def _on_inspected(self, path: str, result: Inspection) -> None:
        if path in self.entries():
            self._refresh()  # the totals (15 s over all clips) may change every entry's words
            self._fit_height()
            self._update_buttons()
            self.changed.emit()

    def set_number_offset(self, offset: int | None) -> None:
        """Renumber the rows ([Video 2] ...) when an earlier field of the kind changed."""
        if offset != self.number_offset:
            self.number_offset = offset
            self._refresh()

    def placeholder(self, row: int) -> str:
        """The prompt's name for the entry at ``row`` ("[Video 1]"), "" when it is not sent."""
        if self.number_offset is None:
            return ""
        return f"[{KIND_WORD[self.kind]} {self.number_offset + row + 1}]"

    def _refresh(self) -> None:
        verdicts = self.assessments()
        for row in range(self.list.count()):
            item = self.list.item(row)
            source = item.data(SOURCE_ROLE)
            if is_remote(source):
                self._show(item, None)
            else:
                self._show(item, self._inspector.cached(source), verdicts.get(row))

    def _show(self, item: QListWidgetItem, result: Inspection | None, verdict: InputAssessment | None = None) -> None:
        source: str = item.data(SOURCE_ROLE)
        style = self.style()
        tag = self.placeholder(self.list.row(item))
        tag = f"{tag} " if tag else ""
        if is_remote(source):
            name = source if len(source) < 70 else source[:67] + "…"
            item.setText(f"{tag}{name}\nRemote URL: sent as is (not checked locally)")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon))
            item.setToolTip(source)
            return
        name = tag + Path(source).name
        if result is None:
            item.setText(f"{name}\nInspecting…")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_FileIcon))
            item.setToolTip(source)
            return
        facts = []
        edit = item.data(EDIT_ROLE) or {}
        if edit.get("trim_end") is not None:
            facts.append(f"{edit.get('trim_start') or 0:.1f}-{edit['trim_end']:.1f} s of {result.duration or 0:.1f} s")
        elif result.duration is not None:
            facts.append(f"{result.duration:.1f} s")
        if edit.get("framing"):
            facts.append(str(edit["framing"]).split("@")[0].replace(":", " ", 1))
        if result.width and result.height:
            facts.append(f"{result.width}×{result.height}")
        facts.append(human_size(result.size_bytes))
        lines = [name, " · ".join(facts)]
        blocked = bool(result.blocking) if verdict is None else verdict.rejected
        if verdict is not None and verdict.rejected:
            lines.append(f"⚠ {verdict.message}")
        elif verdict is not None and verdict.will_conform:
            lines.append(f"↻ {verdict.message}")
        elif verdict is None and result.error:
            lines.append(f"⚠ {result.error}")
        item.setText("\n".join(lines))
        item.setSizeHint(QSize(0, max(ROW_HEIGHT, self.fontMetrics().lineSpacing() * len(lines) + 10)))
        item.setForeground(QColor(ERROR_COLOR) if blocked else self.palette().color(self.palette().ColorRole.Text))
        detail = verdict.line if verdict is not None and not verdict.ok else result.error
        item.setToolTip("\n".join([source, detail]).strip())
        if result.thumbnail is not None and not result.thumbnail.isNull():
            item.setIcon(QIcon(QPixmap.fromImage(result.thumbnail)))
        else:
            pixmap = QStyle.StandardPixmap.SP_MediaVolume if self.kind is MediaKind.AUDIO else QStyle.StandardPixmap.SP_FileIcon
            item.setIcon(style.standardIcon(pixmap))


def _article(kind: MediaKind) -> str:
    return "an" if kind.value[0] in "aeiou" else "a"
