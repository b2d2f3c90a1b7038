"""Probing local media and making thumbnails off the GUI thread.

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

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".m4a", ".aac", ".flac", ".ogg"})
THUMB_SIDE = 96
VIDEO_MIN_SECONDS = 2.0  # media.probe.VIDEO_SECONDS[0]


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
    """What the form needs to know about one local file."""

    path: str
    kind: MediaKind | None
    size_bytes: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    info: Any = None                      # media.probe.MediaInfo when probing worked
    thumbnail: QImage | None = None
    warnings: list[str] = field(default_factory=list)   # limits the file breaks
    conform_note: str = ""                # set when it will be trimmed/scaled/re-encoded
    error: str = ""                       # the file cannot be used at all

    @property
    def blocking(self) -> list[str]:
        """Problems that must stop a submit: unusable files, and broken limits that
        conforming will not fix (only videos are conformed)."""
        if self.error:
            return [self.error]
        if self.kind is MediaKind.VIDEO and self.conform_note:
            # Conforming trims, rescales and re-encodes; it cannot lengthen a clip or read
            # what cannot be read (media.conform.needs_conform says the same).
            too_short = self.duration is not None and self.duration < VIDEO_MIN_SECONDS
            return [w for w in self.warnings if "cannot be read" in w or (too_short and "at least" in w)]
        return list(self.warnings)


def inspect_file(path: str, kind: MediaKind | None) -> Inspection:
    """Probe one file (blocking; run it in a worker). Never raises."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return Inspection(path, kind, error=f"Cannot read {Path(path).name}: {exc.strerror or exc}.")
    if kind is None:
        return Inspection(path, kind, size_bytes=size, error=f"{Path(path).name} is not a video, image or audio file.")
    info: Any = None
    warnings: list[str] = []
    note = ""
    thumb: QImage | None = None
    error = ""
    try:
        from seedance_desktop.media import probe as probe_mod

        info = probe_mod.probe(path)
        checker = {
            MediaKind.VIDEO: "check_reference_video", MediaKind.IMAGE: "check_image", MediaKind.AUDIO: "check_audio",
        }[kind]
        warnings = list(getattr(probe_mod, checker)(info))
    except ImportError:
        info = None  # probing not available in this build: show what Qt can tell
    except Exception as exc:  # noqa: BLE001 - any decoder failure means "unusable file"
        error = getattr(exc, "user_message", "") or f"{Path(path).name} could not be read as {kind.value}: {exc}"
    if kind is MediaKind.VIDEO and info is not None and not error:
        try:
            from seedance_desktop.media.conform import needs_conform

            if needs_conform(info):
                note = "Will be conformed before upload (trimmed, scaled or re-encoded to fit the limits)."
        except ImportError:
            pass
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
        if image.isNull() and not error and info is None:
            error = f"{Path(path).name} could not be read as an image."
        thumb = None if image.isNull() else image
        if info is None and natural.isValid():
            return Inspection(path, kind, size, None, natural.width(), natural.height(), None, thumb, warnings, note, error)
    return Inspection(
        path, kind, size,
        getattr(info, "duration", None), getattr(info, "width", None), getattr(info, "height", None),
        info, thumb, warnings, note, error,
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
