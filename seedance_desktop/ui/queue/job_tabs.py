"""The right-hand companion of the queue: the player and the selected job's details as tabs.

Tabs rather than a third splitter pane, so both fit at 1024x700. The window switches to the
player to play, and to the details when the person asks for them or selects a job that needs
attention (failed, outcome unknown, expired); otherwise the tab the person chose stays.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from seedance_desktop.core.job import JobState
from seedance_desktop.ui.queue.details_pane import JobDetailsPane

_ATTENTION = frozenset({JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED})


class JobTabs(QTabWidget):
    def __init__(self, player: QWidget, details: JobDetailsPane, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobTabs")
        self.setDocumentMode(True)
        self.player, self.details = player, details
        self.addTab(player, "Player")
        self.addTab(details, "Details")
        self.setTabToolTip(1, "Everything about the selected job: why it failed and what to do, "
                              "history, cost, task id, output path")

    def show_player(self) -> None:
        self.setCurrentWidget(self.player)

    def show_details(self, _job_id: str = "") -> None:
        self.setCurrentWidget(self.details)

    def follow_selection(self, _job_id: str) -> None:
        """A selected job that needs attention shows its details (the reason is there)."""
        job = self.details.job
        if job is not None and job.state in _ATTENTION:
            self.show_details()
