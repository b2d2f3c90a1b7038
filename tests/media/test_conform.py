"""Conforming clips: trim, scale into the pixel range, clamp fps, fit under the upload size."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from seedance_desktop.media.conform import conform_video, needs_conform, target_fps, target_size
from seedance_desktop.media.errors import ConformCancelled, MediaError
from seedance_desktop.media.probe import check_reference_video, probe
from seedance_desktop.media.synth import make_audio, make_clip


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1280, 720), (1280, 720)), ((1920, 1080), (1280, 720)), ((3840, 2160), (1280, 720)),
     ((640, 360), (854, 480)), ((480, 480), (640, 640)), ((1080, 1920), (720, 1280))],
)
def test_target_size(size: tuple[int, int], expected: tuple[int, int]) -> None:
    w, h = target_size(*size)
    assert (w, h) == expected
    assert 409_600 <= w * h <= 927_408 and w % 2 == 0 and h % 2 == 0


@pytest.mark.parametrize("size", [(853, 481), (4000, 300), (100, 100), (1281, 721), (333, 777)])
def test_target_size_always_in_range(size: tuple[int, int]) -> None:
    w, h = target_size(*size)
    assert 409_600 <= w * h <= 927_408 and w % 2 == 0 and h % 2 == 0
    assert abs(w / h - size[0] / size[1]) / (size[0] / size[1]) < 0.01


def test_target_fps() -> None:
    assert target_fps(15.0) == 24 and target_fps(120.0) == 60 and target_fps(None) == 30
    assert target_fps(30000 / 1001) == Fraction(30000, 1001)


def test_needs_conform(clip: Path) -> None:
    info = probe(clip)
    assert needs_conform(info) is False
    assert needs_conform(replace(info, duration=16.0))
    assert needs_conform(replace(info, fps=15.0))
    assert needs_conform(replace(info, width=1920, height=1080))
    assert needs_conform(replace(info, size_bytes=20 * 1024 * 1024))
    assert needs_conform(replace(info, video_codec="mpeg4"))
    assert needs_conform(replace(info, duration=1.0)) is False  # too short cannot be fixed


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_long_720p_clip_is_trimmed_and_fits(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "long.mp4", duration=20.0, width=1280, height=720, fps=24)
    assert needs_conform(probe(src))
    seen: list[float] = []
    out = conform_video(src, tmp_path / "out" / "conformed.mp4", progress=seen.append, max_bytes=1_500_000)
    assert out.path == tmp_path / "out" / "conformed.mp4"
    assert out.duration == pytest.approx(15.0, abs=0.1)
    assert (out.width, out.height, out.fps) == (1280, 720, 24.0)
    assert out.video_codec == "h264" and out.has_audio and out.audio_codec == "aac"
    assert out.size_bytes <= 1_500_000
    assert _audio_seconds(out.path) <= 15.1
    assert check_reference_video(out) == []
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) <= 102
    assert sorted(p.name for p in out.path.parent.iterdir()) == ["conformed.mp4"]


@pytest.mark.timeout(60)
def test_small_low_fps_clip_is_scaled_up_and_resampled(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "small.mp4", duration=2.5, width=640, height=360, fps=15, audio=False)
    out = conform_video(src, tmp_path / "ok.mp4")
    assert (out.width, out.height, out.fps) == (854, 480, 24.0)
    assert out.has_audio is False and out.duration == pytest.approx(2.5, abs=0.1)
    with av.open(str(out.path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 60  # 2.5 s at 24 fps
    assert check_reference_video(out) == []


@pytest.mark.timeout(60)
def test_cancel_removes_partial_output(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "c.mp4", duration=4.0, width=640, height=360, fps=24)
    cancel = threading.Event()

    def progress(value: float) -> None:
        if value >= 0.2:
            cancel.set()

    with pytest.raises(ConformCancelled) as info:
        conform_video(src, tmp_path / "out.mp4", progress=progress, cancel=cancel)
    assert "cancelled" in info.value.user_message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4"]


def test_conform_rejects_non_video(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as info:
        conform_video(make_audio(tmp_path / "a.wav", duration=1.0), tmp_path / "o.mp4")
    assert "not a video" in info.value.user_message
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.timeout(60)
def test_rotated_phone_clip_comes_out_upright(rotated_clip: Callable[[Path, int], Path], tmp_path: Path) -> None:
    info = probe(rotated_clip(tmp_path / "phone.mp4", 90))
    assert info.rotation == 90 and (info.width, info.height) == (640, 360) and info.display_size == (360, 640)
    assert needs_conform(info)  # 230,400 pixels: too small
    out = conform_video(info.path, tmp_path / "upright.mp4")
    assert out.rotation == 0 and (out.width, out.height) == target_size(360, 640)
    with av.open(str(out.path)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    h, w = frame.shape[:2]
    # Rotating 90° counter-clockwise moves the stored top-left corner to the bottom-left.
    assert frame[h - 20 :, :20].mean() > 200 and frame[:20, :20].mean() < 50
