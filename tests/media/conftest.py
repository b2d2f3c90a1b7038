"""Media test helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest


def _rotated_clip(path: Path, rotation: int) -> Path:
    """2 s of 640x360 stored pixels with a display rotation (as phones record upright video);
    a white box marks the stored top-left corner so tests can tell which way is up."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.set_display_rotation(rotation)
        picture = np.zeros((360, 640, 3), np.uint8)
        picture[:90, :160] = 255
        for _ in range(48):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def rotated_clip() -> Callable[[Path, int], Path]:
    return _rotated_clip
