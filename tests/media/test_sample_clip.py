"""The bundled demo clip is small and passes every reference-video limit."""

from __future__ import annotations

from pathlib import Path

from seedance_desktop.media.conform import needs_conform
from seedance_desktop.media.probe import check_reference_video, probe

SAMPLE = Path(__file__).resolve().parents[2] / "seedance_desktop" / "data" / "sample_clip.mp4"


def test_sample_clip_is_valid_and_small() -> None:
    info = probe(SAMPLE)
    assert info.size_bytes < 1_000_000
    assert check_reference_video(info) == []
    assert needs_conform(info) is False
    assert info.has_audio and info.duration is not None and info.duration >= 4.0
