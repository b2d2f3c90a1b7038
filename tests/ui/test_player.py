"""The player plays a generated clip offscreen: frames reach the video sink, controls work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.media.synth import make_clip

# Offscreen/headless noise from Qt itself: no window-system size hints, no GPU (CPU colour
# conversion), no PulseAudio server. None of it affects what the tests check.
# Applied per test: tests/ui/conftest.py adds an item-level qt_log_ignore that would shadow
# a module-level one (pytest-qt reads only the closest marker).
QT_NOISE = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device",
    # Offscreen has no window manager: raising/activating a window and moving the picture's
    # native child window into the full-screen window are no-ops there (they work under X11).
    "does not support raise", "does not support setParent", "does not support requestActivate",
)


@pytest.fixture
def short_clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "short.mp4", duration=2.0)


@QT_NOISE
@pytest.mark.timeout(30)
def test_play_file_delivers_frames_to_the_sink(qtbot: Any, short_clip: Path) -> None:
    from PySide6.QtMultimedia import QMediaPlayer

    from seedance_desktop.ui.player import Player

    player = Player()
    qtbot.addWidget(player)
    player.resize(640, 420)
    player.show()
    frames: list[int] = []
    player.video_sink.videoFrameChanged.connect(lambda frame: frames.append(frame.width()) if frame.isValid() else None)
    player.play_file(short_clip)
    qtbot.waitUntil(lambda: len(frames) >= 5, timeout=10_000)
    assert frames[-1] == 854
    assert player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    qtbot.waitUntil(lambda: player.media.duration() > 0, timeout=5_000)
    assert abs(player.media.duration() - 2000) < 200
    assert player.time_label.text().endswith("/ 0:02")

    player.toggle_play()
    assert player.media.playbackState() == QMediaPlayer.PlaybackState.PausedState
    player.media.setPosition(1000)
    qtbot.waitUntil(lambda: player.media.position() >= 990, timeout=5_000)
    before = player.media.position()
    player.step_frame(1)
    qtbot.waitUntil(lambda: player.media.position() > before, timeout=5_000)
    assert player.media.position() - before == pytest.approx(1000 / 24, abs=2)
    player.step_frame(-1)
    qtbot.waitUntil(lambda: player.media.position() <= before + 1, timeout=5_000)

    player.set_loop(True)
    assert player.media.loops() == QMediaPlayer.Loops.Infinite and player.loop_button.isChecked()
    player.set_loop(False)
    assert player.media.loops() == QMediaPlayer.Loops.Once
    player.stop()


@QT_NOISE
def test_show_job_offers_result_and_inputs(qtbot: Any, tmp_path: Path) -> None:
    from seedance_desktop.ui.player import Player

    result = make_clip(tmp_path / "result.mp4", duration=1.0)
    source_video = make_clip(tmp_path / "input.mp4", duration=1.0)
    job = Job(state=JobState.DONE, video_path=str(result),
              inputs=[InputFile("video_urls", 0, str(source_video)),
                      InputFile("reference_images", 0, str(tmp_path / "missing.png"))])
    player = Player()
    qtbot.addWidget(player)
    player.show_job(job)
    labels = [player.source.itemText(i) for i in range(player.source.count())]
    assert labels == ["Result", "Video 1"]
    assert player.current_file == str(result)
    player.source.setCurrentIndex(1)
    player.source.activated.emit(1)
    assert player.current_file == str(source_video)
    player.stop()
    player.show_job(None)
    assert player.source.count() == 0


@QT_NOISE
def test_volume_mute_and_fullscreen_state(qtbot: Any) -> None:
    from seedance_desktop.ui.player import Player

    player = Player()
    qtbot.addWidget(player)
    if player.audio is not None:
        player.volume.setValue(30)
        assert player.audio.volume() == pytest.approx(0.3, abs=0.01)
        player.set_muted(True)
        assert player.audio.isMuted() and player.mute_button.isChecked()
    else:
        assert not player.mute_button.isEnabled()  # no device: controls say so instead of failing
    assert not player.video.isFullScreen()
    player.leave_fullscreen()  # harmless when not in full screen


# -- full screen, keys, seeking, the end of a clip ----------------------------------------------

class Host:
    """A window like the main one: a prompt-like text field, a button and the player."""

    def __init__(self, qtbot: Any) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QListWidget, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

        from seedance_desktop.ui.player import Player

        self.window = QWidget()
        self.prompt = QPlainTextEdit(self.window)
        self.button = QPushButton("Elsewhere", self.window)
        self.queue = QListWidget(self.window)  # type-ahead search would take letters
        self.queue.addItems(["first job", "fox"])
        self.player = Player(self.window)
        column = QVBoxLayout()
        column.addWidget(self.prompt)
        column.addWidget(self.button)
        column.addWidget(self.queue)
        row = QHBoxLayout(self.window)
        row.addLayout(column)
        row.addWidget(self.player, 1)
        qtbot.addWidget(self.window)
        self.window.resize(900, 500)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.activateWindow()


def loaded(qtbot: Any, player: Any, clip: Path) -> None:
    """Load ``clip`` paused at the start, with its duration known."""
    player.play_file(clip, autoplay=False)
    qtbot.waitUntil(lambda: player.media.duration() > 0, timeout=10_000)


@QT_NOISE
@pytest.mark.timeout(30)
def test_fullscreen_with_f_escape_and_double_click_from_anywhere(qtbot: Any, short_clip: Path) -> None:
    from PySide6.QtCore import Qt

    host = Host(qtbot)
    player = host.player
    loaded(qtbot, player, short_clip)

    # F pressed on a widget that does not use it (the button) reaches the player.
    qtbot.keyClick(host.button, Qt.Key.Key_F)
    assert player.is_fullscreen
    stage_window = player.stage.window()
    assert stage_window is not host.window and stage_window.isFullScreen()
    screen = stage_window.screen().geometry()
    assert stage_window.geometry().size() == screen.size()
    assert player.controls.isVisible() and player.play_button.isVisible() and player.full_button.isVisible()
    assert player.video.isVisible()
    qtbot.waitUntil(lambda: player.video.height() > screen.height() // 2, timeout=5_000)

    qtbot.keyClick(stage_window, Qt.Key.Key_Space)  # keys in full screen work too
    assert player.media.playbackState() == player.media.PlaybackState.PlayingState
    qtbot.keyClick(stage_window, Qt.Key.Key_Space)
    qtbot.keyClick(stage_window, Qt.Key.Key_Escape)
    assert not player.is_fullscreen and player.stage.window() is host.window
    assert player.stage.parentWidget() is player and stage_window.isHidden()

    qtbot.mouseDClick(player.video, Qt.MouseButton.LeftButton)
    assert player.is_fullscreen
    qtbot.mouseDClick(player.video, Qt.MouseButton.LeftButton)
    assert not player.is_fullscreen

    qtbot.keyClick(host.window, Qt.Key.Key_F)
    assert player.is_fullscreen
    qtbot.keyClick(player.stage.window(), Qt.Key.Key_F)
    assert not player.is_fullscreen
    host.queue.setFocus()
    qtbot.keyClick(host.queue, Qt.Key.Key_F)  # a list's type-ahead does not swallow it
    assert player.is_fullscreen
    qtbot.keyClick(player.stage.window(), Qt.Key.Key_Escape)
    assert not player.is_fullscreen
    player.full_button.click()
    assert player.is_fullscreen
    player.full_button.click()
    assert not player.is_fullscreen
    qtbot.keyClick(host.window, Qt.Key.Key_Escape)  # Esc outside full screen is left alone
    assert not player.is_fullscreen
    player.stop()


@QT_NOISE
@pytest.mark.timeout(30)
def test_fullscreen_controls_hide_while_playing_and_come_back(qtbot: Any, short_clip: Path) -> None:
    from PySide6.QtCore import QPoint, Qt

    host = Host(qtbot)
    player = host.player
    loaded(qtbot, player, short_clip)
    player.enter_fullscreen()
    assert player.controls_timer.isActive() and player.controls.isVisible()
    player.controls_timer.timeout.emit()  # paused: the controls stay
    assert player.controls.isVisible()
    player.play()
    qtbot.waitUntil(lambda: player.media.playbackState() == player.media.PlaybackState.PlayingState, timeout=5_000)
    player.controls_timer.timeout.emit()  # stands in for CONTROLS_HIDE_MS passing untouched
    assert player.controls.isHidden() and player.video.cursor().shape() == Qt.CursorShape.BlankCursor
    qtbot.mouseMove(player.video, QPoint(40, 40))
    qtbot.waitUntil(player.controls.isVisible, timeout=5_000)
    player.controls_timer.timeout.emit()
    assert player.controls.isHidden()
    qtbot.keyClick(player.stage.window(), Qt.Key.Key_Space)  # pausing shows them again
    assert player.controls.isVisible()
    player.leave_fullscreen()
    assert player.controls.isVisible() and not player.controls_timer.isActive()
    player.stop()


@QT_NOISE
@pytest.mark.timeout(30)
def test_space_plays_from_the_window_but_types_in_the_prompt(qtbot: Any, short_clip: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtMultimedia import QMediaPlayer

    host = Host(qtbot)
    player = host.player
    loaded(qtbot, player, short_clip)
    paused = (QMediaPlayer.PlaybackState.PausedState, QMediaPlayer.PlaybackState.StoppedState)

    qtbot.keyClicks(host.prompt, "a b")
    assert host.prompt.toPlainText() == "a b"
    assert player.media.playbackState() in paused
    qtbot.keyClick(host.prompt, Qt.Key.Key_Period)
    qtbot.keyClick(host.prompt, Qt.Key.Key_F)
    assert host.prompt.toPlainText() == "a b.f" and player.media.position() == 0
    assert not player.is_fullscreen

    qtbot.keyClick(host.window, Qt.Key.Key_Space)  # the window itself has focus
    assert player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    qtbot.keyClick(player, Qt.Key.Key_Space)  # the player area has focus
    assert player.media.playbackState() in paused

    player.media.setPosition(1000)
    qtbot.waitUntil(lambda: player.media.position() >= 990, timeout=5_000)
    before = player.media.position()
    qtbot.keyClick(host.window, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: player.media.position() > before, timeout=5_000)
    qtbot.keyClick(host.window, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: player.media.position() <= before + 1, timeout=5_000)

    qtbot.mouseClick(player.video, Qt.MouseButton.LeftButton)  # clicking the picture focuses the player
    assert player.hasFocus()
    player.stop()


@QT_NOISE
@pytest.mark.timeout(30)
def test_click_on_the_seek_bar_jumps_there(qtbot: Any, short_clip: Path) -> None:
    from PySide6.QtCore import QPoint, Qt

    host = Host(qtbot)
    player = host.player
    loaded(qtbot, player, short_clip)
    slider = player.slider
    duration = player.media.duration()
    assert slider.maximum() == duration
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() * 3 // 4, slider.height() // 2))
    # A page step would be 10 ms; the click lands near three quarters of the clip.
    assert 0.6 * duration < slider.value() < 0.9 * duration
    qtbot.waitUntil(lambda: player.media.position() > 0.6 * duration, timeout=5_000)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(2, slider.height() // 2))
    qtbot.waitUntil(lambda: player.media.position() < 0.1 * duration, timeout=5_000)
    player.stop()


@QT_NOISE
@pytest.mark.timeout(30)
def test_last_frame_stays_at_the_end_and_playing_again_restarts(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtMultimedia import QMediaPlayer

    host = Host(qtbot)
    player = host.player
    clip = make_clip(tmp_path / "one.mp4", duration=1.0)
    frames: list[bool] = []
    player.video_sink.videoFrameChanged.connect(lambda frame: frames.append(frame.isValid()))
    player.play_file(clip)
    qtbot.waitUntil(lambda: player.media.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia, timeout=10_000)
    qtbot.waitUntil(lambda: player.media.playbackState() == QMediaPlayer.PlaybackState.StoppedState, timeout=5_000)
    qtbot.waitUntil(lambda: player.video_sink.videoFrame().isValid(), timeout=5_000)
    last = player.video_sink.videoFrame()
    assert last.width() == 854 and last.startTime() >= 900_000  # the clip's last frame, not black
    assert False in frames  # the backend did clear the picture at the end; it was put back
    assert player.slider.value() == player.slider.maximum()

    count = len(frames)
    player.play_file(clip)  # what a double-click on the ended job does
    assert player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    qtbot.waitUntil(lambda: len(frames) > count + 3, timeout=10_000)
    assert player.media.position() < player.media.duration()
    player.stop()


@QT_NOISE
def test_last_frame_image_is_shown_beside_the_video(qtbot: Any, tmp_path: Path) -> None:
    from seedance_desktop.media.synth import make_image
    from seedance_desktop.ui.player import Player

    result = make_clip(tmp_path / "result.mp4", duration=1.0)
    still = make_image(tmp_path / "last.png", width=320, height=180)
    player = Player()
    qtbot.addWidget(player)
    player.show()
    player.show_job(Job(state=JobState.DONE, video_path=str(result), last_frame_path=str(still)))
    assert player.still.isVisible() and player.still.pixmap().width() == 160
    player.show_job(Job(state=JobState.DONE, video_path=str(result)))
    assert player.still.isHidden()
    player.stop()
