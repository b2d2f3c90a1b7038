"""Pure mapping from HTTP answers to the typed error tree, and the GET retry policy.

Kept free of I/O so the rules can be table-tested: ``error_from_response`` turns a status,
headers and body into an :class:`ApiError`; ``parse_retry_at`` reads the server's retry time;
``retry_delay`` decides whether (and after how long) an idempotent GET is tried again.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Mapping
from typing import Any

from .answers import parse_json_object, short_text
from .errors import (
    ApiError,
    AuthenticationError,
    FieldError,
    InsufficientBalanceError,
    ModellixError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RETRY_HINT_RANGE,
    RateLimitedError,
    ServerError,
    SubmitOutcomeUnknownError,
    ValidationError,
)

#: Backoff for idempotent GETs (SPEC section 6): start ~0.5 s, cap ~15 s, with jitter.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 15.0
#: A server-requested wait longer than this is not slept through inside one call: the error is
#: raised so the scheduler can park the job and keep its own clock.
MAX_HONOURED_WAIT = 60.0

_PARAMETER = re.compile(r"""parameter\s+['"`]([A-Za-z0-9_.\[\]-]+)['"`]""", re.IGNORECASE)
_UNIX_TIME_FLOOR = 1_000_000_000  # before 2001: a delta in seconds, not an absolute time


def parse_envelope(body: bytes) -> dict[str, Any] | None:
    """The JSON object in ``body``, or None when it is not a JSON object (or is too large or too
    deeply nested to be a Modellix answer: see :mod:`.answers`)."""
    return parse_json_object(body)


def split_message(message: str) -> tuple[str, str]:
    """``"Invalid parameters: parameter 'prompt' is required"`` -> (category, detail)."""
    category, sep, detail = message.partition(":")
    if not sep:
        return "", message.strip()
    return category.strip(), detail.strip()


def field_errors_from(message: str) -> list[FieldError]:
    """Field details from a 400 message: every ``parameter 'x'`` names the field ``x``."""
    _, detail = split_message(message)
    fields = list(dict.fromkeys(_PARAMETER.findall(message)))
    return [FieldError(name, detail or message) for name in fields]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _hint_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """The raw wait the server asked for, in seconds (may be negative, huge or infinite), from
    ``Retry-After`` (delta seconds or an HTTP date) or ``X-RateLimit-Reset`` (a Unix time in s or
    ms; a small value is read as a delta). None when no usable hint was sent (NaN is no hint)."""
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        text = retry_after.strip()[:100]
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                try:
                    return parsed.timestamp() - now
                except (OverflowError, ValueError, OSError):
                    return None
        else:
            if value == value:  # not NaN
                return value
    reset = _header(headers, "X-RateLimit-Reset")
    if reset:
        try:
            value = float(reset.strip()[:100])
        except ValueError:
            return None
        if value != value:
            return None
        if value > 1e12:  # milliseconds
            value /= 1000.0
        if value < _UNIX_TIME_FLOOR:
            return value
        return value - now
    return None


def clamp_hint(seconds: float) -> float:
    """A wait clamped to :data:`RETRY_HINT_RANGE` (inf -> the longest, negative -> the shortest)."""
    low, high = RETRY_HINT_RANGE
    if seconds != seconds:
        return high
    return min(high, max(low, seconds))


