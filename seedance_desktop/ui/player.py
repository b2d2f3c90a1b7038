"""The player: QMediaPlayer + QVideoWidget + QAudioOutput with the controls people expect.

Qt Multimedia's FFmpeg backend (bundled in the PySide6 wheel) decodes on its own threads, so
playing a result never blocks the GUI thread. The video sink is exposed (``video_sink``) so
tests can count frames offscreen, where the widget's picture cannot be grabbed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaMetaData, QMediaPlayer, QVideoSink
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.core.job import Job
from seedance_desktop.ui.queue.queue_model import format_elapsed

DEFAULT_FPS = 24.0


def format_ms(ms: int) -> str:
    return format_elapsed(ms / 1000)


class Player(QWidget):
    """Plays a job's result (or one of its inputs) with transport controls."""

    file_changed = Signal(str)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.media = QMediaPlayer(self)
        self.video = QVideoWidget(self)
        self.video.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.video.setMinimumSize(320, 180)
        self.media.setVideoOutput(self.video)
        # No audio device (CI, headless servers): play silently instead of warning every time.
        self.audio: QAudioOutput | None = None
        if QMediaDevices.audioOutputs():
            self.audio = QAudioOutput(self)
            self.media.setAudioOutput(self.audio)
        self._path: str | None = None
        self._seeking = False

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
        self.full_button = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarMaxButton), "Full screen (F, Esc to leave)")
        self.full_button.clicked.connect(self.toggle_fullscreen)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName("Seek")
        self.slider.setRange(0, 0)
        self.slider.sliderPressed.connect(lambda: setattr(self, "_seeking", True))
        self.slider.sliderReleased.connect(self._seek_released)
        self.slider.sliderMoved.connect(self._seek_moved)
        self.time_label = QLabel("0:00 / 0:00", self)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setAccessibleName("Volume")
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

        controls = QHBoxLayout()
        for button in (self.play_button, self.back_button, self.forward_button):
            controls.addWidget(button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        for control in (self.loop_button, self.mute_button, self.volume, self.full_button):
            controls.addWidget(control)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.source)
        layout.addWidget(self.video, 1)
        layout.addLayout(controls)

        for keys, slot in (
            ("F", self.toggle_fullscreen),
            ("Space", self.toggle_play),
            (",", lambda: self.step_frame(-1)),
            (".", lambda: self.step_frame(1)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        # In full screen the video widget is a top-level window: give it its own keys.
        for keys, slot in (("Esc", self.leave_fullscreen), ("F", self.toggle_fullscreen)):
            shortcut = QShortcut(QKeySequence(keys), self.video)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

        self.media.positionChanged.connect(self._position_changed)
        self.media.durationChanged.connect(self._duration_changed)
        self.media.playbackStateChanged.connect(self._state_changed)
        self.media.errorOccurred.connect(self._on_error)
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
    def video_sink(self) -> QVideoSink:
        return self.video.videoSink()

    @property
    def current_file(self) -> str | None:
        return self._path

    def play_file(self, path: str | Path, *, autoplay: bool = True) -> None:
        self._path = str(path)
        self.media.setSource(QUrl.fromLocalFile(self._path))
        self.file_changed.emit(self._path)
        if autoplay:
            self.media.play()

    def show_job(self, job: Job | None, *, autoplay: bool = False) -> None:
        """Offer the job's result and its local inputs in the source combo; show the first."""
        self.source.clear()
        if job is None:
            self.source.hide()
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
        if entries:
            self.play_file(entries[0][1], autoplay=autoplay)

    def toggle_play(self) -> None:
        if self.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.media.pause()
        else:
            self.media.play()

    def stop(self) -> None:
        self.media.stop()

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
        self.video.setFullScreen(not self.video.isFullScreen())

    def leave_fullscreen(self) -> None:
        if self.video.isFullScreen():
            self.video.setFullScreen(False)

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
        pos = self.media.position() if position is None else position
        self.time_label.setText(f"{format_ms(pos)} / {format_ms(self.media.duration())}")

    def _state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        icon = (QStyle.StandardPixmap.SP_MediaPause if state == QMediaPlayer.PlaybackState.PlayingState
                else QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_error(self, _error: QMediaPlayer.Error, message: str) -> None:
        self.error.emit(f"Cannot play {Path(self._path).name if self._path else 'the file'}: {message}")
