"""The queue panel: a table view over ``QueueModel``, a progress delegate, filter, buttons, menu.

The panel knows nothing about the engine: every user action is a signal carrying the job id,
and the main window connects them to the controller's slots. Job actions are enabled by
``core.engine.allowed.allowed_actions`` (the same table the engine and the CLI obey), so the
menu never offers something the engine would refuse.
No per-row widgets: progress bars are painted by :class:`ProgressDelegate`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.core.engine.allowed import Action, allowed_actions
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.ui.notifications import NoticeBar
from seedance_desktop.ui.queue.details_pane import JobDetailsPane
from seedance_desktop.ui.queue.progress_delegate import ProgressDelegate
from seedance_desktop.ui.queue.thumbnails import THUMB_SIZE, ThumbnailLoader
from seedance_desktop.ui.queue.queue_model import (
    COL_COST,
    COL_PARAMS,
    COL_PROMPT,
    COL_STATE,
    COL_THUMB,
    FLASH_MS,
    AnyIndex,
    JobRole,
    QueueModel,
    SortRole,
    StateRole,
)

_RUNNING = frozenset({JobState.PREPARING, JobState.UPLOADING, JobState.SUBMITTING, JobState.SUBMITTED,
                      JobState.PROCESSING, JobState.DOWNLOADING})
#: (label, states shown; None = every state)
FILTERS: tuple[tuple[str, frozenset[JobState] | None], ...] = (
    ("All jobs", None),
    ("Queued", frozenset({JobState.QUEUED})),
    ("Running", _RUNNING),
    ("Done", frozenset({JobState.DONE})),
    ("Needs attention", frozenset({JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED})),
    ("Cancelled", frozenset({JobState.CANCELLED})),
)


def has_video(job: Job | None) -> bool:
    return bool(job and job.video_path and Path(job.video_path).is_file())


def reference_video(job: Job | None) -> InputFile | None:
    """The job's first local reference video (what "Compare with reference" shows beside the
    result), None when it had none or the file is gone."""
    if job is None:
        return None
    for item in sorted(job.inputs, key=lambda i: (i.field, i.index)):
        if item.field == "video_urls" and Path(item.local_path).is_file():
            return item
    return None


#: The panel's job actions that are engine actions (``play`` and ``reveal`` only open files).
PANEL_ACTIONS: dict[str, Action] = {
    "send": Action.SEND,
    "retry": Action.RETRY,
    "submit_again": Action.SUBMIT_AGAIN,
    "redownload": Action.REDOWNLOAD,
    "duplicate": Action.DUPLICATE,
    "rerun": Action.RERUN,
    "cancel": Action.CANCEL,
    "remove": Action.REMOVE,
}


def enabled_actions(job: Job | None) -> dict[str, bool]:
    """Which of the panel's actions the selected job allows: exactly ``allowed_actions``."""
    allowed = allowed_actions(job) if job is not None else frozenset()
    finished = has_video(job) and job is not None and job.state is JobState.DONE
    enabled = {"play": has_video(job), "reveal": bool(job and job.video_path), "details": job is not None,
               "continue": finished, "compare": finished and reference_video(job) is not None}
    enabled.update({name: action in allowed for name, action in PANEL_ACTIONS.items()})
    return enabled


