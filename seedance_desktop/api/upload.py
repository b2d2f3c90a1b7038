"""File API uploads: size check, and the blocking multipart stream run in a worker thread.

Uploads are the biggest bodies the app sends (up to 16 MiB), so they go through a *sync*
``httpx.Client`` on a worker thread (see ARCHITECTURE "heavy byte work off the GUI thread"):
the file is read in 64 KiB chunks by httpx's multipart encoder through :class:`_ProgressReader`,
which reports progress and checks the cancel event between chunks.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from .answers import AnswerTooLarge, read_capped
from .errors import ConnectError, FieldError, NetworkError, ProtocolError, UploadCancelled, ValidationError
from .redact import redact_url

log = logging.getLogger(__name__)

#: SPEC section 1: the File API takes at most 16 MiB per file.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
_PROGRESS_INTERVAL = 0.1  # seconds: progress at most ~10 times a second


@dataclass(frozen=True)
class UploadedFile:
    """A file hosted by the File API (kept about 7 days)."""

    file_id: str
    url: str
    size: int
    filename: str


def check_upload_size(path: Path) -> int:
    """The file's size, or :class:`ValidationError` when it cannot be uploaded (before sending)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(
            f"cannot read {path.name}: {exc.strerror}",
            field_errors=[FieldError("file", f"{path.name} cannot be read")],
            status=None,
            user_message=f"The file {path.name} cannot be read ({exc.strerror}).",
        ) from None
    if size > MAX_UPLOAD_BYTES:
        mib = size / (1024 * 1024)
        message = (
            f"{path.name} is {mib:.1f} MiB; uploads are limited to 16 MiB. Conform the clip "
            "(re-encode at a lower resolution) or trim it, then try again."
        )
        raise ValidationError(message, field_errors=[FieldError("file", message)], status=None, user_message=message)
    if size == 0:
        message = f"{path.name} is empty."
        raise ValidationError(message, field_errors=[FieldError("file", message)], status=None, user_message=message)
    return size


class _Cancelled(Exception):
    """Raised inside httpx's body iteration to abort the request."""


class _ProgressReader:
    """A read-only file wrapper: reports bytes read and aborts when ``cancel`` is set.

    ``fileno`` is passed through so httpx can compute Content-Length with ``fstat`` (no chunked
    upload); ``seek`` lets httpx rewind to the start before streaming.
    """

    def __init__(
        self,
        raw: BinaryIO,
        total: int,
        progress: Callable[[int, int], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self._cancel = cancel
        self._sent = 0
        self._last_report = 0.0
        self._last_value = -1

    def fileno(self) -> int:
        return self._raw.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._raw.seek(offset, whence)
        self._sent = position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int = -1) -> bytes:
        if self._cancel is not None and self._cancel.is_set():
            raise _Cancelled()
        chunk = self._raw.read(size)
        self._sent += len(chunk)
        if self._progress is not None:
            now = time.monotonic()
            done = min(self._sent, self._total)
            final = done >= self._total
            if done != self._last_value and (final or now - self._last_report >= _PROGRESS_INTERVAL):
                self._last_report, self._last_value = now, done
                self._progress(done, self._total)
        return chunk


def _default_client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0, read=120.0, write=120.0), follow_redirects=False)


def upload_sync(
    url: str,
    path: Path,
    *,
    headers: dict[str, str],
    size: int,
    client_factory: Callable[[], httpx.Client] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[int, httpx.Headers, bytes]:
    """POST ``path`` as multipart field ``file``; return (status, headers, body). Blocking.

    Errors: :class:`UploadCancelled`, :class:`ConnectError` (nothing sent),
    :class:`NetworkError` (failed mid-way; the upload may or may not have been stored).
    """
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    client = (client_factory or _default_client)()
    try:
        with path.open("rb") as raw:
            reader: Any = _ProgressReader(raw, size, progress, cancel)
            try:
                request = client.build_request("POST", url, headers=headers, files={"file": (path.name, reader, mime)})
                response = client.send(request, stream=True)
                try:
                    content = read_capped(response.iter_bytes())
                finally:
                    response.close()
            except AnswerTooLarge as exc:
                raise ProtocolError(f"upload answer from {redact_url(url)} is larger than the answer cap") from exc
            except _Cancelled:
                raise UploadCancelled(f"upload of {path.name} cancelled") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise ConnectError(f"upload not sent: {type(exc).__name__}") from exc
            except httpx.TransportError as exc:
                # httpx may wrap our _Cancelled inside a transport error on some paths.
                if cancel is not None and cancel.is_set():
                    raise UploadCancelled(f"upload of {path.name} cancelled") from None
                raise NetworkError(f"upload to {redact_url(url)} failed: {type(exc).__name__}") from exc
        log.debug("upload %s (%d bytes) -> %s", path.name, size, response.status_code)
        return response.status_code, response.headers, content
    finally:
        client.close()


__all__ = ["MAX_UPLOAD_BYTES", "UploadedFile", "check_upload_size", "upload_sync"]
