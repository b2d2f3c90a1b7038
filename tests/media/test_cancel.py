"""Cancelling and following the studio's blocking media work (filmstrips, contact sheets):
``progress(done, total)`` counts pictures, a ``cancel`` event is looked at between decoded
frames and stops the work with ``MediaCancelled``, a cancelled or refused contact sheet leaves
no file, and the originals are only ever read."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from clipbank import write_clip

from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.contact_sheet import contact_sheet, filmstrip
from seedance_desktop.media.errors import ConformCancelled, MediaCancelled, MediaError, raise_if_cancelled


class CancelAfter(threading.Event):
    """A cancel event that turns itself on at its ``checks``-th look: shows how often, and
    where, the work looks."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks, self.looks = checks, 0

    def is_set(self) -> bool:
        self.looks += 1
        if self.looks >= self.checks:
            self.set()
        return super().is_set()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cancel")
    return {
        "short": write_clip(folder / "short.mp4", duration=3.0, width=320, height=180),
        # One keyframe in ten seconds: a picture at 5 s means decoding 120 frames forward.
        "one_keyframe": write_clip(folder / "one_keyframe.mp4", duration=10.0, width=160, height=90, gop=240),
    }


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_cancellations_are_one_kind_of_media_error() -> None:
    assert issubclass(MediaCancelled, MediaError) and issubclass(MediaCancelled, SeedanceError)
    assert issubclass(ConformCancelled, MediaCancelled)
    raise_if_cancelled(None)
    raise_if_cancelled(threading.Event())
    done = threading.Event()
    done.set()
    with pytest.raises(MediaCancelled) as caught:
        raise_if_cancelled(done, "the filmstrip")
    assert caught.value.user_message == "The filmstrip was cancelled."


def test_a_filmstrip_reports_each_picture_as_it_is_made(clips: dict[str, Path]) -> None:
    steps: list[tuple[int, int]] = []
    arrived: list[int] = []
    pictures = filmstrip(clips["short"], 5, height=40, progress=lambda done, total: steps.append((done, total)),
                         on_picture=lambda index, picture: arrived.append(index))
    assert len(pictures) == 5
    assert arrived == [0, 1, 2, 3, 4]
    assert steps == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_a_filmstrip_cancelled_between_pictures_stops_there(clips: dict[str, Path]) -> None:
    cancel = threading.Event()
    steps: list[int] = []

    def progress(done: int, total: int) -> None:
        steps.append(done)
        if done == 2:
            cancel.set()

    with pytest.raises(MediaCancelled):
        filmstrip(clips["short"], 5, height=40, progress=progress, cancel=cancel)
    assert steps == [1, 2]
    with pytest.raises(MediaCancelled):   # set before it starts: nothing is decoded
        filmstrip(clips["short"], 5, height=40, progress=lambda d, t: steps.append(d), cancel=cancel)
    assert steps == [1, 2]


def test_a_filmstrip_looks_at_cancel_between_frames_while_it_decodes_forward(clips: dict[str, Path]) -> None:
    # Uncancelled, the one picture (at 5 s) costs a look per decoded frame: 120 or so.
    counting = CancelAfter(10_000)
    assert len(filmstrip(clips["one_keyframe"], 1, height=30, cancel=counting)) == 1
    assert counting.looks > 100
    # Cancelled in the middle of that run of frames: it stops at once, with no picture.
    cancel = CancelAfter(40)
    made: list[int] = []
    with pytest.raises(MediaCancelled):
        filmstrip(clips["one_keyframe"], 1, height=30, cancel=cancel, on_picture=lambda i, p: made.append(i))
    assert cancel.looks == 40 and made == []


def test_a_contact_sheet_reports_progress_and_only_reads_its_videos(clips: dict[str, Path], tmp_path: Path) -> None:
    videos = [clips["short"], clips["one_keyframe"]]
    before = [fingerprint(v) for v in videos]
    steps: list[tuple[int, int]] = []
    sheet = contact_sheet(videos, tmp_path / "sheet.png", columns=3, height=30,
                          progress=lambda done, total: steps.append((done, total)))
    assert sheet.is_file() and sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # 2 videos x 3 pictures, then the PNG written: 7 steps, in order, the last one when the file is there.
    assert steps == [(n, 7) for n in range(1, 8)]
    assert [fingerprint(v) for v in videos] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.png"]


@pytest.mark.parametrize("stop_at", [1, 4, 6])
def test_a_cancelled_contact_sheet_leaves_no_file(clips: dict[str, Path], tmp_path: Path, stop_at: int) -> None:
    cancel = threading.Event()
    steps: list[int] = []

    def progress(done: int, total: int) -> None:
        steps.append(done)
        if done == stop_at:
            cancel.set()

    with pytest.raises(MediaCancelled):
        contact_sheet([clips["short"], clips["one_keyframe"]], tmp_path / "out" / "sheet.png", columns=3, height=30,
                      progress=progress, cancel=cancel)
    assert steps[-1] == stop_at
    left = list((tmp_path / "out").iterdir()) if (tmp_path / "out").exists() else []
    assert left == []   # no sheet, no partial file


def test_a_cancelled_contact_sheet_keeps_an_earlier_one(clips: dict[str, Path], tmp_path: Path) -> None:
    earlier = contact_sheet([clips["short"]], tmp_path / "sheet.png", columns=2, height=20)
    kept = earlier.read_bytes()
    cancel = threading.Event()
    with pytest.raises(MediaCancelled):
        contact_sheet([clips["short"]], earlier, columns=2, height=20, cancel=cancel,
                      progress=lambda done, total: cancel.set())
    assert earlier.read_bytes() == kept and sorted(p.name for p in tmp_path.iterdir()) == ["sheet.png"]


def test_a_contact_sheet_never_overwrites_a_compared_video(clips: dict[str, Path], tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(clips["short"].read_bytes())
    before = fingerprint(video)
    with pytest.raises(MediaError) as caught:
        contact_sheet([clips["one_keyframe"], video], tmp_path / "." / "clip.mp4", columns=2, height=20)
    assert "one of the compared videos" in caught.value.user_message
    assert fingerprint(video) == before
