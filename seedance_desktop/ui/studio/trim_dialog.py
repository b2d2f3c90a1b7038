"""Trim (and frame) one reference clip before it costs money: the window side of issue 10.

A non-modal dialog over one row of the form's media list: a filmstrip (decoded in a worker,
filling in as its thumbnails arrive; closing the dialog cancels the decoding) with in/out
handles, frame stepping, loop playback of the selection, the limits shown live (this clip
2-15 s, all clips of the field together 15 s), and, when the clip's shape differs from the
chosen output ratio, Crop (a box dragged over the preview) or Pad. OK hands back a
``media.edit.Selection`` and a framing spelled as ``media.edit.Framing.text`` for the row's
``InputFile.trim_start``/``trim_end``/``framing``; the preparing step cuts exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.api.spec import MediaKind

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer
from seedance_desktop.media.edit import FrameMode, Framing, Selection, default_selection
from seedance_desktop.media.probe import AUDIO_TOTAL_SECONDS, VIDEO_SECONDS, VIDEO_TOTAL_SECONDS
from seedance_desktop.ui.studio.crop_view import CropView
from seedance_desktop.ui.studio.pictures import strip_images
from seedance_desktop.ui.studio.sizing import size_to_screen
from seedance_desktop.ui.studio.strip_bar import StripBar
from seedance_desktop.ui.studio.worker import WorkerHandle, run_in_worker
from seedance_desktop.ui.style import MessageLabel

STRIP_COUNT = 10
STRIP_HEIGHT = 60
PREVIEW_HEIGHT = 540   # the crop preview fills ~450 px of a dialog on a 1600x1000 screen: never upscaled there
TRIM_SHARE, TRIM_CAP = (0.6, 0.72), QSize(1100, 820)   # of the screen, and at most


class TrimDialog(QDialog):
    """``edited(Selection, framing text or None)`` when OK is pressed."""

    edited = Signal(object, object)

    def __init__(self, path: str, kind: MediaKind, duration: float, *, fps: float | None = None,
                 size: tuple[int, int] | None = None, selection: Selection | None = None,
                 framing: str | None = None, ratio: str | None = None, others_seconds: float = 0.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path, self.kind, self.duration = path, kind, duration
        self.others_seconds = others_seconds
        self.field: str | None = None              # which clip of the form it edits (set by the form)
        self.row_item: QListWidgetItem | None = None
        self.setWindowTitle(f"Trim {Path(path).name}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        total = VIDEO_TOTAL_SECONDS if kind is MediaKind.VIDEO else AUDIO_TOTAL_SECONDS
        self.total_limit = total
        self.clip_limits = VIDEO_SECONDS if kind is MediaKind.VIDEO else (0.0, AUDIO_TOTAL_SECONDS)
        if selection is None:
            room = max(self.clip_limits[0], min(self.clip_limits[1], total - others_seconds))
            selection = default_selection(duration, room)

        self.strip = StripBar(duration, fps or 30.0, self)
        self.strip.set_selection(selection.start, min(selection.end, duration), emit=False)
        self.start_spin = self._spin("In", "Start of the selection, in seconds of the clip")
        self.end_spin = self._spin("Out", "End of the selection, in seconds of the clip")
        self.back_button = QPushButton("◀ Frame", self)
        self.back_button.setToolTip("Move the active handle one frame back (, or ←)")
        self.forward_button = QPushButton("Frame ▶", self)
        self.forward_button.setToolTip("Move the active handle one frame on (. or →)")
        self.play_button = QPushButton("▶ Play selection", self)
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the selection in a loop (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.limits = MessageLabel(self)
        self.status = QLabel("Decoding the filmstrip…", self)

        times = QHBoxLayout()
        for text, spin in (("&In", self.start_spin), ("&Out", self.end_spin)):
            label = QLabel(text, self)
            label.setBuddy(spin)
            times.addWidget(label)
            times.addWidget(spin)
        times.addWidget(self.back_button)
        times.addWidget(self.forward_button)
        times.addStretch(1)
        times.addWidget(self.play_button)

        layout = QVBoxLayout(self)
        self.video_area = QWidget(self)   # the player's picture goes here once Play is pressed
        self.video_layout = QVBoxLayout(self.video_area)
        self.video_layout.setContentsMargins(0, 0, 0, 0)
        self.video_area.hide()
        layout.addWidget(self.video_area)
        layout.addWidget(self.strip)
        layout.addLayout(times)
        layout.addWidget(self.limits)
        layout.addWidget(self.status)

        self.jobs: dict[str, WorkerHandle[list[QImage]]] = {}   # the decoding this dialog waits for
        self.crop_view: CropView | None = None
        self.frame_group: QGroupBox | None = None
        self.mode_buttons = QButtonGroup(self)
        self._ratio = ratio
        if kind is MediaKind.VIDEO and size is not None and ratio is not None and _differs(size, ratio):
            self._build_framing(layout, size, ratio, framing)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("Use this selection (and framing) for the clip")
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)

        self.strip.selection_changed.connect(self._on_strip)
        self.start_spin.valueChanged.connect(lambda v: self.strip.set_selection(v, self.strip.end))
        self.end_spin.valueChanged.connect(lambda v: self.strip.set_selection(self.strip.start, v))
        self.back_button.clicked.connect(lambda: self.strip.step(-1))
        self.forward_button.clicked.connect(lambda: self.strip.step(+1))
        self.play_button.toggled.connect(self._play)
        self._player: QMediaPlayer | None = None
        self._sync_spins()
        self._update_limits()
        self.strip.setFocus()
        # Room for the preview and the filmstrip on a big screen, within a small one (Play
        # later adds the video above the strip: the share leaves space for it to grow).
        size_to_screen(self, TRIM_SHARE, TRIM_CAP)
        self.images_ready = False
        if kind is MediaKind.VIDEO:
            self._start_work("strip", lambda job: strip_images(
                path, STRIP_COUNT, STRIP_HEIGHT, cancel=job.cancel_event,
                on_image=lambda index, image: job.report((index, image))),
                self._on_strip_images, progress=self._on_strip_image)
        else:
            self.status.setText("Audio: no pictures; the selection is played on Play.")

    def _spin(self, name: str, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setDecimals(3)
        spin.setRange(0.0, self.duration)
        spin.setSuffix(" s")
        spin.setSingleStep(self.strip.frame)
        spin.setAccessibleName(name)
        spin.setToolTip(tip)
        return spin

    def _build_framing(self, layout: QVBoxLayout, size: tuple[int, int], ratio: str, framing: str | None) -> None:
        current = Framing.parse(framing) if framing else None
        group = QGroupBox(f"Frame for {ratio} (this clip is {size[0]}×{size[1]})", self)
        row = QHBoxLayout()
        for n, (text, tip) in enumerate((("As it is", "Send the picture unchanged; the model frames it"),
                                         ("&Crop", "Keep a region of the output ratio: drag the box"),
                                         ("&Pad", "Keep the whole picture with black bars up to the ratio"))):
            button = QRadioButton(text, group)
            button.setToolTip(tip)
            self.mode_buttons.addButton(button, n)
            row.addWidget(button)
        row.addStretch(1)
        self.crop_view = CropView(size[0], size[1], group)
        box = QVBoxLayout(group)
        box.addLayout(row)
        box.addWidget(self.crop_view, 1)
        layout.addWidget(group, 1)
        self.frame_group = group
        chosen = 0 if current is None else (1 if current.mode is FrameMode.CROP else 2)
        self.mode_buttons.button(chosen).setChecked(True)
        self.crop_view.set_framing(current.mode if current else None, ratio, current.rect if current else None)
        self.mode_buttons.idToggled.connect(self._on_mode)
        self._start_work("preview", lambda job: strip_images(self.path, 1, PREVIEW_HEIGHT, cancel=job.cancel_event),
                         self._on_preview)

    def _start_work(self, name: str, work: Callable[[WorkerHandle[list[QImage]]], list[QImage]],
                    then: Callable[[list[QImage] | None, str], None],
                    progress: Callable[[Any], None] | None = None) -> None:
        """Decode in the studio worker; a newer request of the same kind cancels the stale one,
        so it never waits behind it."""
        stale = self.jobs.get(name)
        if stale is not None:
            stale.cancel()
        self.jobs[name] = run_in_worker(work, then, owner=self, progress=progress)

    def cancel_work(self) -> None:
        """Stop whatever this dialog still decodes (it is closing)."""
        for job in self.jobs.values():
            job.cancel()

    # ----- state ----------------------------------------------------------------------------
    def selection(self) -> Selection:
        return Selection(round(self.strip.start, 3), round(self.strip.end, 3))

    def framing(self) -> str | None:
        if self.crop_view is None:
            return None
        chosen = self.crop_view.framing()
        return None if chosen is None else chosen.text()

    def problems(self) -> list[str]:
        seconds = self.strip.end - self.strip.start
        low, high = self.clip_limits
        problems = []
        if seconds < low - 1e-6:
            problems.append(f"The selection is {seconds:.2f} s: a clip must last at least {low:g} s.")
        if seconds > high + 1e-6:
            problems.append(f"The selection is {seconds:.2f} s: a clip may last at most {high:g} s.")
        together = seconds + self.others_seconds
        if together > self.total_limit + 1e-6:
            problems.append(f"All clips together would last {together:.1f} s: at most {self.total_limit:g} s; "
                            "shorten this selection or another clip.")
        return problems

    # ----- reactions ------------------------------------------------------------------------
    def _on_strip(self, start: float, end: float) -> None:
        self._sync_spins()
        self._update_limits()
        player = self._player
        if player is not None:
            player.setPosition(int(start * 1000))

    def _sync_spins(self) -> None:
        for spin, value in ((self.start_spin, self.strip.start), (self.end_spin, self.strip.end)):
            spin.blockSignals(True)
            spin.setSingleStep(self.strip.frame)
            spin.setValue(value)
            spin.blockSignals(False)

    def _update_limits(self) -> None:
        seconds = self.strip.end - self.strip.start
        low, high = self.clip_limits
        clip = f"this clip {low:g}–{high:g} s" if low else f"this clip at most {high:g} s"
        words = (f"Selection {self.strip.start:.2f}–{self.strip.end:.2f} s = {seconds:.2f} s of {self.duration:.1f} s · "
                 f"{clip} · all clips together {seconds + self.others_seconds:.1f} of {self.total_limit:g} s")
        problems = self.problems()
        if problems:
            self.limits.set_message(words + "\n" + " ".join(problems), "error")
        else:
            self.limits.set_message(words + " ✓", "info")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)

    def _on_strip_image(self, payload: tuple[int, QImage]) -> None:
        index, image = payload
        self.strip.set_image(index, image, STRIP_COUNT)
        self.status.setText(f"Decoding the filmstrip… {self.strip.images_shown()} of {STRIP_COUNT}")

    def _on_strip_images(self, images: list[QImage] | None, error: str) -> None:
        if error:
            self.status.setText(error)
            return
        assert images is not None
        self.strip.set_images(images)
        self.images_ready = True
        self.status.setText("Drag the handles or use the keys: , and . step one frame; I/O choose the handle.")

    def _on_preview(self, images: list[QImage] | None, error: str) -> None:
        if self.crop_view is not None and isinstance(images, list) and images:
            image = images[0]
            assert isinstance(image, QImage)
            self.crop_view.set_image(image)

    def _on_mode(self, mode_id: int, checked: bool) -> None:
        if not checked or self.crop_view is None or self._ratio is None:
            return
        mode = {0: None, 1: FrameMode.CROP, 2: FrameMode.PAD}[mode_id]
        self.crop_view.set_framing(mode, self._ratio)

    def _play(self, on: bool) -> None:
        """Loop the selection: the player is made on first use (no audio device is opened for
        a dialog that only trims), and a position check sends it back to the in point."""
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        if self._player is None:
            from PySide6.QtMultimediaWidgets import QVideoWidget

            player = QMediaPlayer(self)
            player.setAudioOutput(QAudioOutput(self))
            if self.kind is MediaKind.VIDEO:
                video = QVideoWidget(self.video_area)
                video.setMinimumHeight(200)
                self.video_layout.addWidget(video)
                player.setVideoOutput(video)
                self.video_area.show()
            player.setSource(QUrl.fromLocalFile(self.path))
            player.positionChanged.connect(self._loop)
            # A seek before the file is loaded is lost: seek again once it is.
            player.mediaStatusChanged.connect(
                lambda status: player.setPosition(int(self.strip.start * 1000))
                if status == QMediaPlayer.MediaStatus.LoadedMedia else None)
            self._player = player
        player = self._player
        if on:
            player.setPosition(int(self.strip.start * 1000))
            player.play()
            self.play_button.setText("■ Stop")
        else:
            player.pause()
            self.play_button.setText("▶ Play selection")

    def _loop(self, position: int) -> None:
        self.strip.set_playhead(position / 1000)
        if position >= self.strip.end * 1000 or position < self.strip.start * 1000 - 250:
            player = self._player
            if player is not None:
                player.setPosition(int(self.strip.start * 1000))

    def _ok(self) -> None:
        if self.problems():
            return
        self.edited.emit(self.selection(), self.framing())
        self.accept()

    def done(self, result: int) -> None:
        self.cancel_work()   # closed, rejected or accepted: its decoding is of no use any more
        player = self._player
        if player is not None:
            player.stop()
        super().done(result)


def _differs(size: tuple[int, int], ratio: str) -> bool:
    num, den = (int(v) for v in ratio.split(":"))
    return abs(size[0] / size[1] - num / den) > 0.01


__all__ = ["TrimDialog"]
