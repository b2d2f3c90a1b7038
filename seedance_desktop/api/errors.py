"""The typed error tree of the Modellix client (a branch of ``seedance_desktop.errors``).

Callers catch at the level they care about::

    ModellixError
    ├── ApiError                      the server answered with an error envelope / status
    │   ├── AuthenticationError       401: missing, invalid or expired key -> ask for a key
    │   ├── InsufficientBalanceError  402: pause submitting, show the balance
    │   ├── ValidationError           400: bad input; ``field_errors`` names the fields
    │   ├── NotFoundError             404: task, model or provider not found
    │   ├── RateLimitedError          429: ``retry_after`` (seconds, clamped) when the server said
    │   └── ServerError               5xx (also non-JSON bodies such as an HTML 502 page);
    │                                 ``retry_after`` from a 503's Retry-After, clamped
    ├── NetworkError                  no usable answer: connect/read failure, timeout
    │   └── ConnectError              the request provably never reached the server
    ├── ProtocolError                 2xx but a body we cannot use (malformed, too large, too
    │                                 deeply nested JSON; a task answer for another task id)
    ├── SubmitOutcomeUnknownError     a paid POST may have been accepted: never re-POST it
    ├── DownloadError                 a result file could not be fetched or verified
    │   ├── ResultGoneError           403/404/410 on a result URL: refetch the task for a new URL
    │   ├── DownloadCancelled         cancelled on purpose; the .part file is kept
    │   ├── UnsafeUrlError            a result/upload URL or redirect the app refuses (final)
    │   ├── DownloadTooLargeError     larger than the cap (or a Content-Length lie) (final)
    │   ├── DownloadStalledError      past the overall deadline or below the minimum rate
    │   └── UnexpectedContentError    a body that cannot be the file (gzip-encoded, cut short)
    ├── UploadCancelled               an upload cancelled on purpose
    └── ConfigurationError            bad base URL, missing key and the like

Every error carries ``user_message``: what happened and what to do, in words a person reads.
Messages never contain the API key or signed query strings (see ``api.redact``).
"""

from __future__ import annotations

from dataclasses import dataclass

from seedance_desktop.errors import SeedanceError


class ModellixError(SeedanceError):
    """Base of every error raised by the API layer."""

    #: What to tell the person, including what they can do about it.
    user_message: str = "Something went wrong talking to Modellix."
    #: Whether an automatic retry of the same (idempotent) request makes sense.
    retryable: bool = False
    #: A task id the failed answer nevertheless carried (a submit refused with a task id, SPEC
    #: section 5): the engine tracks that task instead of posting again. Set by the client.
    task_id: str | None = None


