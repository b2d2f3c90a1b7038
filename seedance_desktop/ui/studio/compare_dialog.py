"""Compare a result with its reference video: one transport for both, frame stepping (one frame
of the result, its rate probed in a worker), side by side or a wipe, one zoom and pan for both
pictures, the reference framed as it was sent, and "Export contact sheet…" (``media.contact_sheet``
in a worker, with a progress bar and a Cancel button; closing the dialog cancels it too, and a
cancelled export leaves no file).

Two QMediaPlayers decode in their own threads into video sinks; their frames are drawn by one
``ABView``. The result (A) leads: the reference (B) follows at the same *fraction* of its used
span (the trimmed selection when the reference was trimmed), so a 5 s result made from seconds
10-16 of a clip lines up moment by moment with those seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.media.edit import Framing
from seedance_desktop.ui.studio.ab_view import ABView, Layout
from seedance_desktop.ui.studio.sizing import size_to_screen
from seedance_desktop.ui.studio.worker import WorkerHandle, run_in_worker
from seedance_desktop.ui.style import MessageLabel

FRAME_MS = 1000 / 24   # a step until the result's frame rate is known (probed on open)
COMPARE_SHARE, COMPARE_CAP = (0.85, 0.72), QSize(1500, 900)   # of the screen, and at most


class CompareDialog(QDialog):
    def __init__(self, result: str, reference: str, *, reference_span: tuple[float, float] | None = None,
                 framing: Framing | None = None, fps: float | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result_path, self.reference_path = result, reference
        self.span = reference_span          # seconds of the reference that were sent (None: all)
        self.frame_ms = 1000 / fps if fps else FRAME_MS
        self.fps_known = bool(fps)
        self.setWindowTitle(f"Compare {Path(result).name} with {Path(reference).name}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.view = ABView(self)
        self.view.set_framing(framing)
        self.players: list[QMediaPlayer] = []
        self.sinks: list[QVideoSink] = []
        self.frames_seen = [0, 0]
        for n, path in enumerate((result, reference)):
            player = QMediaPlayer(self)
            sink = QVideoSink(self)
            player.setVideoSink(sink)
            sink.videoFrameChanged.connect(lambda frame, n=n: self._frame(n, frame))
            player.setSource(QUrl.fromLocalFile(path))
            self.players.append(player)
            self.sinks.append(sink)

        self.side = QRadioButton("&Side by side", self)
        self.wipe = QRadioButton("&Wipe", self)
        self.side.setChecked(True)
        self.wipe_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.wipe_slider.setRange(0, 1000)
        self.wipe_slider.setValue(500)
        self.wipe_slider.setAccessibleName("Wipe position")
        self.wipe_slider.setToolTip("Where the wipe line stands: left shows the result, right the reference")
        self.wipe_slider.setEnabled(False)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setToolTip("Play both (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.back_button = QPushButton("◀ Frame", self)
        self.back_button.setShortcut(Qt.Key.Key_Comma)
        self.back_button.setToolTip("One frame back, both videos (,)")
        self.forward_button = QPushButton("Frame ▶", self)
        self.forward_button.setShortcut(Qt.Key.Key_Period)
        self.forward_button.setToolTip("One frame on, both videos (.)")
        self.position = QSlider(Qt.Orientation.Horizontal, self)
        self.position.setAccessibleName("Position")
        self.position.setToolTip("Position in the result; the reference follows")
        self.time_label = QLabel("0.00 s", self)
        self.export_button = QPushButton("Export contact sheet…", self)
        self.export_button.setToolTip("Save a PNG grid: the reference's frames above the result's, same moments")
        self.export_progress = QProgressBar(self)
        self.export_progress.setAccessibleName("Contact sheet progress")
        self.export_progress.setFormat("Contact sheet %p %")
        self.export_progress.setMinimumWidth(180)   # room for its words
        self.export_progress.hide()
        self.cancel_export_button = QPushButton("Cancel export", self)
        self.cancel_export_button.setToolTip("Stop writing the contact sheet (no file is left)")
        self.cancel_export_button.hide()
        self.export_job: WorkerHandle[Path] | None = None
        self.probe_job: WorkerHandle[object] | None = None
        self.message = MessageLabel(self)
        self.zoom_out_button = QPushButton("−", self)
        self.zoom_out_button.setToolTip("Zoom out, both pictures (Ctrl+-)")
        self.zoom_out_button.setAccessibleName("Zoom out")
        self.zoom_in_button = QPushButton("+", self)
        self.zoom_in_button.setToolTip("Zoom in, both pictures (Ctrl+=)")
        self.zoom_in_button.setAccessibleName("Zoom in")
        self.fit_button = QPushButton("&Fit", self)
        self.fit_button.setToolTip("Fit both pictures into the view (Ctrl+0)")
        self.actual_button = QPushButton("&100 %", self)
        self.actual_button.setToolTip("One pixel of the result per screen pixel (Ctrl+1); the reference at the same scale")
        self.double_button = QPushButton("&200 %", self)
        self.double_button.setToolTip("Two screen pixels per pixel of the result (Ctrl+2)")
        self.zoom_label = QLabel("Fit", self)
        self.zoom_label.setToolTip("Ctrl+wheel zooms where you point; middle-drag or Shift+drag pans both")
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # As wide as its widest words, so the buttons after it stay put while the zoom changes.
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("Fit · 800 %") + 8)
        for button in (self.zoom_out_button, self.zoom_in_button):
            button.setFixedWidth(32)

        zoom = QHBoxLayout()
        zoom.addWidget(QLabel("Zoom:", self))
        zoom.addWidget(self.zoom_out_button)
        zoom.addWidget(self.zoom_label)
        zoom.addWidget(self.zoom_in_button)
        zoom.addWidget(self.fit_button)
        zoom.addWidget(self.actual_button)
        zoom.addWidget(self.double_button)
        zoom.addStretch(1)
        modes = QHBoxLayout()
        modes.addWidget(self.side)
        modes.addWidget(self.wipe)
        modes.addWidget(self.wipe_slider, 1)
        modes.addWidget(self.export_button)
        modes.addWidget(self.export_progress)
        modes.addWidget(self.cancel_export_button)
        transport = QHBoxLayout()
        transport.addWidget(self.back_button)
        transport.addWidget(self.play_button)
        transport.addWidget(self.forward_button)
        transport.addWidget(self.position, 1)
        transport.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(modes)
        layout.addLayout(zoom)
        layout.addLayout(transport)
        layout.addWidget(self.message)

        self.wipe.toggled.connect(self._on_layout)
        self.wipe_slider.valueChanged.connect(lambda v: self.view.set_wipe(v / 1000))
        self.view.wipe_moved.connect(lambda f: self.wipe_slider.setValue(round(f * 1000)))
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(+1))
        self.position.sliderMoved.connect(self.seek)
        self.players[0].durationChanged.connect(lambda d: self.position.setRange(0, max(0, d)))
        self.players[0].positionChanged.connect(self._on_position)
        self.players[0].playbackStateChanged.connect(self._on_state)
        self.export_button.clicked.connect(self._ask_export)
        self.cancel_export_button.clicked.connect(self.cancel_export)
        self.zoom_in_button.clicked.connect(self.view.zoom_in)
        self.zoom_out_button.clicked.connect(self.view.zoom_out)
        self.fit_button.clicked.connect(lambda: self.view.set_zoom(None))
        self.actual_button.clicked.connect(lambda: self.view.set_zoom(1.0))
        self.double_button.clicked.connect(lambda: self.view.set_zoom(2.0))
        self.view.zoom_changed.connect(self._on_zoom)
        keys: tuple[tuple[str, Callable[[], None]], ...] = (
            ("Ctrl+=", self.view.zoom_in), ("Ctrl++", self.view.zoom_in), ("Ctrl+-", self.view.zoom_out),
            ("Ctrl+0", lambda: self.view.set_zoom(None)), ("Ctrl+1", lambda: self.view.set_zoom(1.0)),
            ("Ctrl+2", lambda: self.view.set_zoom(2.0)))
        for key, slot in keys:
            QShortcut(QKeySequence(key), self).activated.connect(slot)
        size_to_screen(self, COMPARE_SHARE, COMPARE_CAP)   # two pictures: wide, within the screen
        if not self.fps_known:   # one step = one frame of the result: read its rate off the GUI thread
            from seedance_desktop.media.probe import probe

            self.probe_job = run_in_worker(lambda job: probe(result), self._probed, owner=self)
        for player in self.players:   # paused on the first frame: something to look at at once
            player.play()
            player.pause()

    # ----- transport ------------------------------------------------------------------------
    def reference_ms(self, result_ms: int) -> int:
        """Where the reference stands when the result is at ``result_ms``."""
        total = self.players[0].duration()
        fraction = result_ms / total if total > 0 else 0.0
        if self.span is not None:
            start, end = self.span
        else:
            start, end = 0.0, self.players[1].duration() / 1000
        return int((start + fraction * (end - start)) * 1000)

    def seek(self, result_ms: int) -> None:
        self.players[0].setPosition(result_ms)
        self.players[1].setPosition(self.reference_ms(result_ms))

    def step(self, frames: int) -> None:
        for player in self.players:
            player.pause()
        # Count in whole frames of the result and land just inside the frame (a position rounded
        # down to the millisecond could still show the frame before it).
        index = round(self.players[0].position() / self.frame_ms) + frames
        target = max(0, min(self.players[0].duration(), math.ceil(index * self.frame_ms)))
        self.seek(target)

    def toggle_play(self) -> None:
        if self.players[0].playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            for player in self.players:
                player.pause()
        else:
            self.seek(self.players[0].position())
            for player in self.players:
                player.play()

    def _on_position(self, ms: int) -> None:
        if not self.position.isSliderDown():
            self.position.setValue(ms)
        self.time_label.setText(f"{ms / 1000:.2f} s")
        # The reference drifts a little while both play: pull it back when it is off by a frame.
        want = self.reference_ms(ms)
        if abs(self.players[1].position() - want) > 2 * self.frame_ms:
            self.players[1].setPosition(want)

    def _on_state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")
        if not playing:
            self.players[1].pause()

    def _frame(self, which: int, frame: QVideoFrame) -> None:
        if frame.isValid():
            image = frame.toImage()
            if not image.isNull():
                self.frames_seen[which] += 1
                self.view.set_frame(which, image)

    def _probed(self, info: object, error: str) -> None:
        fps = getattr(info, "fps", None)
        if not error and isinstance(fps, float) and fps > 0:
            self.frame_ms = 1000 / fps
            self.fps_known = True
            self.forward_button.setToolTip(f"One frame on (1/{fps:.3g} s), both videos (.)")
            self.back_button.setToolTip(f"One frame back (1/{fps:.3g} s), both videos (,)")

    def _on_zoom(self) -> None:
        zoom = self.view.zoom
        # At Fit the label says the scale it came to: "Fit" beside the Fit button told nothing.
        self.zoom_label.setText(f"Fit · {self.view.scale() * 100:.0f} %" if zoom is None else f"{zoom * 100:.0f} %")

    def _on_layout(self, wipe: bool) -> None:
        self.view.set_layout(Layout.WIPE if wipe else Layout.SIDE_BY_SIDE)
        self.wipe_slider.setEnabled(wipe)

    # ----- contact sheet --------------------------------------------------------------------
    def _ask_export(self) -> None:
        suggested = str(Path(self.result_path).with_name(Path(self.result_path).stem + "-contact.png"))
        path, _ = QFileDialog.getSaveFileName(self, "Export contact sheet", suggested, "PNG images (*.png)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the contact sheet in a worker, its progress on a bar beside a Cancel button;
        the message says where it went (or what failed)."""
        from seedance_desktop.media.contact_sheet import contact_sheet

        if self.export_job is not None:
            self.export_job.cancel()   # a newer export replaces one still running
        self.export_button.setEnabled(False)
        self.export_progress.setValue(0)
        self.export_progress.show()
        self.cancel_export_button.show()
        self.message.set_message("Writing the contact sheet…", "info")
        videos = [self.reference_path, self.result_path]
        self.export_job = run_in_worker(
            lambda job: contact_sheet(videos, path, cancel=job.cancel_event,
                                      progress=lambda done, total: job.report((done, total))),
            self._exported, owner=self, progress=self._export_progressed)

    def _export_progressed(self, payload: tuple[int, int]) -> None:
        done, total = payload
        self.export_progress.setRange(0, total)
        self.export_progress.setValue(done)

    def cancel_export(self) -> None:
        """Stop the export at its next frame; the worker removes what it wrote so far."""
        if self.export_job is not None and self.export_job.pending:
            self.export_job.cancel()
            self.message.set_message("The contact sheet was cancelled.", "info")
        self._export_ended()

    def _export_ended(self) -> None:
        self.export_button.setEnabled(True)
        self.export_progress.hide()
        self.cancel_export_button.hide()

    def _exported(self, result: Path | None, error: str) -> None:
        self._export_ended()
        if error:
            self.message.set_message(f"The contact sheet was not written: {error}", "error")
        else:
            self.message.set_message(f"Contact sheet saved: {result}", "info")
        self.exported = not error

    exported = False

    def done(self, result: int) -> None:
        for job in (self.export_job, self.probe_job):   # closed: its work is of no use any more
            if job is not None:
                job.cancel()
        for player in self.players:
            player.stop()
        super().done(result)


__all__ = ["CompareDialog"]
