"""Table tests for the pure error mapping and the GET retry decision."""

from __future__ import annotations

import random

import pytest

from seedance_desktop.api.errors import (
    ApiError,
    AuthenticationError,
    ConnectError,
    InsufficientBalanceError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from seedance_desktop.api.http_errors import (
    BACKOFF_CAP,
    error_from_response,
    field_errors_from,
    parse_retry_at,
    retry_delay,
    split_message,
)

NOW = 1_800_000_000.0


def envelope(status: int, message: str) -> bytes:
    return ('{"code": %d, "message": "%s"}' % (status, message)).encode()


@pytest.mark.parametrize(("status", "cls"), [
    (400, ValidationError), (401, AuthenticationError), (402, InsufficientBalanceError),
    (403, AuthenticationError), (404, NotFoundError), (408, ServerError), (409, ApiError),
    (413, ValidationError), (429, RateLimitedError), (500, ServerError), (502, ServerError), (503, ServerError),
])
def test_status_maps_to_class(status: int, cls: type) -> None:
    error = error_from_response(status, {}, envelope(status, "Category: detail"), now=NOW)
    assert type(error) is cls
    assert error.status == status
    assert error.user_message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_html_bodies_are_server_errors_with_status(status: int) -> None:
    error = error_from_response(status, {"Content-Type": "text/html"}, b"<html><h1>Bad Gateway</h1></html>", now=NOW)
    assert isinstance(error, ServerError)
    assert error.status == status
    assert str(status) in error.user_message


def test_400_names_the_parameter() -> None:
    error = error_from_response(400, {}, envelope(400, "Invalid parameters: parameter 'prompt' is required"), now=NOW)
    assert isinstance(error, ValidationError)
    assert [f.field for f in error.field_errors] == ["prompt"]
    assert error.field_errors[0].message == "parameter 'prompt' is required"
    assert "parameter 'prompt' is required" in error.user_message


def test_content_safety_400_explains() -> None:
    error = error_from_response(400, {}, envelope(400, "Invalid parameters: InputVideoSensitiveContentDetected.PrivacyInformation"), now=NOW)
    assert isinstance(error, ValidationError)
    assert "faces" in error.user_message


@pytest.mark.parametrize(("message", "fields"), [
    ("Invalid parameters: parameter 'duration' must be an integer", ["duration"]),
    ('Invalid parameters: parameter "seed" out of range', ["seed"]),
    ("Invalid parameters: something else", []),
    ("parameter 'a' and parameter 'b'", ["a", "b"]),
])
def test_field_errors_from(message: str, fields: list[str]) -> None:
    assert [f.field for f in field_errors_from(message)] == fields


def test_split_message() -> None:
    assert split_message("Rate limit exceeded") == ("", "Rate limit exceeded")
    assert split_message("Invalid parameters: a: b") == ("Invalid parameters", "a: b")


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "3"}, NOW + 3),
    ({"retry-after": "0.5"}, NOW + 0.5),
    ({"Retry-After": "Fri, 15 Jan 2027 08:00:00 GMT"}, 1800000000.0),  # the HTTP-date form of NOW
    ({"X-RateLimit-Reset": str(int(NOW + 7))}, NOW + 7),
    ({"X-RateLimit-Reset": str(int((NOW + 7) * 1000))}, NOW + 7),
    ({"X-RateLimit-Reset": "12"}, NOW + 12),           # a delta, not a 1970 time
    ({"Retry-After": "2", "X-RateLimit-Reset": str(int(NOW + 30))}, NOW + 2),
    ({"Retry-After": "soon"}, None),
    ({"X-RateLimit-Limit": "100"}, None),
    ({}, None),
])
def test_parse_retry_at(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_at(headers, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_429_carries_retry_at_and_upload_wording() -> None:
    error = error_from_response(429, {"Retry-After": "4"}, envelope(429, "Rate limit exceeded"), now=NOW)
    assert isinstance(error, RateLimitedError) and error.retry_at == NOW + 4
    upload = error_from_response(429, {}, envelope(429, "Rate limit exceeded"), now=NOW, upload=True)
    assert isinstance(upload, RateLimitedError) and upload.retry_at is None
    assert "delete old uploads" in upload.user_message
    concurrent = error_from_response(429, {}, envelope(429, "Concurrent limit exceeded"), now=NOW)
    assert "at once" in concurrent.user_message


class _Rng(random.Random):
    """Deterministic: uniform returns its upper bound."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.mark.parametrize(("attempt", "error", "expected"), [
    (1, ServerError(status=500), 0.5),
    (2, ServerError(status=503), 1.0),
    (3, NetworkError(), 2.0),
    (4, ConnectError(), 4.0),
    (2, ProtocolError(), 1.0),
    (10, ServerError(), BACKOFF_CAP),
    (1, RateLimitedError(retry_at=None), 0.5),
    (1, RateLimitedError(retry_at=NOW + 5), 5.5),
    (1, RateLimitedError(retry_at=NOW - 5), 0.5),       # already past: normal backoff
    (1, RateLimitedError(retry_at=NOW + 600), None),    # too long: hand back to the scheduler
    (1, ValidationError(), None),
    (1, AuthenticationError(), None),
    (1, InsufficientBalanceError(), None),
    (1, NotFoundError(), None),
])
def test_retry_delay_table(attempt: int, error: Exception, expected: float | None) -> None:
    assert retry_delay(attempt, error, now=NOW, rng=_Rng()) == expected


def test_retry_delay_jitter_stays_in_band() -> None:
    rng = random.Random(7)
    delays = [retry_delay(3, ServerError(), now=NOW, rng=rng) for _ in range(200)]
    assert all(1.0 <= d <= 2.0 for d in delays if d is not None)
    assert len(set(delays)) > 100
