"""Thumbnails and last frames as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.synth import make_audio, make_clip, make_image
from seedance_desktop.media.thumbs import last_frame_png, thumbnail_png


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with av.open(io.BytesIO(data)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_video_thumbnail(clip: Path) -> None:
    picture = _decode_png(thumbnail_png(clip))
    assert picture.shape == (90, 160, 3)
    assert picture.std() > 10  # a real picture, not a blank frame
    assert _decode_png(thumbnail_png(clip, max_side=64)).shape == (36, 64, 3)


def test_image_thumbnail(tmp_path: Path) -> None:
    image = make_image(tmp_path / "tall.png", width=300, height=600)
    assert _decode_png(thumbnail_png(image)).shape == (160, 80, 3)
    small = make_image(tmp_path / "small.png", width=100, height=50)
    assert _decode_png(thumbnail_png(small)).shape == (50, 100, 3)  # never scaled up


def test_last_frame_is_the_final_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=3.0, width=320, height=240, fps=24, audio=False)
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    last = _decode_png(last_frame_png(clip))
    assert last.shape == (240, 320, 3)
    diffs = [np.abs(last.astype(int) - f.astype(int)).mean() for f in frames]
    assert int(np.argmin(diffs)) == len(frames) - 1 and diffs[-1] < 1.0
    assert _decode_png(last_frame_png(clip, max_side=160)).shape == (120, 160, 3)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        thumbnail_png(make_audio(tmp_path / "a.wav", duration=0.5))
    with pytest.raises(MediaError) as info:
        last_frame_png(tmp_path / "missing.mp4")
    assert "missing.mp4" in info.value.user_message



def test_rotated_clip_thumbnail_is_upright(rotated_clip: Callable[[Path, int], Path], tmp_path: Path) -> None:
    picture = _decode_png(thumbnail_png(rotated_clip(tmp_path / "phone.mp4", 90)))
    assert picture.shape == (160, 90, 3)
    h = picture.shape[0]
    assert picture[h - 8 :, :8].mean() > 200 and picture[:8, :8].mean() < 50
