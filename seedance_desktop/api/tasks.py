"""Tolerant parsing of Modellix task answers (SPEC sections 4 and 9).

The service's exact task shape is partly reconstructed, so parsing never fails on unknown
fields or statuses: statuses are normalised through aliases, outputs are found by ``type``
(never by position), and the raw JSON is kept for diagnosis.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Resource:
    url: str
    type: str
    width: int | None = None
    height: int | None = None
    format: str | None = None


@dataclass(frozen=True)
class TaskInfo:
    """What one ``GET /api/v1/tasks/{id}`` told us."""

    task_id: str
    status: TaskStatus
    raw_status: str
    video: Resource | None = None
    last_frame: Resource | None = None
    billing_amount: float | None = None
    processing_ms: int | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SubmitResult:
    """A successful submit: the task id, and the URL to poll when the server gave one."""

    task_id: str
    status: TaskStatus
    result_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


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
    if not isinstance(item, dict):
        return None
    url = item.get("url")
    if not isinstance(url, str) or not url:
        return None
    kind = item.get("type")
    fmt = item.get("format")
    return Resource(
        url=url,
        type=kind.lower() if isinstance(kind, str) else "",
        width=_as_int(item.get("width")),
        height=_as_int(item.get("height")),
        format=fmt if isinstance(fmt, str) else None,
    )


def _resources(data: dict[str, Any]) -> list[Resource]:
    result = data.get("result")
    candidates: object = None
    if isinstance(result, dict):
        candidates = result.get("resources")
    if not isinstance(candidates, list):
        candidates = data.get("resources")
    if not isinstance(candidates, list):
        return []
    return [r for r in (_parse_resource(item) for item in candidates) if r is not None]


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
    unique = list(dict.fromkeys(parts))
    return "; ".join(unique) if unique else None


def parse_task(envelope: dict[str, Any], *, task_id: str = "") -> TaskInfo:
    """Parse a task envelope. Never raises on odd shapes; unknown statuses mean running."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        data = {}
    raw_status = data.get("status")
    status = normalise_status(raw_status)
    resources = _resources(data)
    video = next((r for r in resources if r.type == "video"), None)
    if video is None:
        # Tolerance: an untyped mp4 resource is still the video.
        video = next((r for r in resources if (r.format or "").lower() in ("mp4", "mov")), None)
    last_frame = next((r for r in resources if r.type == "image"), None)
    billing = data.get("billing")
    amount = _as_float(billing.get("amount")) if isinstance(billing, dict) else None
    parsed_id = data.get("task_id")
    return TaskInfo(
        task_id=parsed_id if isinstance(parsed_id, str) and parsed_id else task_id,
        status=status,
        raw_status=raw_status if isinstance(raw_status, str) else "",
        video=video,
        last_frame=last_frame,
        billing_amount=amount,
        processing_ms=_as_int(data.get("duration")),
        error_message=_failure_text(envelope, data) if status is TaskStatus.FAILED else None,
        raw=envelope,
    )