class JobFilterProxy(QSortFilterProxyModel):
    """Sort by any column and show only the chosen states (None = all)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._states: frozenset[JobState] | None = None
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_states(self, states: frozenset[JobState] | set[JobState] | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10: the non-deprecated way
            self.beginFilterChange()
            self._states = frozenset(states) if states else None
            self.endFilterChange()
        else:
            self._states = frozenset(states) if states else None
            self.invalidateFilter()

    @property
    def states(self) -> frozenset[JobState] | None:
        return self._states

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if self._states is None:
            return True
        index = self.sourceModel().index(source_row, COL_STATE, source_parent)
        return self.sourceModel().data(index, StateRole) in self._states

    def job_at(self, row: int) -> Job | None:
        index = self.index(row, 0)
        return self.data(index, JobRole) if index.isValid() else None


class QueueView(QTableView):
    """The table with drag-to-reorder and sensible sizing for 10,000 rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSortingEnabled(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalHeader().hide()
        # Fixed row heights: the view never measures 10,000 rows.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(40)
        self.setIconSize(THUMB_SIZE)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        #: Set once the person drags a column edge: from then on their widths are kept.
        self.user_sized = False
        self._fitting = False
        header.sectionResized.connect(self._section_resized)

    #: Below this viewport width the Parameters column is hidden (they are in the details pane),
    #: so State and Cost stay in sight at 1024 px without scrolling sideways.
    NARROW = 760
    #: The State column's share of the table's width, between the width of a short state
    #: ("Processing 0:42") and of the longest ("Processing 0:42 · usually 0:30–2:00"); longer
    #: text is elided (the details pane has it whole). A fixed 240 px left the prompt ~180 px
    #: at 1024 px.
    STATE_SHARE = 0.24

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        narrow = self.viewport().width() < self.NARROW
        if self.isColumnHidden(COL_PARAMS) != narrow:
            self.setColumnHidden(COL_PARAMS, narrow)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Size the fixed columns for the table's width; the Prompt column (stretched) takes
        the rest. Widths come from the font, so a larger font keeps the text in."""
        if self.user_sized or self.model() is None:
            return
        metrics, pad = self.fontMetrics(), 18
        short = metrics.horizontalAdvance("Processing 0:42") + pad
        longest = metrics.horizontalAdvance("Processing 0:42 · usually 0:30–2:00") + pad
        cost = max(metrics.horizontalAdvance(text) for text in ("none reported", "est. $10.345", "Cost")) + pad
        params = metrics.horizontalAdvance("10 s · 16:9 · 1080p · seed 4294967295") + pad
        state = int(max(short, min(longest, self.viewport().width() * self.STATE_SHARE)))
        self._fitting = True
        try:
            self.setColumnWidth(COL_THUMB, THUMB_SIZE.width() + 6)
            self.setColumnWidth(COL_STATE, state)
            self.setColumnWidth(COL_COST, cost)
            self.setColumnWidth(COL_PARAMS, min(params, int(self.viewport().width() * 0.22)))
        finally:
            self._fitting = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        """A column edge dragged with the mouse (not a width set here, nor the stretched
        Prompt column following the window)."""
        dragging = bool(QGuiApplication.mouseButtons() & Qt.MouseButton.LeftButton)
        if dragging and not self._fitting and column != COL_PROMPT:
            self.user_sized = True

    #: Shown in the empty table so a newcomer knows what the panel is for and what to do next.
    EMPTY_HINT = "No jobs yet.\nFill in the form on the left and press Submit (Ctrl+Enter)."

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else None
            filtered = source is not None and source.rowCount() > 0
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                             "No jobs in this state." if filtered else self.EMPTY_HINT)
            painter.end()


class QueuePanel(QWidget):
    """Jobs table plus the actions a person can take on the selected job."""

    play_requested = Signal(str)
    send_requested = Signal(str)          # a held job (its command stopped before sending it)
    retry_requested = Signal(str)
    submit_again_requested = Signal(str)
    redownload_requested = Signal(str)    # "Download again": fresh links, same paid result
    duplicate_requested = Signal(str)
    continue_requested = Signal(str)      # a finished job: its last frame starts the next one
    compare_requested = Signal(str)       # a finished job: A/B with its reference video
    rerun_requested = Signal(str)
    remove_requested = Signal(str)
    cancel_requested = Signal(str)
    pause_requested = Signal(bool)        # True: pause the queue, False: resume
    selection_changed = Signal(str)       # job id, "" when nothing is selected
    details_requested = Signal(str)       # show this job's details (the window picks the tab)
    job_failed = Signal(str, str)         # job id, the reason: a job just needs the person
    undo_remove_requested = Signal()      # put back the job removed last

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = JobFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.view = QueueView(self)
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(COL_PROMPT, QHeaderView.ResizeMode.Stretch)
        self.view.fit_columns()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # store (queue) order until clicked
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._sort)
        self.thumbnails = ThumbnailLoader(model, self)
        self._paused = False

        self.filter = QComboBox(self)
        self.filter.setAccessibleName("State filter")
        for label, _states in FILTERS:
            self.filter.addItem(label)
        self.filter.currentIndexChanged.connect(lambda i: self.proxy.set_states(FILTERS[i][1]))

        self.job_actions: dict[str, QAction] = {}
        specs = (
            ("play", "Play", QKeySequence(Qt.Key.Key_Return), self.play_requested),
            ("reveal", "Reveal in folder", None, None),
            ("details", "Show details", QKeySequence("Ctrl+I"), None),
            ("send", "Send now", None, self.send_requested),
            ("retry", "Retry", None, self.retry_requested),
            ("submit_again", "Submit again…", None, self.submit_again_requested),
            ("redownload", "Download again", None, self.redownload_requested),
            ("duplicate", "Duplicate into form", None, self.duplicate_requested),
            ("rerun", "Re-run with new seed", None, self.rerun_requested),
            ("continue", "Continue from this result", None, self.continue_requested),
            ("compare", "Compare with reference…", None, self.compare_requested),
            ("cancel", "Cancel", None, self.cancel_requested),
            ("remove", "Remove", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_requested),
        )
        for name, text, shortcut, signal in specs:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            if signal is not None:
                action.triggered.connect(lambda _=False, s=signal: self._emit_for_selection(s))
            self.job_actions[name] = action
            self.view.addAction(action)
        self.job_actions["reveal"].triggered.connect(self._reveal)
        self.job_actions["details"].triggered.connect(self._show_selected_details)
        enter = QAction(self)
        enter.setShortcut(QKeySequence(Qt.Key.Key_Enter))
        enter.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        enter.triggered.connect(self.job_actions["play"].trigger)
        self.view.addAction(enter)

        self.pause_button = QPushButton("Pause queue", self)
        self.pause_button.clicked.connect(lambda: self.pause_requested.emit(not self._paused))
        self.count_label = QLabel(self)
        self.notices = NoticeBar(self)
        self._select_arrival = False
        #: The window shows the details tab (``set_details_shown``): "Show details" has nothing to do.
        self._details_shown = False
        #: The job the notice bar's "Show details" button is about ("" when there is none).
        self._notice_job = ""
        #: Opens a folder in the file manager; False when there is none (replaceable in tests).
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.undo_action = QAction("Undo remove", self)
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setToolTip("Put back the job removed last (its files were never deleted)")
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self._undo)
        self.addAction(self.undo_action)
        self.details = JobDetailsPane(self.job_actions, reveal=self._reveal, cost=model.cost,
                                      time_scale=lambda: model.time_scale)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:", self))
        bar.addWidget(self.filter)
        # A tool bar, not a row of buttons: at 1024 px what does not fit goes behind its » menu
        # instead of widening the window (the buttons follow their actions' enabled state).
        self.action_bar = QToolBar("Job actions", self)
        self.action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.action_bar.setMovable(False)
        self.action_bar.setFloatable(False)
        for name in ("play", "retry", "duplicate", "cancel", "remove"):
            self.action_bar.addAction(self.job_actions[name])
        bar.addWidget(self.action_bar, 1)
        bar.addWidget(self.pause_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        # Below the table: a notice coming or going must not move the rows under the mouse.
        layout.addWidget(self.notices)

        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda _i: self.job_actions["play"].trigger())
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        model.dataChanged.connect(self._refresh_if_selected)
        model.modelReset.connect(self.update_actions)
        model.arrived.connect(self._arrived)
        model.needs_attention.connect(self._needs_attention)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.update_actions()

    def _tick(self) -> None:
        """Elapsed times move every second: repaint the state cells in view when one of them is
        running. (``QueueModel.tick`` would send every running row through the filter proxy and
        repaint the whole table: most of the panel's idle cost with 100 jobs running.)"""
        view = self.view
        viewport = view.viewport()
        x, width = view.columnViewportPosition(COL_STATE), view.columnWidth(COL_STATE)
        first, last = view.rowAt(0), view.rowAt(viewport.height() - 1)
        if x < 0 or width <= 0 or first < 0:
            return
        last = self.proxy.rowCount() - 1 if last < 0 else last
        for row in range(first, last + 1):
            job = self.proxy.job_at(row)
            if job is not None and not job.state.is_final and job.state != JobState.QUEUED:
                viewport.update(x, 0, width, viewport.height())
                return

    # -- selection -------------------------------------------------------------------------------
    def selected_job(self) -> Job | None:
        rows = self.view.selectionModel().selectedRows()
        return self.proxy.job_at(rows[0].row()) if rows else None

    def select_job(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        return True

    def update_actions(self) -> None:
        for name, enabled in enabled_actions(self.selected_job()).items():
            self.job_actions[name].setEnabled(enabled and not (name == "details" and self._details_shown))
        self._sync_notice_details()

    def set_details_shown(self, shown: bool) -> None:
        """The window says whether the Details tab is in front. It shows the selected job, so
        "Show details" (menu, Ctrl+I) is disabled then, and the notice bar's "Show details"
        is hidden while the job it names is the one shown: a button that does nothing."""
        self._details_shown = shown
        self.update_actions()

    def _sync_notice_details(self) -> None:
        button = self.notices.button("Show details")
        if button is None:
            return
        job = self.selected_job()
        shown = self._details_shown and job is not None and job.id == self._notice_job
        button.setVisible(not shown)

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self.pause_button.setText("Resume queue" if paused else "Pause queue")

    @property
    def paused(self) -> bool:
        return self._paused

    # -- internals -------------------------------------------------------------------------------
    def _selection_changed(self, *_args: Any) -> None:
        self.update_actions()
        self.details.show_job(self.selected_job())
        job = self.selected_job()
        self.selection_changed.emit(job.id if job else "")

    def _refresh_if_selected(self, top: QModelIndex, bottom: QModelIndex, *_roles: Any) -> None:
        job = self.selected_job()
        row = self.model.row_of(job.id) if job is not None else None
        if row is not None and top.row() <= row <= bottom.row():
            self.update_actions()  # e.g. the selected job just finished: Play becomes possible
            self.details.show_job(self.model.job_at(row))

    def _emit_for_selection(self, signal: Any) -> None:
        job = self.selected_job()
        if job is not None:
            signal.emit(job.id)

    def _reveal(self) -> None:
        """Open the video's folder; where that is not possible, say so and offer the path."""
        job = self.selected_job()
        if job is None or not job.video_path:
            return
        path = Path(job.video_path)
        copy = ("Copy path", lambda: QGuiApplication.clipboard().setText(str(path)))
        if not path.exists():
            self.notices.show_notice(f"The video is no longer at {path} (moved or deleted).", kind="error",
                                     actions=[copy])
        elif not self.open_url(QUrl.fromLocalFile(str(path.parent))):
            self.notices.show_notice(f"No file manager could be opened here. The video is at {path}",
                                     kind="info", actions=[copy])

    # -- bringing jobs to the person's attention -------------------------------------------------
    def bring_into_view(self, job_id: str) -> None:
        """Scroll a job's row into view (a new job lands below the fold otherwise)."""
        row = self.model.row_of(job_id)
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else None
        if index is not None and index.isValid():
            self.view.scrollTo(index)

    def _needs_attention(self, job_id: str) -> None:
        """A job has just failed (or its outcome is unknown, or its result expired): bring its
        row into view, highlight it for a while, select it if nothing else is selected (never
        the keyboard focus: the person may be typing), and say why in the notice bar."""
        self.bring_into_view(job_id)
        self.model.set_flash(job_id, True)
        QTimer.singleShot(FLASH_MS, self.model, lambda: self.model.set_flash(job_id, False))
        row = self.model.row_of(job_id)
        job = self.model.job_at(row) if row is not None else None
        if job is None:
            return
        if self.selected_job() is None:
            self.select_job(job_id)
        reason = job.error or job.state.label
        prompt = " ".join(job.prompt.split())
        name = f"“{prompt[:40]}…”" if len(prompt) > 40 else (f"“{prompt}”" if prompt else "A job")
        self._notice_job = job_id
        self.notices.show_notice(f"{name}: {reason}", kind="error",
                                 actions=[("Show details", lambda: self.show_details(job_id))])
        self._sync_notice_details()
        self.job_failed.emit(job_id, reason)

    def _show_selected_details(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.details_requested.emit(job.id)

    def show_details(self, job_id: str) -> None:
        if self.select_job(job_id):
            self.details_requested.emit(job_id)

    # -- undo ------------------------------------------------------------------------------------
    def show_removed(self, message: str) -> None:
        """After a removal: say what happened and offer Undo (also Ctrl+Z in the queue)."""
        self.notices.show_notice(f"{message} Undo with Ctrl+Z.", kind="info",
                                 actions=[("Undo", self.undo_action.trigger)])

    def notify(self, title: str, message: str, kind: str = "info") -> None:
        """The in-window notification (``Notifier``'s fallback where there is no tray)."""
        self.notices.show_notice(f"{title}: {message}", kind=kind)

    def _undo(self) -> None:
        if self.notices.button("Undo") is not None:
            self.notices.dismiss()  # the removal notice is answered
        self._select_arrival = True  # the job put back is selected again
        self.undo_remove_requested.emit()
        self._select_arrival = False

    def _arrived(self, job_id: str) -> None:
        self.bring_into_view(job_id)
        if self._select_arrival:
            self.select_job(job_id)

    def set_can_undo(self, can: bool) -> None:
        self.undo_action.setEnabled(can)

    def set_mode(self, *, demo: bool, time_scale: float = 1.0,
                 prices: dict[str, dict[str, float]] | None = None) -> None:
        self.model.set_mode(demo=demo, time_scale=time_scale, prices=prices)
        self.details.refresh()

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        self.proxy.sort(column, order)

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.build_context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def build_context_menu(self) -> QMenu:
        """The menu for the current selection (actions already enabled by its state)."""
        self.update_actions()
        menu = QMenu(self)
        for name in ("play", "reveal", "details"):
            menu.addAction(self.job_actions[name])
        menu.addSeparator()
        for name in ("send", "retry", "submit_again", "redownload", "duplicate", "rerun", "continue", "compare"):
            menu.addAction(self.job_actions[name])
        menu.addSeparator()
        for name in ("cancel", "remove"):
            menu.addAction(self.job_actions[name])
        menu.addSeparator()
        pause = menu.addAction("Resume queue" if self._paused else "Pause queue")
        pause.triggered.connect(lambda: self.pause_requested.emit(not self._paused))
        return menu
