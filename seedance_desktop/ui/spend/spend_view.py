"""The spend view: what was spent today, this week and this month, per model and resolution,
a chart per day, the account balance, and the ledger of every job (estimate beside charge).

The figures are computed by ``core.ledger`` from the job store in a worker thread
(:func:`load_spend`); this dialog only shows them. In demo mode everything is the simulator's
and is labelled "simulated".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from seedance_desktop.api.spec import MODELS
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import Job
from seedance_desktop.core.ledger import LedgerEntry, SpendSummary, ledger, summarize
from seedance_desktop.core.pricing import PriceOverrides
from seedance_desktop.ui.spend.chart import DailyChart

#: Ledger rows shown (newest first); the summary covers every job.
LEDGER_ROWS = 200


@dataclass
class SpendData:
    summary: SpendSummary
    entries: list[LedgerEntry]


def load_spend(jobs: Callable[[], list[Job]], prices: PriceOverrides, now: float, *, days: int = 30) -> SpendData:
    """Read and summarise (blocking: run it in a worker thread)."""
    entries = ledger(jobs(), prices)
    return SpendData(summarize(entries, now, days=days), entries)


def money(value: float | None) -> str:
    return "—" if value is None else usd(value)


def _model_title(slug: str) -> str:
    spec = MODELS.get(slug)
    return spec.title if spec is not None else slug


class SpendDialog(QDialog):
    """See the module docstring. ``set_data`` and ``set_balance`` fill it in."""

    def __init__(self, parent: QWidget | None = None, *, demo: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Spend" + (" (demo: simulated)" if demo else ""))
        self.resize(980, 860)
        layout = QVBoxLayout(self)
        self.demo_label = QLabel(
            "Demo mode: every figure here is <b>simulated</b> by the local simulator; nothing was billed.", self)
        self.demo_label.setVisible(demo)
        self.demo_label.setStyleSheet("background: #fff3cd; color: #664d03; padding: 6px; border-radius: 4px;")
        layout.addWidget(self.demo_label)

        totals = QGroupBox("Spent", self)
        grid = QGridLayout(totals)
        self.today = QLabel("…", totals)
        self.week = QLabel("…", totals)
        self.month = QLabel("…", totals)
        self.balance = QLabel("…", totals)
        #: "Today", "This week"...: in the palette's own text colour. They were drawn in
        #: ``palette(mid)``, a shade for frames, about 2:1 against the window: too pale to read.
        self.captions: list[QLabel] = []
        for column, (title, label) in enumerate((("Today", self.today), ("This week", self.week),
                                                 ("This month", self.month), ("Balance", self.balance))):
            head = QLabel(title, totals)
            head.setForegroundRole(QPalette.ColorRole.WindowText)
            self.captions.append(head)
            label.setStyleSheet("font-size: 18pt; font-weight: 600;")
            label.setAccessibleName(title)
            grid.addWidget(head, 0, column)
            grid.addWidget(label, 1, column)
        self.note = QLabel("", totals)
        self.note.setWordWrap(True)
        grid.addWidget(self.note, 2, 0, 1, 4)
        layout.addWidget(totals)

        self.chart = DailyChart(self)
        chart_box = QGroupBox("Last 30 days", self)
        QVBoxLayout(chart_box).addWidget(self.chart)
        self.chart.setMaximumHeight(230)
        layout.addWidget(chart_box, 0)

        tables = QHBoxLayout()
        self.by_model = self._table(["Model", "Resolution", "Jobs", "Charged", "Estimated"], stretch=0)
        box = QGroupBox("This month by model and resolution", self)
        QVBoxLayout(box).addWidget(self.by_model)
        tables.addWidget(box, 1)
        layout.addLayout(tables, 1)

        self.ledger = self._table(["When", "Model", "Res.", "Length", "State", "Estimate", "Charged"], stretch=1)
        ledger_box = QGroupBox("Ledger (estimates are from the price table in Settings)", self)
        QVBoxLayout(ledger_box).addWidget(self.ledger)
        layout.addWidget(ledger_box, 2)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _table(self, headers: list[str], *, stretch: int) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setMinimumHeight(120)
        return table

    def set_balance(self, value: float | None, note: str = "") -> None:
        self.balance.setText(money(value) if value is not None else (note or "—"))
        if value is None and note:
            self.balance.setStyleSheet("font-size: 10pt;")
            self.balance.setWordWrap(True)

    def set_data(self, data: SpendData) -> None:
        summary = data.summary
        self.today.setText(money(summary.today))
        self.week.setText(money(summary.week))
        self.month.setText(money(summary.month))
        notes = []
        if summary.month_pending:
            notes.append(f"{money(summary.month_pending)} of this month is estimated for jobs not billed yet.")
        if summary.unsuccessful:
            charged = sum(e.charged or 0.0 for e in summary.unsuccessful)
            notes.append(f"{len(summary.unsuccessful)} job(s) failed or were cancelled this month; "
                         f"they were charged {money(charged)}.")
        self.note.setText(" ".join(notes) or "Charges are Modellix's billed amounts; estimates are labelled as such.")
        self.chart.set_series(summary.daily)
        self.by_model.setRowCount(len(summary.by_model))
        for row, item in enumerate(summary.by_model):
            for column, text in enumerate((_model_title(item.model), item.resolution, str(item.jobs),
                                           money(item.charged), f"~{money(item.estimated)}")):
                self.by_model.setItem(row, column, self._cell(text, column >= 2))
        shown = data.entries[:LEDGER_ROWS]
        self.ledger.setRowCount(len(shown))
        for row, entry in enumerate(shown):
            paid = money(entry.charged) if entry.charged is not None else (
                "nothing charged" if entry.state.is_final else "pending")
            cells: tuple[str, ...] = (dt.datetime.fromtimestamp(entry.at).strftime("%Y-%m-%d %H:%M"), _model_title(entry.model),
                     entry.resolution, f"{entry.duration} s" if entry.duration else "", entry.state.label,
                     f"~{money(entry.estimate)}", paid)
            for column, cell in enumerate(cells):
                self.ledger.setItem(row, column, self._cell(cell, column >= 5))

    @staticmethod
    def _cell(text: str, right: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        if right:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item


__all__ = ["LEDGER_ROWS", "SpendData", "SpendDialog", "load_spend", "money"]
