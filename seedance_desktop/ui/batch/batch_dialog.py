"""The batch builder: a grid of variations of the form's recipe, or a CSV/JSONL file of
requests, previewed as a table with the total estimate and queued after one confirmation.

The grid and the file are read by ``core.batch`` (the command line's ``batch`` uses the same
functions); this dialog only collects the axes, shows the plan and its per-line errors, and
emits :attr:`BatchDialog.queue_requested` with the plan when the person presses the button
that states how many jobs and how much (that press is the confirmation). Reading a file is
blocking I/O: the dialog asks for it (:attr:`import_requested`) and is given the plan back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QTabWidget, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from seedance_desktop.api.spec import FieldKind, get_model
from seedance_desktop.core import batch
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import InputFile
from seedance_desktop.core.pricing import PriceOverrides

#: The preview's columns: line number, prompt (elided by the view), what varies, estimate.
PREVIEW_COLUMNS = ["#", "Prompt", "Varies", "Estimate"]
#: A grid larger than this is refused (a typo like "1-1000" must not queue a fortune).
MAX_GRID = 500
#: Axes with a box of their own; any other field can be varied with "Other field".
MAIN_AXES = ("seed", "duration", "ratio", "resolution")


class BatchDialog(QDialog):
    queue_requested = Signal(object)    # batch.BatchPlan, confirmed
    import_requested = Signal(str)      # a file path to read (off the GUI thread)

    def __init__(self, model: str, base: dict[str, Any], inputs: Sequence[InputFile], *,
                 prices: PriceOverrides | None = None, demo: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch run")
        self.resize(820, 640)
        self.spec = get_model(model)
        self.base = dict(base)
        self.inputs = list(inputs)
        self.prices = prices
        self.demo = demo
        self.plan = batch.BatchPlan()
        #: What may still be spent before a budget cap (None: no caps, or not known yet).
        self.headroom: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.rebuild)

        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs)

        grid_page = QWidget(self)
        form = QFormLayout(grid_page)
        form.addRow(QLabel(f"Variations of the form's recipe ({self.spec.title}). Every combination of "
                           "the values below becomes one job.", grid_page))
        self.prompts = QPlainTextEdit(grid_page)
        self.prompts.setPlaceholderText("One prompt per line (empty: the form's prompt)")
        self.prompts.setAccessibleName("Prompts")
        self.prompts.setFixedHeight(90)
        self.prompts.setTabChangesFocus(True)  # Tab moves on to the next box (prompts are one per line)
        form.addRow("&Prompts", self.prompts)
        self.axes: dict[str, QLineEdit] = {}
        for name in MAIN_AXES:
            if not self.spec.has_field(name):
                continue
            fspec = self.spec.field(name)
            edit = QLineEdit(grid_page)
            hint = ", ".join(fspec.choices) if fspec.choices else ("e.g. 1, 2, 3, 4" if name == "seed" else "e.g. 4, 8, 12")
            edit.setPlaceholderText(f"Comma-separated ({hint}); empty: the form's value")
            edit.setAccessibleName(fspec.label)
            self.axes[name] = edit
            form.addRow(f"{fspec.label}s" if not fspec.label.endswith("s") else fspec.label, edit)
        other_row = QHBoxLayout()
        self.other_field = QComboBox(grid_page)
        self.other_field.addItem("(none)", "")
        for fspec in self.spec.fields:
            if fspec.kind in (FieldKind.INT, FieldKind.BOOL, FieldKind.CHOICE) and fspec.name not in MAIN_AXES:
                self.other_field.addItem(fspec.label, fspec.name)
        self.other_values = QLineEdit(grid_page)
        self.other_values.setPlaceholderText("values, comma-separated")
        other_row.addWidget(self.other_field)
        other_row.addWidget(self.other_values, 1)
        other_label = QLabel("&Other field", grid_page)
        other_label.setBuddy(self.other_field)
        form.addRow(other_label, other_row)
        self.tabs.addTab(grid_page, "&Grid")

        file_page = QWidget(self)
        file_layout = QVBoxLayout(file_page)
        file_layout.addWidget(QLabel("Requests from a file: JSONL (one request body per line, as the vendor "
                                     "CLI's 'model batch' reads it; an optional \"model\" key) or CSV (a header "
                                     "row of field names; media lists separated by |).", file_page))
        file_layout.itemAt(0).widget().setWordWrap(True)  # type: ignore[union-attr]
        row = QHBoxLayout()
        self.file_label = QLabel("No file chosen.", file_page)
        self.choose = QPushButton("Choose &file…", file_page)
        self.choose.clicked.connect(self._choose_file)
        row.addWidget(self.file_label, 1)
        row.addWidget(self.choose)
        file_layout.addLayout(row)
        file_layout.addStretch(1)
        self.tabs.addTab(file_page, "From &file")
        self._file_plan: batch.BatchPlan | None = None

        layout.addWidget(QLabel("Preview", self))
        # Columns, not padded text: in a proportional font "  9." and " 10." are not the same
        # width, so from line 10 on every prompt started further right than the one above.
        self.preview = QTreeWidget(self)
        self.preview.setAccessibleName("Jobs to queue")
        self.preview.setHeaderLabels(PREVIEW_COLUMNS)
        self.preview.setRootIsDecorated(False)
        self.preview.setUniformRowHeights(True)
        self.preview.setAlternatingRowColors(True)
        head = self.preview.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.preview, 1)
        self.errors = QListWidget(self)
        self.errors.setAccessibleName("Problems")
        self.errors.setMaximumHeight(110)
        self.errors.setStyleSheet("color: #b02a37;")
        layout.addWidget(self.errors)
        self.total = QLabel("", self)
        self.total.setWordWrap(True)
        self.total.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.total)
        self.buttons = QDialogButtonBox(self)
        self.queue_button = self.buttons.addButton("Queue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.prompts.textChanged.connect(self._timer.start)
        for edit in [*self.axes.values(), self.other_values]:
            edit.textChanged.connect(self._timer.start)
        self.other_field.currentIndexChanged.connect(self._timer.start)
        self.tabs.currentChanged.connect(self._timer.start)
        self.rebuild()
        self.prompts.setFocus()

    # -- the plan -------------------------------------------------------------------------------

    def grid_axes(self) -> tuple[dict[str, list[Any]], list[str]]:
        """(field -> values, problems) from the boxes."""
        axes: dict[str, list[Any]] = {}
        problems: list[str] = []
        prompts = batch.parse_axis(self.spec, "prompt", self.prompts.toPlainText())
        if prompts:
            axes["prompt"] = prompts
        boxes = [(name, edit.text()) for name, edit in self.axes.items()]
        other = str(self.other_field.currentData() or "")
        if other:
            boxes.append((other, self.other_values.text()))
        for name, text in boxes:
            try:
                values = batch.parse_axis(self.spec, name, text)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if values:
                axes[name] = values
        return axes, problems

    def rebuild(self) -> None:
        if self.tabs.currentIndex() == 1:
            self._show(self._file_plan or batch.BatchPlan(), [])
            return
        axes, problems = self.grid_axes()
        size = 1
        for values in axes.values():
            size *= len(values)
        if size > MAX_GRID:
            self._show(batch.BatchPlan(), [*problems, f"{size} combinations is more than {MAX_GRID}; use fewer values."])
            return
        plan = batch.grid(self.spec.slug, self.base, axes, inputs=self.inputs, overrides=self.prices) if axes else batch.BatchPlan()
        self._show(plan, problems if axes or problems else ["Give a few values for at least one field."])

    def set_headroom(self, value: float | None) -> None:
        self.headroom = value
        self.rebuild()

    def set_file_plan(self, path: str, plan: batch.BatchPlan) -> None:
        self._file_plan = plan
        self.file_label.setText(path)
        self.tabs.setCurrentIndex(1)
        self.rebuild()

    def set_file_error(self, path: str, message: str) -> None:
        self._file_plan = batch.BatchPlan(errors=[batch.LineError(0, message)])
        self.file_label.setText(path)
        self.tabs.setCurrentIndex(1)
        self.rebuild()

    def _show(self, plan: batch.BatchPlan, problems: list[str]) -> None:
        self.plan = plan
        self.preview.clear()
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for item in plan.items:
            cost = f"~{usd(item.estimate)}" if item.estimate is not None else "price unknown"
            prompt = " ".join(str(item.request.get("prompt") or "").split())
            varied = " · ".join(part for part in item.label.split(" · ") if not part.startswith("prompt="))
            row = QTreeWidgetItem(self.preview, [f"{item.line}.", prompt, varied, cost])
            row.setToolTip(1, prompt if len(prompt) > 60 else "")
            row.setTextAlignment(0, right)
            row.setTextAlignment(3, right)
        self.errors.clear()
        for text in [*problems, *(str(e) if e.line else e.message for e in plan.errors)]:
            QListWidgetItem(text, self.errors)
        self.errors.setVisible(self.errors.count() > 0)
        n = len(plan.items)
        total = f"≈ {usd(plan.total_estimate)} (estimate)" + (" · simulated, nothing billed" if self.demo else "")
        if plan.unpriced:
            total += f" · {plan.unpriced} without a known price"
        if self.headroom is not None and plan.total_estimate > self.headroom:
            total += (f" · crosses your budget cap ({usd(self.headroom)} left): the jobs past it will be held "
                      "until you choose Send anyway")
        self.total.setText(f"{n} job(s), {total}" + (f" · {len(plan.errors)} line(s) will be skipped" if plan.errors else ""))
        self.queue_button.setText(f"Queue {n} job{'s' if n != 1 else ''} · ≈ {usd(plan.total_estimate)}")
        self.queue_button.setEnabled(n > 0 and not problems)
        self.queue_button.setToolTip("Adds every job above to the queue as one batch (the estimate is from the price table in Settings).")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Batch file", "", "Batch files (*.jsonl *.json *.csv);;All files (*)")
        if path:
            self.file_label.setText(f"Reading {path}…")
            self.import_requested.emit(path)

    def _confirm(self) -> None:
        if not self.plan.items:
            return
        self.queue_requested.emit(self.plan)
        self.accept()


__all__ = ["BatchDialog", "MAX_GRID", "PREVIEW_COLUMNS"]
