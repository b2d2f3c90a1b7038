"""Shared fixtures: generated media and (once it exists) the loopback simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedance_desktop.media.synth import make_clip


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 4 s 854x480 24 fps H.264/AAC clip that satisfies every reference-video limit."""
    return make_clip(tmp_path / "clip.mp4", duration=4.0)