class ApiError(ModellixError):
    """The server answered with an error status or a non-zero ``code`` envelope."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: int | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, user_message=user_message)
        self.status = status
        self.code = code


class AuthenticationError(ApiError):
    user_message = "The API key was rejected (missing, invalid or expired). Add a valid key in Settings."


class InsufficientBalanceError(ApiError):
    user_message = "The Modellix account has insufficient balance. Top up, then resume the queue."


@dataclass(frozen=True)
class FieldError:
    """One problem with one request field, in words a person understands."""

    field: str
    message: str


class ValidationError(ApiError):
    """The request was refused as invalid (locally or by the server's 400)."""

    user_message = "The request was rejected as invalid. Correct the highlighted fields and submit again."

    def __init__(
        self,
        message: str = "",
        *,
        field_errors: list[FieldError] | None = None,
        status: int | None = 400,
        code: int | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, user_message=user_message)
        self.field_errors: list[FieldError] = list(field_errors or [])


class NotFoundError(ApiError):
    user_message = "Modellix does not know this task or model (404)."


#: (shortest, longest) wait in seconds that a server's retry hint may ask for (SPEC section 10).
RETRY_HINT_RANGE = (1.0, 600.0)


class RateLimitedError(ApiError):
    """429. ``retry_after``: seconds to wait, from the server's hint, already clamped to
    :data:`RETRY_HINT_RANGE` (a hostile ``Retry-After: inf`` must not freeze the queue); measure
    it from when the answer arrived on a monotonic clock. ``retry_at``: the same as a Unix time
    (kept for callers that still work in wall-clock time)."""

    user_message = "Modellix is rate limiting requests; waiting before trying again."
    retryable = True

    def __init__(
        self,
        message: str = "",
        *,
        retry_at: float | None = None,
        retry_after: float | None = None,
        status: int | None = 429,
        code: int | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, user_message=user_message)
        self.retry_at = retry_at
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx / 408. ``retry_after``: seconds from a ``Retry-After`` hint (e.g. a 503), clamped to
    :data:`RETRY_HINT_RANGE` exactly as for :class:`RateLimitedError`; None when none was sent."""

    user_message = "Modellix had a server error. It will be retried automatically where safe."
    retryable = True

    def __init__(
        self,
        message: str = "",
        *,
        retry_after: float | None = None,
        status: int | None = None,
        code: int | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, user_message=user_message)
        self.retry_after = retry_after


class NetworkError(ModellixError):
    user_message = "Could not reach Modellix. Check the network connection; it will be retried."
    retryable = True


class ConnectError(NetworkError):
    """The connection was never established, so the request never reached the server."""


class ProtocolError(ModellixError):
    user_message = "Modellix sent an answer the app could not understand. It will be retried where safe."
    retryable = True


class SubmitOutcomeUnknownError(ModellixError):
    """A billable submit may or may not have been accepted. Never re-POST automatically."""

    user_message = (
        "The submission may or may not have reached Modellix (the connection failed after "
        "sending). It was not re-sent automatically, to avoid paying twice. Check your "
        "Modellix dashboard, then choose 'Submit again' if it is not there."
    )


class DownloadError(ModellixError):
    user_message = "The result could not be downloaded. It will be retried."
    retryable = True


class ResultGoneError(DownloadError):
    """The result URL answered 403/404/410: it expired or was revoked."""

    user_message = "The result link has expired; asking Modellix for a fresh one."

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DownloadCancelled(DownloadError):
    """The person (or shutdown) cancelled a download; the ``.part`` file is kept for resuming."""

    user_message = "The download was cancelled."
    retryable = False


class UnsafeUrlError(DownloadError):
    """A result, last-frame or upload URL (or a redirect hop) the app will not fetch: not
    https, not the configured server, or a private/link-local address. Final: retrying or
    refetching the same answer cannot make it safe. ``url``: the redacted URL."""

    user_message = "Modellix sent a result link the app will not open (it is not a safe https link)."
    retryable = False

    def __init__(self, message: str = "", *, url: str = "", user_message: str | None = None) -> None:
        super().__init__(message, user_message=user_message)
        self.url = url


class DownloadTooLargeError(DownloadError):
    """The file is (or says it is) larger than the download cap. Final for this URL."""

    user_message = "The result file is larger than the app accepts; it was not downloaded."
    retryable = False


class DownloadStalledError(DownloadError):
    """The download passed its overall deadline or stayed below the minimum transfer rate."""

    user_message = "The result download was too slow and was stopped; it will be retried."


class UnexpectedContentError(DownloadError):
    """The body cannot be the file as sent (e.g. gzip-encoded though identity was asked for,
    or a close-delimited body that ended short of what the task promised)."""

    user_message = "The server sent something other than the result file; it will be retried."


class UploadCancelled(ModellixError):
    """The person (or shutdown) cancelled an upload before it finished."""

    user_message = "The upload was cancelled."


class ConfigurationError(ModellixError):
    user_message = "The connection settings are invalid. Open Settings to correct them."


__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectError",
    "DownloadCancelled",
    "DownloadError",
    "DownloadStalledError",
    "DownloadTooLargeError",
    "FieldError",
    "InsufficientBalanceError",
    "ModellixError",
    "NetworkError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitedError",
    "ResultGoneError",
    "ServerError",
    "SubmitOutcomeUnknownError",
    "UnexpectedContentError",
    "UnsafeUrlError",
    "UploadCancelled",
    "ValidationError",
]

