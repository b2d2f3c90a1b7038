"""The player: QMediaPlayer + QVideoWidget + QAudioOutput with the controls people expect.

Qt Multimedia's FFmpeg backend (bundled in the PySide6 wheel) decodes on its own threads, so
playing a result never blocks the GUI thread. The video sink is exposed (``video_sink``) so
tests can count frames offscreen, where the widget's picture cannot be grabbed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QPixmap, QShortcut, QShowEvent
from PySide6.QtMultimedia import (
    QAudioOutput,
    QMediaDevices,
    QMediaMetaData,
    QMediaPlayer,
    QVideoFrame,
    QVideoSink,
)
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.core.job import Job
from seedance_desktop.ui.queue.row_text import format_elapsed

DEFAULT_FPS = 24.0
STILL_WIDTH = 160
#: In full screen the controls hide after this long without the mouse moving while playing.
CONTROLS_HIDE_MS = 2500

#: Keys the player answers wherever focus is in its window, unless the focused widget uses
#: them itself (a text field types the space; a button is pressed by it).
PLAYER_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_F, Qt.Key.Key_Escape, Qt.Key.Key_Comma, Qt.Key.Key_Period)
#: Of those, the ones made window shortcuts: they win over lists and tables (whose type-ahead
#: search would take them) yet text fields still type them (they claim printable keys through
#: ShortcutOverride). Space and Esc are left to the event filter: a focused button or check
#: box must keep Space, and Esc belongs to whoever uses it first (a popup, a dialog).
SHORTCUT_KEYS = ("F", ",", ".")


def format_ms(ms: int) -> str:
    return format_elapsed(ms / 1000)


class SeekSlider(QSlider):
    """A seek bar where a click jumps to the clicked position (QSlider moves a page per click)
    and the handle then follows the mouse, so click-and-drag scrubs from there."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style = self.style()
            handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                          QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                              QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                offset = round(event.position().x()) - groove.x() - handle.width() // 2
                # The handle moves under the cursor; the base class then sees a press on the
                # handle (sliderPressed, dragging) and the release seeks (sliderReleased).
                self.setSliderPosition(QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), max(0, min(span, offset)), span, option.upsideDown))
        super().mousePressEvent(event)


class FullScreenStage(QWidget):
    """The top-level window the player's stage (picture + controls) moves into for full
    screen: black, filled by the picture (aspect kept by the video widget), the controls at
    the bottom. Its keys, double-clicks and closing go back to the player."""

    def __init__(self, player: Player) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.player = player
        self.setWindowTitle("Seedance Desktop – full screen")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        # Black around the picture, painted rather than set in the palette: a palette would be
        # inherited by the controls and make their icons and text unreadable.
        QPainter(self).fillRect(event.rect(), Qt.GlobalColor.black)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.player.handle_key(event):
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closed by the window manager (or Alt+F4): leave full screen, keep the stage alive.
        event.ignore()
        self.player.leave_fullscreen()


