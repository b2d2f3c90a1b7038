"""The main window: a thin composition of the form, the queue panel and the player.

Every part is built elsewhere and passed in (no singletons): the window only lays them out,
connects their signals to the controller's slots, shows the status bar and remembers its
geometry. Business rules live in the engine; I/O lives behind the controller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.ui.banner import DemoBanner
from seedance_desktop.ui.notifications import Notifier

if TYPE_CHECKING:  # imported by the caller after the first paint (start-up time)
    from seedance_desktop.ui.controller import Controller
    from seedance_desktop.ui.player import Player
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
        self.notifier: Notifier | None = None

        self.banner = DemoBanner(self)
        self.banner.hide()
        self.banner.settings_requested.connect(self.settings_requested)

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
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.counts_label = QLabel(self)
        self.counts_label.setAccessibleName("Job counts")
        self.mode_label = QLabel("Starting…", self)
        self.mode_label.setAccessibleName("Mode")
        self.statusBar().addPermanentWidget(self.counts_label)
        self.statusBar().addPermanentWidget(self.mode_label)
        self.set_counts({"queued": 0, "running": 0, "done": 0, "failed": 0})
        self._build_actions()
        self.restore_layout()

    def install(self, controller: Controller, form: Any, panel: QueuePanel, player: Player,
                *, notifier: Notifier | None = None) -> None:
        """Put the real panels in place of the placeholders and wire them up."""
        from PySide6.QtCore import Qt

        self.controller, self.form, self.panel, self.player = controller, form, panel, player
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("queuePlayerSplitter")
        self.right.addWidget(panel)
        self.right.addWidget(player)
        self.right.setStretchFactor(0, 1)
        self.right.setStretchFactor(1, 1)
        if not self._right_state.isEmpty():
            self.right.restoreState(self._right_state)
        for index, widget in ((0, form), (1, self.right)):
            old = self.splitter.replaceWidget(index, widget)
            if old is not None:
                old.deleteLater()
        self.notifier = notifier or Notifier(self, enabled=bool(getattr(self.settings, "notify_on_completion", True)))
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
        self.pause_action = QAction("&Pause queue", self)
        self.pause_action.setCheckable(True)
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

        self.toolbar = toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        for action in (self.add_file_action, self.submit_action, self.pause_action, self.settings_action):
            toolbar.addAction(action)

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
        self.pause_action.triggered.connect(self.controller.set_paused)
        for name in ("play", "reveal", "retry", "submit_again", "duplicate", "rerun", "cancel", "remove"):
            self.queue_menu.addAction(self.panel.job_actions[name])

    def _connect(self) -> None:
        assert self.controller is not None and self.panel is not None and self.player is not None
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
        c.paused_changed.connect(self._paused_changed)
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
        p.remove_requested.connect(c.remove)
        p.cancel_requested.connect(c.cancel)
        p.pause_requested.connect(c.set_paused)
        p.selection_changed.connect(self._selection_changed)
        model.set_move(c.move)
        self.player.error.connect(self.show_error)

    # -- slots -----------------------------------------------------------------------------------
    def set_demo(self, demo: bool) -> None:
        self.banner.setVisible(demo)

    def set_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(
            f"Queued {counts.get('queued', 0)} · Running {counts.get('running', 0)} · "
            f"Done {counts.get('done', 0)} · Failed {counts.get('failed', 0)}"
        )

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def play_job(self, job_id: str) -> None:
        job = self.controller.job(job_id) if self.controller else None
        if job is not None and self.player is not None:
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

    def _paused_changed(self, paused: bool) -> None:
        if self.panel is not None:
            self.panel.set_paused(paused)
        self.pause_action.setChecked(paused)

    def _job_finished(self, job_id: str) -> None:
        job = self.controller.job(job_id) if self.controller else None
        prompt = (job.prompt[:60] + "…") if job and len(job.prompt) > 60 else (job.prompt if job else "")
        if self.notifier is not None:
            self.notifier.notify("Video ready", prompt or "A generation finished.")

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

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._allow_close:
            event.accept()
            return
        # Stopping the engine is async: hide now, let the app finish, then close for real.
        self.save_layout()
        if self.player is not None:
            self.player.stop()
        event.ignore()
        self.hide()
        self.close_requested.emit()
