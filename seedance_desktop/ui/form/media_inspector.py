"""Checking local media (the shared ``core.prepare`` assessment) and making thumbnails off the
GUI thread.

PyAV decoding takes tens to hundreds of milliseconds per file, so every probe/thumbnail runs in a
private ``QThreadPool``. Results come back through a signal on a relay object that lives in the
GUI thread, so Qt queues the delivery and widgets are only touched on the GUI thread. Results are
cached by (path, size, mtime) so re-ordering or re-building the form never probes twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.core.prepare import inspect_input
from seedance_desktop.media.pipeline import Finding, Verdict

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".m4a", ".aac", ".flac", ".ogg"})
THUMB_SIDE = 96


def media_kind_of(path: str) -> MediaKind | None:
    """Route a file by its extension (cheap, no I/O): what the file manager would do."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return MediaKind.VIDEO
    if suffix in IMAGE_SUFFIXES:
        return MediaKind.IMAGE
    if suffix in AUDIO_SUFFIXES:
        return MediaKind.AUDIO
    return None


@dataclass(frozen=True)
class Inspection:
    """What the form needs to know about one local file: the facts, a thumbnail, and the
    shared per-file verdict (``core.prepare.inspect_input``). The words shown for the file
    come from ``core.prepare.combine`` over the whole field (MediaList), as the CLI's do."""

    path: str
    kind: MediaKind | None
    size_bytes: int | None = None
    duration: float | None = None
    width: int | None = None             # as displayed (rotation applied)
    height: int | None = None
    info: Any = None                      # media.probe.MediaInfo when probing worked
    thumbnail: QImage | None = None
    warnings: list[str] = field(default_factory=list)   # kept for callers; the verdict is in ``finding``
    conform_note: str = ""                # the single-file "Will be conformed before upload: ..."
    error: str = ""                       # the file cannot be used at all
    finding: Finding | None = None        # media.pipeline.Finding (None: inspection crashed)

    @property
    def blocking(self) -> list[str]:
        """Problems that must stop a submit (only what no conforming can fix)."""
        return [self.error] if self.error else []


def inspect_file(path: str, kind: MediaKind | None) -> Inspection:
    """Probe, check and decode the tail of one file, plus a thumbnail (blocking; run it in a
    worker). Never raises."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return Inspection(path, kind, error=f"Cannot read {Path(path).name}: {exc.strerror or exc}.")
    if kind is None:
        return Inspection(path, kind, size_bytes=size, error=f"{Path(path).name} is not a video, image or audio file.")
    finding = inspect_input(path, kind)
    info = finding.info
    error = finding.reason if finding.verdict is Verdict.REJECT else ""
    note = finding.summary if finding.verdict is Verdict.CONFORM else ""
    thumb: QImage | None = None
    if kind is MediaKind.VIDEO and info is not None:
        try:
            from seedance_desktop.media.thumbs import thumbnail_png

            thumb = QImage.fromData(thumbnail_png(path, max_side=THUMB_SIDE))
        except Exception:  # noqa: BLE001 - a missing thumbnail is cosmetic
            thumb = None
    elif kind is MediaKind.IMAGE:
        reader = QImageReader(path)
        natural = reader.size()
        if natural.isValid():
            reader.setScaledSize(natural.scaled(QSize(THUMB_SIDE, THUMB_SIDE), Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        thumb = None if image.isNull() else image
    # A phone clip filmed upright stores 1280x720 plus a rotation: show what a player shows.
    shown = info.display_size if info is not None else None
    width, height = shown if shown is not None else (None, None)
    return Inspection(
        path, kind, size,
        getattr(info, "duration", None), width, height,
        info, thumb, [], note, error, finding,
    )


class _Relay(QObject):
    """Lives in the GUI thread; emitting it from a worker queues the call to the GUI thread."""

    done = Signal(object, object)  # key, Inspection


class _InspectJob(QRunnable):
    def __init__(self, relay: _Relay, key: tuple[str, int, int], kind: MediaKind | None) -> None:
        super().__init__()
        self._relay, self._key, self._kind = relay, key, kind

    def run(self) -> None:
        path = self._key[0]
        try:
            result = inspect_file(path, self._kind)
        except Exception as exc:  # noqa: BLE001 - always answer, or the form waits forever
            result = Inspection(path, self._kind, error=f"{Path(path).name} could not be inspected: {exc}")
        self._relay.done.emit(self._key, result)


class MediaInspector(QObject):
    """Hands out cached ``Inspection``s; ``inspected(path, Inspection)`` fires on the GUI thread."""

    inspected = Signal(str, object)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay()  # parentless on purpose: workers hold it alive until they finish
        self._relay.done.connect(self._on_done)
        self._cache: dict[tuple[str, int, int], Inspection] = {}
        self._pending: set[tuple[str, int, int]] = set()

    @staticmethod
    def _key(path: str) -> tuple[str, int, int]:
        try:
            st = os.stat(path)
            return (path, st.st_size, st.st_mtime_ns)
        except OSError:
            return (path, -1, -1)

    def cached(self, path: str) -> Inspection | None:
        return self._cache.get(self._key(path))

    def request(self, path: str) -> Inspection | None:
        """The cached result now, or None and an ``inspected`` signal later."""
        key = self._key(path)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if key not in self._pending:
            self._pending.add(key)
            self._pool.start(_InspectJob(self._relay, key, media_kind_of(path)))
        return None

    def _on_done(self, key: tuple[str, int, int], result: Inspection) -> None:
        self._pending.discard(key)
        self._cache[key] = result
        self.inspected.emit(key[0], result)

    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until workers finish (tests and shutdown only, never from a slot)."""
        return self._pool.waitForDone(msecs)