def retry_hint(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait that the server's hint asks for, always within :data:`RETRY_HINT_RANGE`
    (``Retry-After: inf``, ``1e18``, a far-future reset or a date in the past cannot freeze or
    hammer the queue); None when the answer carried no usable hint. Measure the wait from when
    the answer arrived, on a monotonic clock."""
    raw = _hint_seconds(headers, now)
    return None if raw is None else clamp_hint(raw)


def parse_retry_at(headers: Mapping[str, str], now: float) -> float | None:
    """:func:`retry_hint` as a Unix time (``now`` + the clamped wait), for wall-clock callers."""
    wait = retry_hint(headers, now)
    return None if wait is None else now + wait


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    upload: bool = False,
) -> ApiError:
    """Map an error answer (status >= 400, or a non-zero ``code`` envelope) to the error tree."""
    envelope = parse_envelope(body)
    raw_message = envelope.get("message") if envelope else None
    message = short_text(raw_message.strip()) if isinstance(raw_message, str) and raw_message.strip() else ""
    code = envelope.get("code") if envelope else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    _, detail = split_message(message) if message else ("", "")
    shown = detail or message or f"HTTP {status}"
    base = message or f"HTTP {status}"

    hint = retry_hint(headers, now) if status in (408, 429) or status >= 500 else None
    if envelope is None and status >= 500:
        return ServerError(
            f"HTTP {status} with a non-JSON body",
            status=status, retry_after=hint,
            user_message=f"Modellix is having trouble (HTTP {status}). It will be retried automatically where safe.",
        )
    if status == 400 or status == 422 or status == 413:
        if status == 413:
            shown = "The request or file is too large."
        if "SensitiveContent" in message or "sensitive" in message.lower():
            user = (
                f"Modellix refused the input on content-safety grounds ({shown}). Real human "
                "faces in reference images or videos are not allowed; use different input."
            )
        else:
            user = f"Modellix rejected the request: {shown}. Correct it and submit again."
        return ValidationError(base, field_errors=field_errors_from(message), status=status, code=code, user_message=user)
    if status == 401:
        return AuthenticationError(base, status=status, code=code)
    if status == 402:
        return InsufficientBalanceError(base, status=status, code=code)
    if status == 403:
        return AuthenticationError(
            base, status=status, code=code,
            user_message=f"The API key is not allowed to do this ({shown}). Check the key in Settings.",
        )
    if status == 404:
        return NotFoundError(base, status=status, code=code)
    if status == 429:
        retry_after = hint
        retry_at = None if hint is None else now + hint
        if upload:
            user = (
                "Modellix refused the upload (429). The upload quota (about 10 files) may be full: "
                "delete old uploads in the Modellix dashboard, or wait and try again."
            )
        elif "concurren" in message.lower():
            user = "Too many tasks are running on this Modellix account at once; waiting for a free slot."
        else:
            user = "Modellix is rate limiting requests; waiting before trying again."
        return RateLimitedError(base, retry_at=retry_at, retry_after=retry_after, status=status, code=code,
                                user_message=user)
    if status == 408:
        error: ApiError = ServerError(base, status=status, code=code, retry_after=hint, user_message="Modellix timed out waiting for the request; it will be retried.")
        return error
    if status >= 500:
        return ServerError(
            base, status=status, code=code, retry_after=hint,
            user_message=f"Modellix had a server error (HTTP {status}: {shown}). It will be retried automatically where safe.",
        )
    return ApiError(base, status=status, code=code, user_message=f"Modellix refused the request (HTTP {status}: {shown}).")


def retry_delay(
    attempt: int,
    error: BaseException,
    *,
    now: float,
    rng: random.Random,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    max_wait: float = MAX_HONOURED_WAIT,
) -> float | None:
    """Seconds to wait before GET attempt ``attempt + 1``, or None when it must not be retried.

    ``attempt`` counts attempts already made (1 after the first failure). Retried: 408/429/5xx,
    network errors and unusable bodies; never 400/401/402/404. Exponential backoff with "equal
    jitter" (half fixed, half random) so many jobs do not retry in lock-step; a server-given
    retry time is honoured (plus a little jitter) unless it is longer than ``max_wait``.
    """
    if not isinstance(error, (RateLimitedError, ServerError, NetworkError, ProtocolError)):
        return None
    backoff = min(cap, base * (2.0 ** max(0, attempt - 1)))
    jittered = backoff / 2 + rng.uniform(0, backoff / 2)
    if isinstance(error, RateLimitedError) and error.retry_at is not None:
        wait = error.retry_at - now
        if wait > max_wait:
            return None
        if wait > 0:
            return float(wait + rng.uniform(0, min(1.0, base)))
    return jittered


def envelope_code(envelope: dict[str, Any]) -> int | None:
    """The envelope's error code, or None for success (0; also 200 and a missing code, to be
    tolerant of a server that echoes the HTTP status)."""
    code = envelope.get("code", 0)
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or code in (0, 200):
        return None
    return code


def submit_unknown(message: str, what: str) -> SubmitOutcomeUnknownError:
    """A submit that may have been accepted; ``what`` says why we cannot tell."""
    return SubmitOutcomeUnknownError(
        message,
        user_message=(
            f"{what}, so the job may or may not have been accepted. It was not re-sent "
            "automatically, to avoid paying twice. Check your Modellix dashboard, then choose "
            "'Submit again' if it is not there."
        ),
    )


def is_retryable_for_get(error: ModellixError) -> bool:
    """Whether an idempotent GET may be retried after ``error`` at all."""
    return isinstance(error, (RateLimitedError, ServerError, NetworkError, ProtocolError))


__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_HONOURED_WAIT",
    "envelope_code",
    "error_from_response",
    "field_errors_from",
    "is_retryable_for_get",
    "parse_envelope",
    "clamp_hint",
    "parse_retry_at",
    "retry_hint",
    "retry_delay",
    "split_message",
    "submit_unknown",
]
