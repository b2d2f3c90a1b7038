"""Tolerant parsing of Modellix task answers (SPEC sections 4 and 9).

The service's exact task shape is partly reconstructed, so parsing never fails on unknown
fields or statuses: statuses are normalised through aliases, outputs are found by ``type``
(never by position), and the raw JSON is kept for diagnosis.
"""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .answers import short_text
from .errors import UnsafeUrlError
from .urls import check_result_url


class TaskStatus(enum.Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILED)


_STATUS_ALIASES: dict[str, TaskStatus] = {
    "pending": TaskStatus.PENDING,
    "queued": TaskStatus.PENDING,
    "processing": TaskStatus.PROCESSING,
    "running": TaskStatus.PROCESSING,
    "success": TaskStatus.SUCCESS,
    "succeeded": TaskStatus.SUCCESS,
    "completed": TaskStatus.SUCCESS,
    "failed": TaskStatus.FAILED,
    "error": TaskStatus.FAILED,
    "canceled": TaskStatus.FAILED,
    "cancelled": TaskStatus.FAILED,
    "expired": TaskStatus.FAILED,
}


def normalise_status(raw: object) -> TaskStatus:
    """Map any status string to a :class:`TaskStatus`; unknown values mean "still running"."""
    if isinstance(raw, str):
        return _STATUS_ALIASES.get(raw.strip().lower(), TaskStatus.PROCESSING)
    return TaskStatus.PROCESSING


#: What a resource is, decided by ``type``, then ``format``, then the URL path's extension.
VIDEO, IMAGE, UNKNOWN, OTHER = "video", "image", "unknown", "other"
_VIDEO_FORMATS = frozenset({"mp4", "mov", "webm", "m4v", "quicktime", "video/mp4", "video/quicktime", "video/webm"})
_IMAGE_FORMATS = frozenset({"png", "jpg", "jpeg", "webp", "image/png", "image/jpeg", "image/webp"})
#: At most this many resources are looked at (a hostile answer may list thousands).
MAX_RESOURCES = 32


@dataclass(frozen=True)
class Resource:
    url: str
    #: The server's ``type``, lower-cased ("" when missing, or for a bare URL string).
    type: str
    width: int | None = None
    height: int | None = None
    format: str | None = None
    #: :data:`VIDEO`, :data:`IMAGE`, :data:`OTHER` (e.g. audio) or :data:`UNKNOWN`: nothing in
    #: the answer says; the caller sniffs the first bytes once downloaded.
    kind: str = UNKNOWN


def resource_kind(type_: str, fmt: str | None, url: str) -> str:
    """Decide what a resource is: by ``type``, then ``format``, then the URL path's extension
    (``.mp4 .mov .webm`` video; ``.png .jpg .webp`` image), else :data:`UNKNOWN`."""
    if type_ in (VIDEO, IMAGE):
        return type_
    if type_:
        return OTHER
    fmt = (fmt or "").strip().lower().lstrip(".")
    if fmt in _VIDEO_FORMATS:
        return VIDEO
    if fmt in _IMAGE_FORMATS:
        return IMAGE
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return UNKNOWN
    extension = posixpath.splitext(path)[1].lower().lstrip(".")
    if extension in _VIDEO_FORMATS:
        return VIDEO
    if extension in _IMAGE_FORMATS:
        return IMAGE
    return UNKNOWN


@dataclass(frozen=True)
class TaskInfo:
    """What one ``GET /api/v1/tasks/{id}`` told us."""

    task_id: str
    status: TaskStatus
    raw_status: str
    #: The video to download: the first resource of kind video, else the first of unknown kind
    #: (``video.kind == "unknown"``: check the downloaded bytes before calling it a video).
    video: Resource | None = None
    #: An image resource: the last frame. Optional: failing to fetch it never fails the job.
    last_frame: Resource | None = None
    billing_amount: float | None = None
    processing_ms: int | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Every usable resource, best video candidate first: videos, then unknown kinds, then
    #: others, then images (try the next one when a download turns out not to be a video).
    candidates: tuple[Resource, ...] = ()
    #: Resources refused by the URL trust rule (``file:``, ``javascript:``, plain http,
    #: private hosts...), as errors: when ``video`` is None and this is not empty, the result
    #: cannot be fetched safely; that is final (``UnsafeUrlError.retryable`` is False).
    unsafe: tuple[UnsafeUrlError, ...] = ()


