"""The main window: a thin composition of the form, the queue panel and the player.

Every part is built elsewhere and passed in (no singletons): the window only lays them out,
connects their signals to the controller's slots, shows the status bar and remembers its
geometry. Business rules live in the engine; I/O lives behind the controller.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.ui.banner import DemoBanner, ProblemBanner
from seedance_desktop.ui.notifications import Notifier
from seedance_desktop.ui.pause_display import RUNNING, PauseDisplay, describe_pause

if TYPE_CHECKING:  # imported by the caller after the first paint (start-up time)
    from seedance_desktop.ui.controller import Controller
    from seedance_desktop.ui.player import Player
    from seedance_desktop.ui.queue.job_tabs import JobTabs
    from seedance_desktop.ui.studio.compare_dialog import CompareDialog
    from seedance_desktop.ui.queue.queue_panel import QueuePanel

MEDIA_FILTER = "Media (*.mp4 *.mov *.m4v *.png *.jpg *.jpeg *.webp *.mp3 *.wav *.m4a);;All files (*)"


def _placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setMargin(24)
    label.setEnabled(False)
    return label


def encode_state(data: QByteArray) -> str:
    """Qt state blobs go into the JSON settings as base64 text (never pickled)."""
    return bytes(data.toBase64().data()).decode("ascii")


def decode_state(text: str) -> QByteArray:
    return QByteArray.fromBase64(text.encode("ascii")) if text else QByteArray()


class MainWindow(QMainWindow):
    """Built in two steps so the first paint comes before any heavy import or construction:
    ``MainWindow(settings=...)`` makes the frame (menus, toolbar, status bar, splitters with
    placeholders) and can be shown at once; :meth:`install` then puts the real form, queue
    panel and player in place and connects them to the controller."""

    settings_requested = Signal()
    first_painted = Signal()
    close_requested = Signal()   # the app decides when to quit (after stopping the engine)

    def __init__(self, *, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Seedance Desktop")
        self.settings = settings
        self.painted = False
        self._allow_close = False
        self.controller: Controller | None = None
        self.form: Any = None
        self.panel: QueuePanel | None = None
        self.player: Player | None = None
        self.compare_dialog: CompareDialog | None = None   # the last A/B view opened
        self.job_tabs: JobTabs | None = None
        self.notifier: Notifier | None = None

        self.banner = DemoBanner(self)
        self.banner.hide()
        self.banner.settings_requested.connect(self.settings_requested)
        # Why nothing is being sent (rejected key, no balance, unknown outcomes), where the user
        # looks first; fed by the engine's pause gate through set_pause().
        self.problem_banner = ProblemBanner(self)
        self.problem_banner.hide()
        self.problem_banner.settings_requested.connect(self.settings_requested)
        self.problem_banner.resume_requested.connect(lambda: self._request_pause(False))
        self.pause_display: PauseDisplay = RUNNING
        self.data_folders: list[tuple[str, Path]] = []  # Help > Where is my data (set by the app)
        self._quit_prompt: QMessageBox | None = None
        self._help_dialogs: dict[str, Any] = {}

        # No Qt-namespace enum before the first paint: PySide6 builds all of ``Qt``'s enums on
        # first use (15-25 ms here). A QSplitter is horizontal by default; the vertical
        # queue/player splitter is made in install().
        self.right: QSplitter | None = None
        self._right_state = QByteArray()
        self.splitter = QSplitter(self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(_placeholder("Loading the form…"))
        self.splitter.addWidget(_placeholder("Loading the queue…"))
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.problem_banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.counts_label = QLabel(self)
        self.counts_label.setAccessibleName("Job counts")
        self.mode_label = QLabel("Starting…", self)
        self.mode_label.setAccessibleName("Mode")
        self.pause_label = QLabel(self)
        self.pause_label.setAccessibleName("Queue paused")
        self.pause_label.setStyleSheet("color: #a12622; font-weight: bold;")
        self.pause_label.hide()
        self.statusBar().addPermanentWidget(self.pause_label)
        self.statusBar().addPermanentWidget(self.counts_label)
        self.statusBar().addPermanentWidget(self.mode_label)
        self.set_counts({"queued": 0, "running": 0, "done": 0, "failed": 0})
        self._build_actions()
        self.restore_layout()

    def install(self, controller: Controller, form: Any, panel: QueuePanel, player: Player,
                *, notifier: Notifier | None = None) -> None:
        """Put the real panels in place of the placeholders and wire them up."""
        from PySide6.QtCore import Qt

        from seedance_desktop.ui.queue.job_tabs import JobTabs

        self.controller, self.form, self.panel, self.player = controller, form, panel, player
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("queuePlayerSplitter")
        self.right.addWidget(panel)
        self.job_tabs = JobTabs(player, panel.details)  # the player and the selected job's details
        self.right.addWidget(self.job_tabs)
        self.right.setStretchFactor(0, 1)
        self.right.setStretchFactor(1, 1)
        if not self._right_state.isEmpty():
            self.right.restoreState(self._right_state)
        for index, widget in ((0, form), (1, self.right)):
            old = self.splitter.replaceWidget(index, widget)
            if old is not None:
                old.deleteLater()
        self.notifier = notifier or Notifier(self, enabled=bool(getattr(self.settings, "notify_on_completion", True)),
                                             fallback=panel.notify)
        self._install_actions()
        self._connect()

    # -- composition -----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        # Until the form exists, Submit is a disabled stand-in (replaced in _install_actions).
        self.submit_action = QAction("&Submit", self)
        self.submit_action.setEnabled(False)
        self.add_file_action = QAction("&Add file…", self)
        self.add_file_action.setShortcut(QKeySequence("Ctrl+O"))
        self.add_file_action.triggered.connect(self.add_files)
        self.open_recipe_action = QAction("Open &recipe…", self)
        self.open_recipe_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_recipe_action.setToolTip("Fill the form from a finished video's .json sidecar")
        self.open_recipe_action.triggered.connect(self.open_recipe)
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.settings_requested)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        # Not checkable: its words say what a press does, like the panel's button (set_pause).
        self.pause_action = QAction("&Pause queue", self)
        self.pause_action.setToolTip(RUNNING.tooltip)
        self.pause_action.setEnabled(False)

        self.file_menu = file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.add_file_action)
        file_menu.addAction(self.open_recipe_action)
        file_menu.addAction(self.submit_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.queue_menu = self.menuBar().addMenu("&Queue")
        self.queue_menu.addAction(self.pause_action)
        self.queue_menu.addSeparator()
        self._build_help_menu()

        self.toolbar = toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        for action in (self.add_file_action, self.submit_action, self.pause_action, self.settings_action):
            toolbar.addAction(action)

    def _build_help_menu(self) -> None:
        """Help: what the keys do, where the files are, then (above About) the tools section
        that :meth:`add_help_action` fills (e.g. "Open log folder", "Copy diagnostics")."""
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.data_action = QAction("Where is my &data…", self)
        self.data_action.setToolTip("Data, settings, cache, log and video folders, with copy and open")
        self.data_action.triggered.connect(self.show_data_folders)
        self.about_action = QAction("&About Seedance Desktop", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu = help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.data_action)
        help_menu.addSeparator()
        self.help_tools_end = help_menu.addSeparator()  # add_help_action() inserts above it
        help_menu.addAction(self.about_action)

    def add_help_action(self, action: QAction) -> None:
        """Add a tool to the Help menu's tools section (between the folders and About)."""
        self.help_menu.insertAction(self.help_tools_end, action)

    def _install_actions(self) -> None:
        from PySide6.QtCore import Qt

        assert self.panel is not None and self.controller is not None
        form_submit: QAction | None = getattr(self.form, "submit_action", None)
        if form_submit is not None:
            # The form owns Submit (it enables it); from the menu it must work window-wide.
            form_submit.setText("&Submit")
            form_submit.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
            form_submit.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            for container in (self.file_menu, self.toolbar):
                container.insertAction(self.submit_action, form_submit)
                container.removeAction(self.submit_action)
            self.submit_action.deleteLater()
            self.submit_action = form_submit
        self.pause_action.setEnabled(True)
        self.pause_action.triggered.connect(lambda: self._request_pause(not self.pause_display.paused))
        for name in ("play", "reveal", "details", "retry", "submit_again", "duplicate", "rerun", "continue", "compare",
                     "cancel", "remove"):
            self.queue_menu.addAction(self.panel.job_actions[name])
        self.queue_menu.addAction(self.panel.undo_action)

    def _connect(self) -> None:
        assert self.controller is not None and self.panel is not None and self.player is not None
        assert self.job_tabs is not None
        c, model = self.controller, self.panel.model
        self.form.submit_requested.connect(c.submit)
        c.job_added.connect(model.job_added)
        c.job_changed.connect(model.job_changed)
        c.job_removed.connect(model.job_removed)
        c.order_changed.connect(model.reload)
        c.recipe_ready.connect(self.form.set_recipe)
        if hasattr(self.form, "set_duplicate_check"):
            self.form.set_duplicate_check(c.find_identical)  # a paid repeat is confirmed first
        c.counts_changed.connect(self.set_counts)
        c.mode_changed.connect(self.mode_label.setText)
        c.pause_changed.connect(self.set_pause)
        c.error.connect(self.show_error)
        c.job_finished.connect(self._job_finished)
        c.job_added.connect(lambda job_id: self.statusBar().showMessage("Job added to the queue.", 4000))
        p = self.panel
        p.play_requested.connect(self.play_job)
        p.retry_requested.connect(c.retry)
        p.submit_again_requested.connect(c.submit_again)
        p.redownload_requested.connect(c.redownload)
        p.send_requested.connect(c.send)
        p.duplicate_requested.connect(c.duplicate)
        p.rerun_requested.connect(c.rerun_with_new_seed)
        p.continue_requested.connect(c.continue_from)
        p.compare_requested.connect(self.compare_job)
        p.remove_requested.connect(c.remove)
        p.cancel_requested.connect(c.cancel)
        p.pause_requested.connect(c.set_paused)
        p.selection_changed.connect(self._selection_changed)
        # The queue side: details, failures brought to attention, Undo for Remove.
        p.details_requested.connect(self.job_tabs.show_details)
        tabs = self.job_tabs
        tabs.currentChanged.connect(lambda _i: p.set_details_shown(tabs.currentWidget() is tabs.details))
        p.set_details_shown(tabs.currentWidget() is tabs.details)
        p.selection_changed.connect(self.job_tabs.follow_selection)
        p.job_failed.connect(self._job_failed)
        c.removal_undoable.connect(p.show_removed)
        c.undo_changed.connect(p.set_can_undo)
        p.undo_remove_requested.connect(c.undo_remove)
        model.set_move(c.move)
        self.player.error.connect(self.show_error)

    # -- slots -----------------------------------------------------------------------------------
    def set_demo(self, demo: bool) -> None:
        self.banner.setVisible(demo)
        if self.form is not None:
            self.form.set_demo(demo)
        if self.panel is not None:  # costs: nothing is billed in demo mode
            engine = self.controller.engine if self.controller is not None else None
            self.panel.set_mode(demo=demo, time_scale=engine.time_scale if engine is not None else 1.0,
                                prices=getattr(self.settings, "prices", None))

    def set_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(
            f"Queued {counts.get('queued', 0)} · Running {counts.get('running', 0)} · "
            f"Done {counts.get('done', 0)} · Failed {counts.get('failed', 0)}"
        )

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def compare_job(self, job_id: str) -> None:
        """The A/B view of a finished result against its reference video (non-modal)."""
        from seedance_desktop.ui.queue.queue_panel import reference_video
        from seedance_desktop.ui.studio.compare_dialog import CompareDialog

        job = self.controller.job(job_id) if self.controller else None
        reference = reference_video(job)
        if job is None or not job.video_path or reference is None:
            self.show_error("This job has no result and reference video on disk to compare.")
            return
        span = (reference.trim_start or 0.0, reference.trim_end) if reference.trim_end is not None else None
        framing = None
        if reference.framing:
            from seedance_desktop.media.edit import Framing
            from seedance_desktop.media.errors import MediaError

            try:
                framing = Framing.parse(reference.framing)
            except MediaError:
                framing = None   # an unreadable framing: show the reference as it is
        self.compare_dialog = CompareDialog(job.video_path, reference.local_path, reference_span=span,
                                            framing=framing, parent=self)
        self.compare_dialog.show()

    def play_job(self, job_id: str) -> None:
        job = self.controller.job(job_id) if self.controller else None
        if job is not None and self.player is not None:
            if self.job_tabs is not None:
                self.job_tabs.show_player()
            self.player.show_job(job, autoplay=True)

    def add_files(self) -> None:
        if self.form is None:
            return
        recent = getattr(self.form, "recent", None)  # the folder the last dialog picked from
        paths, _ = QFileDialog.getOpenFileNames(self, "Add media", recent.folder() if recent else "", MEDIA_FILTER)
        if paths:
            if recent is not None:
                recent.remember(list(paths))
            self.form.add_media_paths(list(paths))

    def open_recipe(self) -> None:
        if self.controller is None:
            return
        recent = getattr(self.form, "recent", None)
        path, _ = QFileDialog.getOpenFileName(self, "Open recipe", recent.folder() if recent else "",
                                              "Seedance recipe (*.json)")
        if path:
            if recent is not None:
                recent.remember([path])
            self.controller.open_recipe(path)

    def _selection_changed(self, job_id: str) -> None:
        job = self.controller.job(job_id) if job_id and self.controller else None
        if (job is not None and self.player is not None and job.video_path
                and job.video_path != self.player.current_file):
            self.player.show_job(job, autoplay=False)

    def _request_pause(self, paused: bool) -> None:
        if self.controller is not None:
            self.controller.set_paused(paused)

    def set_pause(self, kind: str, reason: str) -> None:
        """The engine's pause state (kind "" = running), shown the same way everywhere: the
        toolbar/menu action, the queue panel's button, the status bar and the problem banner."""
        display = self.pause_display = describe_pause(kind, reason)
        self.pause_action.setText("&" + display.action_text)  # Alt+Q, P / R in the Queue menu
        self.pause_action.setToolTip(display.tooltip)
        if self.panel is not None:
            self.panel.set_paused(display.paused)
            self.panel.pause_button.setText(display.action_text)
            self.panel.pause_button.setToolTip(display.tooltip)
        self.pause_label.setText(display.status_text)
        self.pause_label.setToolTip(display.reason)
        self.pause_label.setVisible(display.paused)
        if display.needs_attention:
            self.problem_banner.show_problem(display.reason, settings=display.offers_settings,
                                             resume=not display.offers_settings)
        else:
            self.problem_banner.hide()

    def _job_finished(self, job_id: str) -> None:
        job = self.controller.job(job_id) if self.controller else None
        prompt = (job.prompt[:60] + "…") if job and len(job.prompt) > 60 else (job.prompt if job else "")
        if self.notifier is not None:
            self.notifier.notify("Video ready", prompt or "A generation finished.")

    def _job_failed(self, job_id: str, reason: str) -> None:
        # The queue panel already says it in the window; the tray tells a person who is elsewhere.
        if self.notifier is not None:
            self.notifier.notify("Job failed", reason, kind="error", in_window=False)

    # -- geometry --------------------------------------------------------------------------------
    def restore_layout(self) -> None:
        s = self.settings
        if getattr(s, "window_geometry", ""):
            self.restoreGeometry(decode_state(s.window_geometry))
        else:  # never larger than the screen (at 1366x768 the Submit row was below it)
            area = self.screen().availableGeometry()
            self.resize(min(1280, area.width()), min(800, area.height()))
        if getattr(s, "window_state", ""):
            self.restoreState(decode_state(s.window_state))
        if getattr(s, "splitter_state", ""):
            parts = s.splitter_state.split("|")
            self.splitter.restoreState(decode_state(parts[0]))
            if len(parts) > 1:
                self._right_state = decode_state(parts[1])  # applied when install() makes it
        else:
            self.splitter.setSizes([480, 800])

    def save_layout(self) -> None:
        """Write geometry and splitter positions into the settings object (caller saves it)."""
        s = self.settings
        s.window_geometry = encode_state(self.saveGeometry())
        s.window_state = encode_state(self.saveState())
        right = self.right.saveState() if self.right is not None else self._right_state
        s.splitter_state = f"{encode_state(self.splitter.saveState())}|{encode_state(right)}"

    # -- events ----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            self.first_painted.emit()

    def allow_close(self) -> None:
        """Called by the app once shutdown is done, so the next close really closes."""
        self._allow_close = True

    def quit_now(self) -> None:
        """Quit without asking (SIGTERM, Ctrl+C in the terminal: nobody is there to answer)."""
        if self._quit_prompt is not None:
            self._quit_prompt.close()
        self._begin_close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._allow_close:
            event.accept()
            return
        event.ignore()
        if self._quit_prompt is not None:  # already asking
            self._quit_prompt.raise_()
            return
        counts = self.controller.in_flight() if self.controller is not None else {}
        if counts.get("running", 0) > 0:
            self._ask_before_quitting(counts)
            return
        self._begin_close()

    def _ask_before_quitting(self, counts: dict[str, int]) -> None:
        """Jobs in flight: say what happens to them, then Quit or Keep running (Enter / Esc,
        or the underlined letters). Opened with open(): never a nested event loop."""
        from PySide6.QtCore import Qt

        running, queued = counts.get("running", 0), counts.get("queued", 0)
        demo = bool(self.controller is not None and self.controller.demo)
        jobs = f"{running} {'demo ' if demo else ''}job{'s are' if running != 1 else ' is'} still running"
        waiting = f" ({queued} more queued)" if queued else ""
        them, they = ("them", "they") if running != 1 else ("it", "it")
        if demo:
            detail = (f"Quitting stops the local demo server; it keeps the {'tasks' if running != 1 else 'task'} "
                      f"and continues {them} when you start Seedance Desktop again, which then downloads "
                      f"the {'results' if running != 1 else 'result'}.")
        else:
            detail = (f"Quitting does not cancel {them}: {they} continue{'s' if running == 1 else ''} on Modellix's "
                      f"servers (and {'are' if running != 1 else 'is'} paid for). Seedance Desktop checks on "
                      f"{them} and downloads the {'results' if running != 1 else 'result'} the next time it starts.")
        box = QMessageBox(QMessageBox.Icon.Question, "Quit Seedance Desktop?", f"{jobs}{waiting}.", parent=self)
        box.setInformativeText(detail)
        # Room for the title and the sentences; only the text labels, else the icon's label is
        # widened too and a wide gap opens between the icon and the text.
        box.setStyleSheet("QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel { min-width: 380px; }")
        quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("&Keep running", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(quit_button)
        box.setEscapeButton(keep)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def finished() -> None:
            self._quit_prompt = None
            if box.clickedButton() is quit_button:
                self._begin_close()
            box.deleteLater()

        box.finished.connect(finished)
        self._quit_prompt = box
        box.open()

    def _begin_close(self) -> None:
        # Stopping the engine is async: hide now, let the app finish, then close for real.
        self.save_layout()
        if self.player is not None:
            self.player.stop()
        self.hide()
        self.close_requested.emit()

    # -- help --------------------------------------------------------------------------------------
    def _show_dialog(self, name: str, make: Any) -> None:
        """One instance per help window, non-modal, raised when asked again."""
        dialog = self._help_dialogs.get(name)
        if dialog is None or not dialog.isVisible():
            dialog = self._help_dialogs[name] = make()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def show_shortcuts(self) -> None:
        from seedance_desktop.ui.help_dialogs import ShortcutsDialog, collect_shortcuts

        self._show_dialog("shortcuts", lambda: ShortcutsDialog(collect_shortcuts(self), self))

    def show_about(self) -> None:
        from seedance_desktop.ui.help_dialogs import AboutDialog

        self._show_dialog("about", lambda: AboutDialog(self))

    def show_data_folders(self) -> None:
        from seedance_desktop.ui.help_dialogs import DataFoldersDialog

        self._show_dialog("data", lambda: DataFoldersDialog(self.data_folders, self))
