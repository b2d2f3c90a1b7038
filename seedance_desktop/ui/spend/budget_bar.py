"""The bar that appears when the budget guard holds a job: the figures and "Send anyway".

The engine holds a job whose estimate would cross a daily or monthly cap before sending it
(``core.spend_guard``); the queue never sends past a cap silently. This bar says so as soon as
it happens, with the guard's own words (what the job would cost, what is spent, the cap), and
sends it on one click ("Send anyway": ``Engine.send``, so the guard does not hold it again).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QToolButton, QWidget

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.spend_guard import is_budget_hold


class BudgetBar(QToolBar):
    send_requested = Signal(str)
    spend_requested = Signal()

    def __init__(self, lookup: Callable[[str], Job | None], parent: QWidget | None = None) -> None:
        super().__init__("Budget", parent)
        self.setObjectName("budget_bar")
        self.setMovable(False)
        self._lookup = lookup
        self.held: dict[str, str] = {}  # job id -> the guard's reason, oldest first
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setStyleSheet("QToolBar#budget_bar { background: #fff3cd; } QLabel { color: #664d03; padding: 4px; }")
        self.addWidget(self.label)
        # A wrapping label in a tool bar asks for far more height than its text needs: cap it.
        self.setMaximumHeight(self.fontMetrics().height() * 3 + 16)
        self.send_one, _ = self._button("Send &anyway", "Send this job although it crosses the budget cap")
        # A widget in a tool bar is shown and hidden through its action (Qt's rule).
        self.send_all, self._send_all_action = self._button("Send all anyway", "Send every job the budget holds")
        spend, _ = self._button("Spend…", "Open the spend view")
        self.send_one.clicked.connect(self._send_first)
        self.send_all.clicked.connect(self._send_everything)
        spend.clicked.connect(self.spend_requested)
        self.setVisible(False)

    def _button(self, text: str, tip: str) -> tuple[QToolButton, QAction]:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        return button, self.addWidget(button)

    def job_changed(self, job_id: str) -> None:
        job = self._lookup(job_id)
        if job is not None and job.state is JobState.QUEUED and is_budget_hold(job):
            self.held[job_id] = str(job.held)
        else:
            self.held.pop(job_id, None)
        self._update()

    def job_removed(self, job_id: str) -> None:
        self.held.pop(job_id, None)
        self._update()

    def _update(self) -> None:
        if not self.held:
            self.setVisible(False)
            return
        first_id, reason = next(iter(self.held.items()))
        more = f" ({len(self.held) - 1} more job(s) held too.)" if len(self.held) > 1 else ""
        self.label.setText(f"Job {first_id[:8]} not sent. {reason}{more}")
        self._send_all_action.setVisible(len(self.held) > 1)
        self.setVisible(True)

    def _send_first(self) -> None:
        if self.held:
            self.send_requested.emit(next(iter(self.held)))

    def _send_everything(self) -> None:
        for job_id in list(self.held):
            self.send_requested.emit(job_id)


__all__ = ["BudgetBar"]
