"""Serving bytes: signed, expiring result URLs and uploaded files, with Range/ETag/If-Range.

Result URLs look like the real CDN's: ``/files/results/<task_id>/output.mp4?expires=..&signature=..``.
The signature covers the path, the expiry (simulated Unix time) and the task's URL generation, so
an EXPIRE_RESULT fault can retire every URL handed out so far while a refetched task answer
carries a fresh, working one.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import io
import re
import zipfile
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from aiohttp import web

from seedance_desktop.simulator.faults import Fault

RESULT_NAMES = {"output.mp4": "video/mp4", "last.png": "image/png"}
_CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def sign(secret: bytes, task_id: str, name: str, expires: int, generation: int) -> str:
    message = f"{task_id}/{name}/{expires}/{generation}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def result_url(origin: str, secret: bytes, task_id: str, name: str, expires: int, generation: int) -> str:
    signature = sign(secret, task_id, name, expires, generation)
    return f"{origin}/files/results/{task_id}/{name}?expires={expires}&signature={signature}"


def check_signature(secret: bytes, task_id: str, name: str, expires: int, signature: str,
                    generation: int) -> str:
    """'ok', 'retired' (signed for an older generation: the URL expired) or 'bad'."""
    if hmac.compare_digest(sign(secret, task_id, name, expires, generation), signature):
        return "ok"
    for older in range(generation):
        if hmac.compare_digest(sign(secret, task_id, name, expires, older), signature):
            return "retired"
    return "bad"


def _etag(path: Path, sha256: str | None) -> str:
    if sha256:
        return f'"{sha256[:32]}"'
    stat = path.stat()
    return f'"{stat.st_size:x}-{int(stat.st_mtime_ns):x}"'


def _if_range_matches(value: str, etag: str, mtime: float) -> bool:
    """RFC 9110: If-Range holds a strong ETag or an HTTP date; a mismatch means "send it all"."""
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        return value == etag
    try:
        return parsedate_to_datetime(value).timestamp() >= int(mtime)
    except (TypeError, ValueError):
        return False


def _parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive), None when the header is absent/ignorable, 'unsatisfiable'."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multi-range or garbage: RFC allows answering with the whole body
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


async def trickle_bytes(response: web.StreamResponse, body: bytes, rate: float,
                        stopping: asyncio.Event | None = None) -> None:
    """Write ``body`` at about ``rate`` bytes a second (ten writes a second), until it is all
    sent, the client hangs up or the server stops."""
    step = max(1, int(rate / 10))
    try:
        for start in range(0, len(body), step):
            if stopping is not None and stopping.is_set():
                return
            await response.write(body[start:start + step])
            await asyncio.sleep(0.1)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        pass


async def hostile_body(request: web.Request, path: Path, variant: str) -> web.StreamResponse:
    """A 200 for the result URL whose body is not the video as sent (issue 8 item 4):
    ``html`` a login page, ``zip`` an archive, ``empty`` nothing, ``gzip`` the video gzip-encoded
    (``Content-Encoding: gzip``), ``cut`` a close-delimited body (no length) cut to a third."""
    data = path.read_bytes()
    if variant == "html":
        return web.Response(status=200, text="<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>",
                            content_type="text/html")
    if variant == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("output.mp4", data[:4096])
        return web.Response(status=200, body=buffer.getvalue(), content_type="video/mp4")
    if variant == "empty":
        return web.Response(status=200, body=b"", content_type="video/mp4")
    if variant == "gzip":
        return web.Response(status=200, body=gzip.compress(data, mtime=0), content_type="video/mp4",
                            headers={"Content-Encoding": "gzip"})
    if variant == "cut":
        # Written straight to the transport: aiohttp would otherwise frame it (chunked).
        transport = request.transport
        if transport is not None:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n"
            transport.write(head + data[: len(data) // 3])
            transport.close()
        return web.Response(status=204)  # never reaches the peer
    raise ValueError(f"unknown body variant {variant!r}; known: html, zip, empty, gzip, cut")


async def serve_file(request: web.Request, path: Path, content_type: str, sha256: str | None = None,
                     truncate: Fault | None = None, *, rate: float | None = None,
                     stopping: asyncio.Event | None = None) -> web.StreamResponse:
    """Send ``path`` honouring Range / If-Range / If-None-Match; ``truncate`` cuts the body short
    (the headers still promise the full length, as a broken connection would)."""
    stat = path.stat()
    size = stat.st_size
    etag = _etag(path, sha256)
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Accept-Ranges": "bytes",
        "Content-Type": content_type,
        "Cache-Control": "private, max-age=0",
    }
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if range_header is not None:
        if_range = request.headers.get("If-Range")
        if if_range is None or _if_range_matches(if_range, etag, stat.st_mtime):
            parsed = _parse_range(range_header, size)
            if parsed == "unsatisfiable":
                headers["Content-Range"] = f"bytes */{size}"
                return web.Response(status=416, headers=headers)
            if isinstance(parsed, tuple):
                start, end = parsed
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start + 1
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    limit = end - start + 1
    if truncate is not None:
        limit = min(limit, max(0, truncate.after_bytes))
    if rate is not None:  # a slow CDN: the right bytes, far too slowly
        with path.open("rb") as handle:
            handle.seek(start)
            await trickle_bytes(response, handle.read(limit), rate, stopping)
        return response
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            sent = 0
            while sent < limit:
                chunk = handle.read(min(_CHUNK, limit - sent))
                if not chunk:
                    break
                await response.write(chunk)
                sent += len(chunk)
        if truncate is not None and limit < end - start + 1:
            drop_connection(request)
            return response
        await response.write_eof()
    except ConnectionError:
        pass  # the client stopped reading (cancelled download): normal, not a server error
    return response


def drop_connection(request: web.Request) -> None:
    """Close the TCP connection without (finishing) an answer."""
    transport = request.transport
    if transport is not None:
        transport.close()

