"""Shared by the live-mode preparing tests (window and command line): the four clips of the
issue, and a record of every upload the simulator received, probed from its bytes.

The simulator deletes uploads once a job is final (the engine frees the File API quota), so
the bytes are copied the moment the simulator registers them (its ``add_file``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "media"))
from clipbank import make  # noqa: E402

from seedance_desktop.media.probe import MediaInfo, check_reference_video, probe  # noqa: E402
from seedance_desktop.media.verify import verify_decodes  # noqa: E402

FOUR = ("30s_1080p", "4k_60fps", "vp9_webm", "320x240")


def make_four(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make(name, folder) for name in FOUR}


def record_uploads(simulator: Any, folder: Path) -> list[Path]:
    """Copy every file the simulator accepts into ``folder``; returns the (growing) list."""
    folder.mkdir(parents=True, exist_ok=True)
    received: list[Path] = []
    sim = simulator.simulator
    real = sim.add_file

    def add_file(record: Any) -> None:
        copy = folder / f"{record.file_id}-{record.filename}"
        shutil.copyfile(record.path, copy)
        received.append(copy)
        real(record)

    sim.add_file = add_file
    return received


def check_within_limits(path: Path) -> MediaInfo:
    """An upload passes every reference-video limit and decodes to its end."""
    info = probe(path)
    assert check_reference_video(info) == [], (path.name, check_reference_video(info))
    assert info.video_codec == "h264" and info.size_bytes <= 16 * 1024 * 1024
    verify_decodes(path, info)
    return info
