"""The queue panel's item model: one row per job, loaded lazily from the job store.

Why a ``QAbstractTableModel`` and not a widget per row: 10,000 jobs must open instantly and
scroll smoothly, so rows are fetched in pages (``canFetchMore``/``fetchMore``) and painted by
a delegate. Each job change emits ``dataChanged`` for its row only.

The model never talks to the network or the engine: it reads jobs from a *source* (the
``JobStore``: ``list(limit=, offset=)``, ``count()``, ``get(id)``) and asks a *lookup* for the
freshest copy of a changed job (the controller keeps the latest objects the engine reported,
including transient progress that is not persisted on every tick). Reordering by drag and drop
is delegated to a ``move`` callback (the controller), after which the owner calls ``reload``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap

from seedance_desktop.core.cost import CostText, job_cost
from seedance_desktop.core.spend_guard import is_budget_hold
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.timing import remaining_seconds, server_time
from seedance_desktop.ui.queue.row_text import (  # format_elapsed: kept importable from here
    PROGRESS_STATES,
    format_elapsed,
    format_params,
    state_text,
    thumbnail_source,
)

JobRole = Qt.ItemDataRole.UserRole + 1       # the Job object behind the row
ProgressRole = Qt.ItemDataRole.UserRole + 2  # float 0..1, or None when unknown
SortRole = Qt.ItemDataRole.UserRole + 3      # a comparable value per column
StateRole = Qt.ItemDataRole.UserRole + 4     # the JobState
#: For a submitted/processing row: ``core.timing.ServerTime`` (elapsed against the usual window)
ServerTimeRole = Qt.ItemDataRole.UserRole + 5

#: States that need the person: a newly entered one is brought to their attention.
ATTENTION_STATES = frozenset({JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED})
#: How long a row that needs attention stays highlighted.
FLASH_MS = 6000

MIME_TYPE = "application/x-seedance-job-ids"
PAGE_SIZE = 200
MAX_THUMBS = 600  # about 5 MB of 64x36 pictures; older ones are made again when scrolled back

COL_THUMB, COL_PROMPT, COL_PARAMS, COL_STATE, COL_COST = range(5)
HEADERS = ("", "Prompt", "Parameters", "State", "Cost")

AnyIndex = QModelIndex | QPersistentModelIndex

_STATE_COLOURS: dict[JobState, str] = {
    JobState.DONE: "#2e7d32",
    JobState.FAILED: "#c62828",
    JobState.OUTCOME_UNKNOWN: "#ef6c00",
    JobState.EXPIRED: "#8d6e63",
    JobState.CANCELLED: "#757575",
}
_FLASH_COLOUR = "#ffe0b2"  # a soft orange behind a row that just failed


class JobSource(Protocol):
    """What the model needs from the store (``core.store.JobStore`` satisfies it)."""

    def list(self, states: Any = None, limit: int | None = None, offset: int = 0) -> list[Job]: ...

    def count(self) -> int: ...

    def get(self, job_id: str) -> Job | None: ...


class EmptySource:
    """No jobs: the model's source until the real store is opened."""

    def list(self, states: Any = None, limit: int | None = None, offset: int = 0) -> list[Job]:
        return []

    def count(self) -> int:
        return 0

    def get(self, job_id: str) -> Job | None:
        return None