class Player(QWidget):
    """Plays a job's result (or one of its inputs) with transport controls."""

    file_changed = Signal(str)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The QMediaPlayer is made on first use (``media``): making it starts Qt Multimedia's
        # FFmpeg backend (~35 ms on the GUI thread), which the window does not need to be usable.
        self._media: QMediaPlayer | None = None
        # The stage (picture + controls) is one widget so full screen can move it whole into
        # its own window and back; QVideoWidget.setFullScreen alone showed a grey screen with
        # the picture in a corner and no controls.
        self.stage = QWidget(self)
        self.video = QVideoWidget(self.stage)
        self.video.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.video.setMinimumSize(320, 180)
        # No audio device (CI, headless servers): play silently instead of warning every time.
        self.audio: QAudioOutput | None = None
        if QMediaDevices.audioOutputs():
            self.audio = QAudioOutput(self)
        self._path: str | None = None
        self._seeking = False
        self._last_frame: QVideoFrame | None = None
        self._fullscreen: FullScreenStage | None = None
        self._filtered_window: QWidget | None = None
        # Clicking the picture gives the player focus (the video widget itself takes none), so
        # its keys work; they also work from anywhere in the window (see eventFilter).
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.video.installEventFilter(self)
        self.controls_timer = QTimer(self)
        self.controls_timer.setSingleShot(True)
        self.controls_timer.setInterval(CONTROLS_HIDE_MS)
        self.controls_timer.timeout.connect(self._hide_controls)

        self.source = QComboBox(self)
        self.source.setAccessibleName("Show")
        self.source.setToolTip("Show the result or one of the job's inputs")
        self.source.activated.connect(self._source_chosen)
        self.source.hide()

        style = self.style()
        self.play_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "Previous frame (,)")
        self.back_button.clicked.connect(lambda: self.step_frame(-1))
        self.forward_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Next frame (.)")
        self.forward_button.clicked.connect(lambda: self.step_frame(1))
        self.loop_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.toggled.connect(self.set_loop)
        self.mute_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_MediaVolume), "Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self.set_muted)
        self.full_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarMaxButton),
                                      "Full screen (F or double-click; Esc to leave)")
        self.full_button.clicked.connect(self.toggle_fullscreen)

        self.slider = SeekSlider(Qt.Orientation.Horizontal, self)
        self.slider.setToolTip("Seek: click to jump, drag to scrub")
        self.slider.setAccessibleName("Seek")
        self.slider.setRange(0, 0)
        self.slider.sliderPressed.connect(lambda: setattr(self, "_seeking", True))
        self.slider.sliderReleased.connect(self._seek_released)
        self.slider.sliderMoved.connect(self._seek_moved)
        self.time_label = QLabel("0:00 / 0:00", self)
        self.time_label.setToolTip("Position / length")
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setAccessibleName("Volume")
        self.volume.setToolTip("Volume")
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMaximumWidth(90)
        self.volume.valueChanged.connect(self.set_volume)
        if self.audio is None:
            self.volume.setEnabled(False)
            self.mute_button.setEnabled(False)
            self.mute_button.setToolTip("No audio output device")
        else:
            self.set_volume(self.volume.value())

        self.controls = QWidget(self.stage)
        self.controls.setAutoFillBackground(True)  # a solid bar under the picture in full screen
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(4, 2, 4, 2)
        for button in (self.play_button, self.back_button, self.forward_button):
            controls.addWidget(button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        for control in (self.loop_button, self.mute_button, self.volume, self.full_button):
            controls.addWidget(control)

        # The returned last-frame image (``return_last_frame``) beside the picture.
        self.still = QLabel(self.stage)
        self.still.setAccessibleName("Last frame image")
        self.still.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.still.setFixedWidth(STILL_WIDTH)
        self.still.hide()
        picture = QHBoxLayout()
        picture.setContentsMargins(0, 0, 0, 0)
        picture.addWidget(self.video, 1)
        picture.addWidget(self.still)
        stage_layout = QVBoxLayout(self.stage)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        stage_layout.setSpacing(0)
        stage_layout.addLayout(picture, 1)
        stage_layout.addWidget(self.controls)

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.source)
        self._layout.addWidget(self.stage, 1)

        for keys, slot, what in zip(SHORTCUT_KEYS, (self.toggle_fullscreen, lambda: self.step_frame(-1),
                                                    lambda: self.step_frame(1)),
                                    ("Full screen on/off", "Previous frame", "Next frame")):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setWhatsThis(what)  # Help > Keyboard shortcuts lists it by these words
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        self.video_sink.videoFrameChanged.connect(self._frame_arrived)
        self._update_time()

    def _tool(self, icon: object, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon)  # type: ignore[arg-type]
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        return button

    # -- public API ------------------------------------------------------------------------------
    @property
    def media(self) -> QMediaPlayer:
        """The media player, made (and wired to the picture and sound) on first use."""
        if self._media is None:
            media = QMediaPlayer(self)
            media.setVideoOutput(self.video)
            if self.audio is not None:
                media.setAudioOutput(self.audio)
            media.positionChanged.connect(self._position_changed)
            media.durationChanged.connect(self._duration_changed)
            media.playbackStateChanged.connect(self._state_changed)
            media.errorOccurred.connect(self._on_error)
            media.mediaStatusChanged.connect(self._status_changed)
            self._media = media
        return self._media

    @property
    def video_sink(self) -> QVideoSink:
        return self.video.videoSink()

    @property
    def current_file(self) -> str | None:
        return self._path

    @property
    def is_fullscreen(self) -> bool:
        return self._fullscreen is not None

    def play_file(self, path: str | Path, *, autoplay: bool = True) -> None:
        """Show ``path``; playing the file already shown (double-click on its job) starts it
        again from the beginning if it had ended."""
        new = str(path)
        if new != self._path or self.media.source() != QUrl.fromLocalFile(new):
            self._path = new
            self._last_frame = None  # a new file: its own frames, not the old file's last one
            self.media.setSource(QUrl.fromLocalFile(new))
            self.file_changed.emit(new)
        if autoplay:
            self.play()

    def play(self) -> None:
        if self.media.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia:
            self.media.setPosition(0)
        self.media.play()

    def show_job(self, job: Job | None, *, autoplay: bool = False) -> None:
        """Offer the job's result and its local inputs in the source combo; show the first."""
        self.source.clear()
        if job is None:
            self.source.hide()
            self.show_still(None)
            return
        entries: list[tuple[str, str]] = []
        if job.video_path and Path(job.video_path).is_file():
            entries.append(("Result", job.video_path))
        counters: dict[str, int] = {}
        labels = {"video_urls": "Video", "audio_urls": "Audio", "reference_images": "Image",
                  "first_frame_image": "First frame", "last_frame_image": "Last frame"}
        for item in sorted(job.inputs, key=lambda i: (i.field, i.index)):
            if not item.local_path or not Path(item.local_path).is_file():
                continue
            if item.field not in ("video_urls", "audio_urls"):
                continue  # stills are shown in the form, the player plays time-based media
            base = labels.get(item.field, item.field)
            counters[base] = counters.get(base, 0) + 1
            entries.append((f"{base} {counters[base]}", item.local_path))
        for label, path in entries:
            self.source.addItem(label, path)
        self.source.setVisible(len(entries) > 1)
        self.show_still(job.last_frame_path)
        if entries:
            self.play_file(entries[0][1], autoplay=autoplay)

    def show_still(self, path: str | None) -> None:
        """Show the job's returned last-frame image beside the picture (hidden without one)."""
        pixmap = QPixmap(path) if path and Path(path).is_file() else QPixmap()
        if pixmap.isNull():
            self.still.clear()
            self.still.hide()
            return
        self.still.setPixmap(pixmap.scaledToWidth(STILL_WIDTH, Qt.TransformationMode.SmoothTransformation))
        self.still.setToolTip(f"Last frame image returned with the video: {path}")
        self.still.show()

    def toggle_play(self) -> None:
        if self.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.media.pause()
        else:
            self.play()

    def stop(self) -> None:
        self.leave_fullscreen()
        self._last_frame = None
        if self._media is not None:
            self._media.stop()

    def set_loop(self, on: bool) -> None:
        self.media.setLoops(QMediaPlayer.Loops.Infinite if on else QMediaPlayer.Loops.Once)
        if self.loop_button.isChecked() != on:
            self.loop_button.setChecked(on)

    def set_volume(self, value: int) -> None:
        if self.audio is not None:
            self.audio.setVolume(max(0, min(100, value)) / 100)

    def set_muted(self, muted: bool) -> None:
        if self.audio is not None:
            self.audio.setMuted(muted)
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)

    def frame_ms(self) -> float:
        rate = self.media.metaData().value(QMediaMetaData.Key.VideoFrameRate)
        try:
            fps = float(rate) if rate else DEFAULT_FPS
        except (TypeError, ValueError):
            fps = DEFAULT_FPS
        return 1000.0 / (fps if fps > 0 else DEFAULT_FPS)

    def step_frame(self, frames: int) -> None:
        """Pause and move by whole frames (Qt has no frame step; seek by 1/fps)."""
        self.media.pause()
        target = self.media.position() + round(frames * self.frame_ms())
        self.media.setPosition(max(0, min(self.media.duration(), target)))

    def toggle_fullscreen(self) -> None:
        if self.is_fullscreen:
            self.leave_fullscreen()
        else:
            self.enter_fullscreen()

    def enter_fullscreen(self) -> None:
        """Move the stage into a full-screen window of its own (on this window's screen)."""
        if self._fullscreen is not None:
            return
        window = FullScreenStage(self)
        window.installEventFilter(self)
        screen = self.screen()
        if screen is not None:
            window.setGeometry(screen.geometry())
        self._layout.removeWidget(self.stage)
        layout = window.layout()
        assert layout is not None
        layout.addWidget(self.stage)
        self.stage.show()
        self._fullscreen = window
        window.showFullScreen()
        window.raise_()
        window.activateWindow()
        window.setFocus(Qt.FocusReason.OtherFocusReason)
        self.full_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarNormalButton))
        self.full_button.setToolTip("Leave full screen (Esc, F or double-click)")
        self.video.setMouseTracking(True)  # a move over the picture brings the controls back
        self.reveal_controls()

    def leave_fullscreen(self) -> None:
        """Put the stage back into the normal layout and close the full-screen window."""
        window, self._fullscreen = self._fullscreen, None
        if window is None:
            return
        layout = window.layout()
        if layout is not None:
            layout.removeWidget(self.stage)
        self.stage.setParent(self)
        self._layout.addWidget(self.stage, 1)
        self.stage.show()
        window.removeEventFilter(self)
        window.hide()
        window.deleteLater()
        self.full_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarMaxButton))
        self.full_button.setToolTip("Full screen (F or double-click; Esc to leave)")
        self.controls_timer.stop()
        self.controls.show()
        self.video.setMouseTracking(False)
        self.video.unsetCursor()
        top = self.window()
        top.raise_()
        top.activateWindow()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def reveal_controls(self) -> None:
        """Show the controls (and the pointer); in full screen, hide them again after a while
        of playing untouched, so the picture has the whole screen."""
        self.controls.show()
        self.video.unsetCursor()
        if self.is_fullscreen:
            self.controls_timer.start()

    def _hide_controls(self) -> None:
        playing = self._media is not None and self._media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        if self.is_fullscreen and playing and not self.controls.underMouse():
            self.controls.hide()
            self.video.setCursor(Qt.CursorShape.BlankCursor)

    def handle_key(self, event: QKeyEvent) -> bool:
        """Answer a player key; False leaves the event to others (Esc outside full screen)."""
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers != Qt.KeyboardModifier.NoModifier or event.key() not in PLAYER_KEYS:
            return False
        key = event.key()
        if self.is_fullscreen:
            self.reveal_controls()
        if key == Qt.Key.Key_Escape:
            if not self.is_fullscreen:
                return False
            self.leave_fullscreen()
        elif key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_F:
            self.toggle_fullscreen()
        else:
            self.step_frame(-1 if key == Qt.Key.Key_Comma else 1)
        event.accept()
        return True

    # -- events ----------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Window-wide keys: a key press nobody in the window took (no text field, no button has
        # it) propagates up to the top-level window, where this filter sees it. That keeps
        # typing a space in the prompt a space, and makes Space play from anywhere else.
        top = self.window()
        if top is not self and top is not self._filtered_window:
            if self._filtered_window is not None:
                self._filtered_window.removeEventFilter(self)
            top.installEventFilter(self)
            self._filtered_window = top

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove and watched is self.video and self.is_fullscreen:
            self.reveal_controls()
        if kind == QEvent.Type.MouseButtonDblClick and watched is self.video:
            self.toggle_fullscreen()
            return True
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and watched is self._filtered_window:
            return self.handle_key(event)
        return super().eventFilter(watched, event)

    # -- internals -------------------------------------------------------------------------------
    def _source_chosen(self, index: int) -> None:
        path = self.source.itemData(index)
        if path:
            self.play_file(path)

    def _seek_moved(self, value: int) -> None:
        self._update_time(value)

    def _seek_released(self) -> None:
        self._seeking = False
        self.media.setPosition(self.slider.value())

    def _position_changed(self, position: int) -> None:
        if not self._seeking:
            self.slider.setValue(position)
        self._update_time(position)

    def _duration_changed(self, duration: int) -> None:
        self.slider.setRange(0, max(0, duration))
        self._update_time()

    def _update_time(self, position: int | None = None) -> None:
        media = self._media
        pos = (media.position() if media is not None else 0) if position is None else position
        self.time_label.setText(f"{format_ms(pos)} / {format_ms(media.duration() if media is not None else 0)}")

    def _frame_arrived(self, frame: QVideoFrame) -> None:
        """Keep the picture at the end: the backend clears the sink when the clip ends (a black
        picture); the last real frame is put back instead."""
        if frame.isValid():
            self._last_frame = frame
        elif self._last_frame is not None and self._media is not None and self._media.mediaStatus() in (
                QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.BufferedMedia,
                QMediaPlayer.MediaStatus.LoadedMedia):
            self.video_sink.setVideoFrame(self._last_frame)

    def _status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.slider.setValue(self.slider.maximum())
            if self._last_frame is not None and not self.video_sink.videoFrame().isValid():
                self.video_sink.setVideoFrame(self._last_frame)

    def _state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        if self.is_fullscreen:
            # Paused or ended: the controls come back and stay (the timer checks "playing");
            # playing again: they hide after a while.
            self.reveal_controls()
        icon = (QStyle.StandardPixmap.SP_MediaPause if state == QMediaPlayer.PlaybackState.PlayingState
                else QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_error(self, _error: QMediaPlayer.Error, message: str) -> None:
        self.error.emit(f"Cannot play {Path(self._path).name if self._path else 'the file'}: {message}")