@dataclass(frozen=True)
class SubmitResult:
    """A successful submit: the task id, and the URL to poll when the server gave one."""

    task_id: str
    status: TaskStatus
    result_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Not None when the answer was a refusal or error (HTTP >= 300 or a non-zero ``code``) that
    #: nevertheless named a task: the server's message. The task exists: track it, never re-POST.
    refused: str | None = None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _parse_resource(item: object) -> Resource | None:
    if isinstance(item, str):
        url = item.strip()
        return Resource(url=url, type="", kind=resource_kind("", None, url)) if url else None
    if not isinstance(item, dict):
        return None
    raw_url = item.get("url")
    if not isinstance(raw_url, str) or not raw_url.strip():
        return None
    url = raw_url.strip()
    raw_type = item.get("type")
    type_ = raw_type.strip().lower()[:40] if isinstance(raw_type, str) else ""
    raw_format = item.get("format")
    fmt = raw_format[:40] if isinstance(raw_format, str) else None
    return Resource(
        url=url,
        type=type_,
        width=_as_int(item.get("width")),
        height=_as_int(item.get("height")),
        format=fmt,
        kind=resource_kind(type_, fmt, url),
    )


def _resources(data: dict[str, Any]) -> list[Resource]:
    result = data.get("result")
    candidates: object = None
    if isinstance(result, dict):
        candidates = result.get("resources")
    if not isinstance(candidates, list):
        candidates = data.get("resources")
    if isinstance(candidates, (str, dict)):
        candidates = [candidates]  # a single resource where a list was expected
    if not isinstance(candidates, list):
        return []
    return [r for r in (_parse_resource(item) for item in candidates[:MAX_RESOURCES]) if r is not None]


_ORDER = {VIDEO: 0, UNKNOWN: 1, OTHER: 2, IMAGE: 3}


def _failure_text(envelope: dict[str, Any], data: dict[str, Any]) -> str | None:
    """Collect whatever explains a failure: the reason has no documented field (SPEC 9)."""
    parts: list[str] = []
    for value in (data.get("error"), data.get("message"), data.get("result")):
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
        elif isinstance(value, dict):
            for key in ("message", "msg", "reason", "code", "error"):
                inner = value.get(key)
                if isinstance(inner, str) and inner.strip():
                    parts.append(inner.strip())
                    break
    message = envelope.get("message")
    if isinstance(message, str) and message.strip() and message.strip().lower() != "success":
        parts.append(message.strip())
    unique = list(dict.fromkeys(short_text(part) for part in parts))
    return short_text("; ".join(unique), 2000) if unique else None


def parse_task(envelope: dict[str, Any], *, task_id: str = "", allowed_origin: str | None = None) -> TaskInfo:
    """Parse a task envelope. Never raises on odd shapes; unknown statuses mean running.

    Resources are kept only when their URL passes :func:`~.urls.check_result_url` (``https:``
    to a public host, or ``allowed_origin``: the configured base URL); the rest land in
    ``unsafe``. The video is chosen by kind, never by position."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        data = {}
    raw_status = data.get("status")
    status = normalise_status(raw_status)
    resources: list[Resource] = []
    unsafe: list[UnsafeUrlError] = []
    for resource in _resources(data):
        try:
            check_result_url(resource.url, allowed_origin, what="last-frame" if resource.kind == IMAGE else "result")
        except UnsafeUrlError as error:
            unsafe.append(error)
            continue
        resources.append(resource)
    ordered = tuple(sorted(resources, key=lambda r: _ORDER.get(r.kind, 2)))
    video = next((r for r in ordered if r.kind == VIDEO), None) or next((r for r in ordered if r.kind == UNKNOWN), None)
    last_frame = next((r for r in ordered if r.kind == IMAGE), None)
    billing = data.get("billing")
    amount = _as_float(billing.get("amount")) if isinstance(billing, dict) else None
    parsed_id = data.get("task_id")
    return TaskInfo(
        task_id=parsed_id.strip() if isinstance(parsed_id, str) and parsed_id.strip() else task_id,
        status=status,
        raw_status=raw_status if isinstance(raw_status, str) else "",
        video=video,
        last_frame=last_frame,
        billing_amount=amount,
        processing_ms=_as_int(data.get("duration")),
        error_message=_failure_text(envelope, data) if status is TaskStatus.FAILED else None,
        raw=envelope,
        candidates=ordered,
        unsafe=tuple(unsafe),
    )
