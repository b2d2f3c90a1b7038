"""Upload once: which exact bytes the File API already hosts, and until when.

Keyed by the SHA-256 of the file that is sent (after conforming), so the same prepared clip in
a second job, a retry or a "continue from this result" is not uploaded again while its hosted
URL is still good. The File API keeps files about 7 days (SPEC section 1); an entry is used for
:data:`UPLOAD_LIFETIME` (6 days) after its upload, leaving a day for a task that is submitted
near the end and read by the server later.

Signed URLs: the job database never holds a signed query string. A record is persisted with
the URL as :func:`stored_upload_url` writes it (the query replaced by a mark); the whole signed
URL lives in this object's memory only. After a restart such a record cannot be sent (the
mark says the secret part is gone), so the file is uploaded again; an unsigned URL (what the
File API returns today) survives restarts and keeps saving uploads.

Quota: the File API holds about 10 files per team. The cache keeps at most :data:`KEEP_FILES`
idle files hosted (files no unfinished job uses); :meth:`UploadCache.put` returns the ones to
delete so the runner can free them, and :meth:`UploadCache.evict_idle` gives them all up when
an upload is refused with a 429.

Thread-safe (a lock): lookups happen on the loop thread, hashing in a worker.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from seedance_desktop.api.urls import strip_query
from seedance_desktop.core.job import UploadRecord

if TYPE_CHECKING:
    # The store imports this module (``stored_upload_url``) and the window imports the store
    # before it is usable; ``api.upload`` brings httpx (~40 ms), so it loads where a cached
    # upload is actually handed out.
    from seedance_desktop.api.upload import UploadedFile

#: How long an uploaded file is reused: the File API keeps files ~7 days; one day of margin.
UPLOAD_LIFETIME = 6 * 24 * 3600.0
#: A cached URL is not sent when it has less than this left (the server reads it after submit).
MIN_REMAINING = 12 * 3600.0
#: Idle hosted files kept for reuse (the File API's default quota is about 10 per team).
KEEP_FILES = 5
#: Images up to this size are sent inline as data URIs (the API accepts Base64 for images)
#: instead of taking one of the ~10 File API slots; 1 MiB becomes ~1.4 MB of JSON.
INLINE_IMAGE_BYTES = 1024 * 1024

#: Ends a URL stored without its signed query string (signed URLs never reach the database).
SIGNED_QUERY_MARK = "?\u2026"
#: What the store keeps of an inline image: the data URI itself is rebuilt from the file.
INLINE_MARK = ";base64,\u2026"


def stored_upload_url(url: str) -> str:
    """What the database keeps of a hosted or inline input's URL: the URL itself when it
    carries no query or fragment; else the URL without them plus :data:`SIGNED_QUERY_MARK`;
    for a data URI, its header plus :data:`INLINE_MARK`."""
    if url.startswith("data:"):
        return url.split(";", 1)[0] + INLINE_MARK
    stripped = strip_query(url)
    return url if stripped == url else stripped + SIGNED_QUERY_MARK


def sendable(url: str | None) -> str | None:
    """A stored URL when it can be sent as it is (None: its secret or inline part was only
    kept in memory)."""
    return url if url and not url.endswith("\u2026") else None


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (blocking: call from a worker thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_uri(path: str | Path) -> str:
    """``data:image/png;base64,...`` for a small image (blocking: call from a worker)."""
    mime = mimetypes.guess_type(str(path))[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


@runtime_checkable
class UploadRecords(Protocol):
    """Where records outlive the process (``core.store.JobStore``)."""

    def remember_upload(self, record: UploadRecord) -> None: ...
    def upload_records(self) -> list[UploadRecord]: ...
    def forget_upload(self, sha256: str) -> None: ...


class UploadCache:
    """See the module docstring. ``records``: None keeps everything in memory."""

    def __init__(self, records: UploadRecords | None = None, *, clock: Callable[[], float] = time.time,
                 keep: int = KEEP_FILES) -> None:
        self._records = records
        self._clock = clock
        self._keep = keep
        self._lock = threading.Lock()
        self._signed: dict[str, str] = {}          # sha256 -> whole signed URL (memory only)
        self._by_hash: dict[str, UploadRecord] = {}
        if records is not None:
            for record in records.upload_records():
                self._by_hash[record.sha256] = record

    def get(self, sha256: str) -> UploadedFile | None:
        """The hosted file with exactly these bytes, when its URL can still be sent."""
        with self._lock:
            record = self._by_hash.get(sha256)
            if record is None or record.expires_at - self._clock() < MIN_REMAINING:
                return None
            url = self._signed.get(sha256) or sendable(record.url)
            if url is None:
                return None
            from seedance_desktop.api.upload import UploadedFile

            return UploadedFile(file_id=record.file_id or "", url=url, size=record.size, filename="")

    def put(self, sha256: str, uploaded: UploadedFile, size: int, *, in_use: Iterable[str] = ()) -> list[UploadRecord]:
        """Remember an upload; return the idle records now beyond the quota share (oldest
        first; not used by ``in_use`` file ids), already forgotten: the caller deletes them."""
        now = self._clock()
        stored = stored_upload_url(uploaded.url)
        record = UploadRecord(sha256=sha256, url=stored, file_id=uploaded.file_id or None, size=size,
                              uploaded_at=now, expires_at=now + UPLOAD_LIFETIME)
        with self._lock:
            self._by_hash[sha256] = record
            if stored != uploaded.url:
                self._signed[sha256] = uploaded.url
        if self._records is not None:
            self._records.remember_upload(record)
        return self._evict(set(in_use) | {record.file_id or ""}, keep=self._keep)

    def evict_idle(self, in_use: Iterable[str] = ()) -> list[UploadRecord]:
        """Give up every idle hosted file (after a 429 on upload); the caller deletes them."""
        return self._evict(set(in_use), keep=0)

    def owns(self, file_id: str) -> bool:
        with self._lock:
            return any(r.file_id == file_id for r in self._by_hash.values())

    def _evict(self, in_use: set[str], *, keep: int) -> list[UploadRecord]:
        now = self._clock()
        with self._lock:
            records = sorted(self._by_hash.values(), key=lambda r: r.uploaded_at)
            expired = [r for r in records if r.expires_at <= now]
            live = [r for r in records if r.expires_at > now]
            idle = [r for r in live if (r.file_id or "") not in in_use]
            surplus = idle[: max(0, len(idle) - keep)]
            gone = expired + surplus
            for record in gone:
                self._by_hash.pop(record.sha256, None)
                self._signed.pop(record.sha256, None)
        if self._records is not None:
            for record in gone:
                self._records.forget_upload(record.sha256)
        return [r for r in gone if r.expires_at > now]  # expired ones are gone from the server


__all__ = ["INLINE_IMAGE_BYTES", "KEEP_FILES", "UPLOAD_LIFETIME", "UploadCache", "UploadRecords", "data_uri",
           "sendable", "sha256_file", "stored_upload_url"]
