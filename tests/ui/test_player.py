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
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device"
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