class QueueModel(QAbstractTableModel):
    """Jobs in store order, fetched lazily page by page.

    ``thumbnail_wanted(job_id, path)`` asks for a picture the view is about to show (only
    visible rows are asked, once each); whoever makes it calls :meth:`set_thumbnail`."""

    thumbnail_wanted = Signal(str, str)
    #: A job added during this session got its row (the view brings it into view).
    arrived = Signal(str)
    #: A job has just entered a state that needs the person (failed, outcome unknown, expired).
    needs_attention = Signal(str)

    def __init__(
        self,
        source: JobSource,
        *,
        lookup: Callable[[str], Job | None] | None = None,
        move: Callable[[str, int], None] | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._lookup = lookup or self._find
        self._move = move
        self._clock = clock
        self._page = page_size
        self._jobs: list[Job] = []
        self._rows: dict[str, int] = {}
        self._total = source.count()
        self._thumbs: dict[str, QPixmap] = {}
        self._thumbs_asked: set[str] = set()
        self._demo = False
        self._time_scale = 1.0
        self._prices: dict[str, dict[str, float]] = {}
        #: job id -> (state, wall time, fraction) when its progress was first seen in that
        #: state: the time left is the rate since then (a resumed download starts part-way).
        self._anchors: dict[str, tuple[JobState, float, float]] = {}
        self._flash: set[str] = set()

    def _find(self, job_id: str) -> Job | None:
        """The store's copy, or None when it is gone (``JobStore.get`` raises a KeyError)."""
        try:
            return self._source.get(job_id)
        except KeyError:
            return None

    # -- structure ---------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._jobs) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:
        if parent.isValid():
            return
        page = self._source.list(limit=self._page, offset=len(self._jobs))
        fresh = [job for job in page if job.id not in self._rows]
        if not fresh:
            # The store shrank under us (jobs removed elsewhere): stop asking.
            self._total = len(self._jobs)
            return
        first = len(self._jobs)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for job in fresh:
            self._rows[job.id] = len(self._jobs)
            self._jobs.append(job)
        self.endInsertRows()

    def set_source(self, source: JobSource, lookup: Callable[[str], Job | None] | None = None) -> None:
        """Switch to another store (the window shows before the runtime's store exists)."""
        self.beginResetModel()
        self._source = source
        self._lookup = lookup or self._find
        self._jobs, self._rows, self._thumbs = [], {}, {}
        # What was asked goes with the pictures: else a row asked for before the switch (the start-up
        # preview) is never asked again and stays without a thumbnail.
        self._thumbs_asked.clear()
        self._total = source.count()
        self.endResetModel()
        # Load the first page now: a view only asks for more rows on a relayout (a resize, the
        # demo banner appearing), so a live-mode window used to stay empty after a restart.
        self.fetchMore()

    def set_move(self, move: Callable[[str, int], None] | None) -> None:
        self._move = move

    def set_mode(self, *, demo: bool, time_scale: float = 1.0,
                 prices: dict[str, dict[str, float]] | None = None) -> None:
        """Demo mode (nothing is billed), the server's time scale (the usual processing time
        of a simulator that runs faster) and the user's price table for estimates."""
        self._demo, self._time_scale, self._prices = demo, time_scale, dict(prices or {})
        if self._jobs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._jobs) - 1, len(HEADERS) - 1))

    @property
    def demo(self) -> bool:
        return self._demo

    @property
    def time_scale(self) -> float:
        return self._time_scale

    def cost(self, job: Job) -> CostText:
        return job_cost(job, demo=self._demo, prices=self._prices)

    def remaining(self, job: Job) -> float | None:
        """Seconds left in the job's current local step, when known."""
        anchor = self._anchors.get(job.id)
        if anchor is None or anchor[0] is not job.state or job.progress is None:
            return None
        return remaining_seconds(anchor[1], anchor[2], self._clock(), job.progress)

    def _note_progress(self, job: Job) -> None:
        anchor = self._anchors.get(job.id)
        if job.state not in PROGRESS_STATES or job.progress is None:
            self._anchors.pop(job.id, None)
        elif anchor is None or anchor[0] is not job.state or job.progress < anchor[2]:
            self._anchors[job.id] = (job.state, self._clock(), job.progress)

    def set_flash(self, job_id: str, on: bool) -> None:
        """Highlight a row (a job that needs attention) or stop highlighting it."""
        (self._flash.add if on else self._flash.discard)(job_id)
        row = self._rows.get(job_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1),
                                  [Qt.ItemDataRole.BackgroundRole])

    def reload(self) -> None:
        """Re-read the store (after a reorder or bulk change), keeping as many rows loaded."""
        keep = max(len(self._jobs), self._page)
        self.beginResetModel()
        self._total = self._source.count()
        self._jobs = list(self._source.list(limit=keep, offset=0))
        self._rows = {job.id: row for row, job in enumerate(self._jobs)}
        self.endResetModel()

    # -- updates from the controller ---------------------------------------------------------
    def job_added(self, job_id: str) -> None:
        if job_id in self._rows:
            self.job_changed(job_id)
            return
        self._total += 1
        if len(self._jobs) < self._total - 1:
            return  # not all loaded yet: paging will reach it
        job = self._lookup(job_id)
        if job is None:
            self._total -= 1
            return
        # In store order (position, created): a new job goes last, a job put back by Undo
        # returns to where it was.
        key = (job.position, job.created_at, job.id)
        row = next((r for r, other in enumerate(self._jobs) if (other.position, other.created_at, other.id) > key),
                   len(self._jobs))
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.insert(row, job)
        if row == len(self._jobs) - 1:
            self._rows[job.id] = row
        else:
            self._rows = {j.id: r for r, j in enumerate(self._jobs)}
        self.endInsertRows()
        self._note_progress(job)
        self.arrived.emit(job.id)

    def job_changed(self, job_id: str) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        job = self._lookup(job_id)
        if job is None:
            self.job_removed(job_id)
            return
        previous = self._jobs[row].state
        if job.state == JobState.DONE and previous != JobState.DONE:
            self._thumbs.pop(job_id, None)  # show the result instead of the input
        self._jobs[row] = job
        self._note_progress(job)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        if job.state in ATTENTION_STATES and previous not in ATTENTION_STATES:
            self.needs_attention.emit(job_id)

    def job_removed(self, job_id: str) -> None:
        row = self._rows.get(job_id)
        self._total = max(0, self._total - 1)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._jobs[row]
        self._rows = {job.id: r for r, job in enumerate(self._jobs)}
        self._thumbs.pop(job_id, None)
        self._thumbs_asked.difference_update({f"{job_id}:True", f"{job_id}:False"})  # asked again if put back
        self._anchors.pop(job_id, None)
        self._flash.discard(job_id)
        self.endRemoveRows()

    def tick(self) -> None:
        """Refresh elapsed times of running rows (called by a 1 s timer in the panel).

        One ``dataChanged`` over the span of running rows, not one per row: with 200 jobs in
        flight, 200 signals a second showed up as GUI-thread stalls in the benchmark."""
        running = [row for row, job in enumerate(self._jobs)
                   if not job.state.is_final and job.state != JobState.QUEUED]
        if running:
            self.dataChanged.emit(self.index(running[0], COL_STATE), self.index(running[-1], COL_STATE),
                                  [Qt.ItemDataRole.DisplayRole])

    def job_at(self, row: int) -> Job | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: str) -> int | None:
        return self._rows.get(job_id)

    @property
    def total(self) -> int:
        return self._total

    # -- data ----------------------------------------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._jobs)):
            return None
        job = self._jobs[index.row()]
        col = index.column()
        if role == JobRole:
            return job
        if role == StateRole:
            return job.state
        if role == ProgressRole:
            return job.progress if col == COL_STATE else None
        if role == SortRole:
            return self._sort_value(job, col)
        if role == ServerTimeRole:
            return server_time(job, self._clock(), time_scale=self._time_scale) if col == COL_STATE else None
        if role == Qt.ItemDataRole.BackgroundRole and job.id in self._flash:
            return QColor(_FLASH_COLOUR)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_PROMPT:
                return job.prompt
            if col == COL_STATE:
                if job.state is JobState.QUEUED and is_budget_hold(job):
                    return str(job.held)  # the guard's figures; "Send now" sends it anyway
                if job.state is JobState.QUEUED and job.held:
                    return ("Held: the command that queued it stopped before sending it, so it is "
                            "not sent by itself. Send it with: seedance-desktop-cli send " + job.id[:12])
                return job.error or state_text(job, self._clock(), time_scale=self._time_scale)
            if col == COL_COST:
                return self.cost(job).long
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == COL_THUMB:
            return self._thumbnail(job)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATE and job.state in _STATE_COLOURS:
            return QColor(_STATE_COLOURS[job.state])
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_COST:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, job: Job, col: int) -> str | None:
        if col == COL_PROMPT:
            first_line = job.prompt.splitlines()[0] if job.prompt else ""
            return first_line[:200]
        if col == COL_PARAMS:
            return format_params(job)
        if col == COL_STATE:
            return state_text(job, self._clock(), remaining=self.remaining(job), time_scale=self._time_scale)
        if col == COL_COST:
            return self.cost(job).short
        return None

    def _sort_value(self, job: Job, col: int) -> Any:
        if col == COL_PROMPT:
            return job.prompt.lower()
        if col == COL_PARAMS:
            return format_params(job)
        if col == COL_STATE:
            return job.state.value
        if col == COL_COST:
            return self.cost(job).amount or 0.0
        return job.position

    def _thumbnail(self, job: Job) -> QPixmap | None:
        """The result (or, before there is one, the first input), made once in a worker."""
        cached = self._thumbs.get(job.id)
        if cached is not None:
            return cached
        key = f"{job.id}:{bool(job.video_path)}"  # ask again once the result exists
        if key not in self._thumbs_asked:
            path = thumbnail_source(job)
            if path is not None:
                self._thumbs_asked.add(key)
                self.thumbnail_wanted.emit(job.id, path)
        return None

    def set_thumbnail(self, job_id: str, pixmap: QPixmap) -> None:
        """Store a thumbnail made elsewhere (in a worker) and repaint its cell."""
        job = self.job_at(self._rows.get(job_id, -1))
        if job is not None and job.state != JobState.DONE:
            # An input's picture: replaced by the result's once the job is done.
            self._thumbs_asked.discard(f"{job_id}:True")
        self._thumbs[job_id] = pixmap
        while len(self._thumbs) > MAX_THUMBS:  # scrolling through 10,000 jobs must not hoard them
            oldest = next(iter(self._thumbs))
            del self._thumbs[oldest]
            self._thumbs_asked.difference_update({f"{oldest}:True", f"{oldest}:False"})
        row = self._rows.get(job_id)
        if row is not None:
            idx = self.index(row, COL_THUMB)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    # -- drag and drop (reorder local queued jobs) ---------------------------------------------
    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        job = self._jobs[index.row()]
        if job.state == JobState.QUEUED and self._move is not None:
            base |= Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids: list[str] = []
        for index in indexes:
            job = self.job_at(index.row()) if index.isValid() else None
            if job is not None and job.id not in ids:
                ids.append(job.id)
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray("\n".join(ids).encode()))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: AnyIndex) -> bool:
        return self._move is not None and action == Qt.DropAction.MoveAction and data.hasFormat(MIME_TYPE)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: AnyIndex) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent) or self._move is None:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._jobs)
        ids = [i for i in bytes(data.data(MIME_TYPE).data()).decode().split("\n") if i in self._rows]
        if not ids:
            return False
        position = self.queue_position(row, exclude=set(ids))
        for offset, job_id in enumerate(ids):
            self._move(job_id, position + offset)
        # The move callback changes the store; rows are re-read by ``reload`` (owner's job), and
        # returning False tells the view not to remove the dragged rows itself.
        return False

    def queue_position(self, row: int, exclude: set[str] | frozenset[str] = frozenset()) -> int:
        """Index among the other QUEUED jobs that a drop before ``row`` means."""
        return sum(1 for job in self._jobs[:row] if job.state == JobState.QUEUED and job.id not in exclude)
