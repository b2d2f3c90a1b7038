"""Pure scheduling policy: when to poll, how long to back off, what an answer means for a job.

Nothing here does I/O, reads a clock or holds state: every function takes the time, the answer
and a ``random.Random`` as arguments, so the whole policy is table-tested (``tests/core/
test_policy.py``) and the engine (``core.engine.runner``) only carries the decisions out.

All durations are in *service* seconds (what the real Modellix would take). The engine divides
them by its ``time_scale`` when it runs against a time-compressed simulator.

Why the poll schedule looks the way it does
-------------------------------------------
Seedance jobs typically take 30-120 s (SPEC 6). A poll costs one request from a small budget
(100 requests/minute on the lowest tier) and each extra second between "the task succeeded" and
"we noticed" delays the download. For finish times spread evenly over a window, polling at an
interval ``d`` around time ``t`` costs ``S(t)/d`` requests per second (``S``: share of jobs still
running) and detects the ``f(t)`` jobs finishing there within 2 s with probability ``2/d``. The
cost per detected job is therefore ``S(t)/f(t)``, the inverse of the hazard rate, which *falls*
towards the end of the window: a job still running late is about to finish. So the schedule is

* a first poll soon after submitting, 1-3 s (catches instant failures and confirms the task
  exists; jittered, like every gap, so jobs submitted together never poll in one burst);
* sparse polls that back off with jitter (6 s, 18 s, then up to 25 s) while a finish is unlikely;
* dense polls (every 1.75 s) in the second half of the likely-finish window, so that more than
  half of all jobs are noticed within 2 s of finishing;
* past the window, a slow back-off (2 s growing to 60 s) that never ends: a task may run until
  its ``execution_expires_after``, so **no client-side deadline ever fails a job**.

The window comes from the request: longer outputs and higher resolutions take longer.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seedance_desktop.api.errors import (
    ApiError,
    AuthenticationError,
    ConnectError,
    DownloadCancelled,
    DownloadError,
    DownloadTooLargeError,
    InsufficientBalanceError,
    ModellixError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ResultGoneError,
    ServerError,
    SubmitOutcomeUnknownError,
    UnexpectedContentError,
    UnsafeUrlError,
    UploadCancelled,
    ValidationError,
)
from seedance_desktop.api.tasks import TaskInfo, TaskStatus
from seedance_desktop.core.job import JobState
from seedance_desktop.media.errors import MediaError

# --------------------------------------------------------------------------- poll schedule

#: Typical run time of a 5 s, 720p Seedance job (SPEC 6), in seconds after submit.
TYPICAL_WINDOW = (30.0, 120.0)
FIRST_POLL = 2.0          # the first poll, seconds after submit (on average)...
FIRST_JITTER = 0.5        # ...+-50 %: 1-3 s, so jobs submitted together do not poll in one burst
RESUME_SPREAD = 1.0       # a resumed job past its first poll polls within this many seconds
SPARSE_GROWTH = 3.0       # sparse gaps grow 6 s, 18 s, ... (after the first poll)
SPARSE_MAX = 25.0         # longest gap while a finish is unlikely
DENSE_INTERVAL = 1.75     # gap inside the likely-finish window (under 2 s, with room for latency)
DENSE_FROM = 0.5          # the dense part is the second half of the window
OVERDUE_GROWTH = 0.25     # past the window the gap grows by this many seconds per second late
OVERDUE_MAX = 60.0        # ...up to this gap, forever (a job minutes late costs a poll a minute)
JITTER = 0.15             # +-15 % on sparse gaps so many jobs do not poll in lock-step
_RESOLUTION_FACTOR = {"480p": 1.0, "720p": 1.0, "1080p": 1.5}


def expected_window(request: Mapping[str, Any]) -> tuple[float, float]:
    """The likely finish window (seconds after submit) for a request.

    A guess from public figures, not a deadline: 30-120 s for up to 5 s of 720p output,
    scaled up for longer outputs (linearly past 5 s) and for 1080p.
    """
    duration = request.get("duration")
    seconds = float(duration) if isinstance(duration, (int, float)) and not isinstance(duration, bool) else 5.0
    factor = max(1.0, seconds / 5.0) * _RESOLUTION_FACTOR.get(str(request.get("resolution", "720p")), 1.0)
    lo, hi = TYPICAL_WINDOW
    return lo * factor, hi * factor


def poll_interval(age: float, polls: int, window: tuple[float, float], rng: random.Random) -> float:
    """Seconds from now to the next poll of a task submitted ``age`` seconds ago, after
    ``polls`` polls so far (in this run of the engine: a resumed job polls at once)."""
    lo, hi = window
    if polls == 0:
        # Jittered like every other gap: 200 jobs submitted in one go (or resumed together
        # after a restart) would otherwise all poll in the same instant, and so again after
        # every later gap, which only jitter pulls apart.
        first = FIRST_POLL * (1.0 + rng.uniform(-FIRST_JITTER, FIRST_JITTER))
        if age >= first:
            return rng.uniform(0.0, RESUME_SPREAD)
        return first - age
    dense_start = lo + DENSE_FROM * (hi - lo)
    if age < dense_start:
        backoff = min(SPARSE_MAX, FIRST_POLL * SPARSE_GROWTH ** min(polls, 16))  # no float overflow
        gap = backoff * (1.0 + rng.uniform(-JITTER, JITTER))
        remaining = dense_start - age
        if gap >= remaining:
            return max(0.05, remaining)
        # Spread the remaining sparse polls evenly so the last one lands on the dense start
        # (no wasted short gap just before it).
        return remaining / math.ceil(remaining / gap)
    if age < hi:
        return DENSE_INTERVAL
    late = age - hi
    gap = min(OVERDUE_MAX, DENSE_INTERVAL + OVERDUE_GROWTH * late)
    return gap * (1.0 + rng.uniform(0.0, JITTER))


def next_poll_at(
    *,
    now: float,
    submitted_at: float,
    polls: int,
    window: tuple[float, float],
    rng: random.Random,
    not_before: float | None = None,
    time_scale: float = 1.0,
) -> float:
    """Absolute time of the next poll, on the clock of ``now`` (the engine's monotonic one).

    ``submitted_at``/``now`` are on the same clock; ``time_scale`` > 1 compresses service time
    (a simulator running faster). ``not_before`` is a server hint (``Retry-After`` /
    ``X-RateLimit-Reset`` as an absolute time) and is always honoured.
    """
    age = max(0.0, (now - submitted_at) * time_scale)
    at = now + poll_interval(age, polls, window, rng) / time_scale
    if not_before is not None and not_before > at:
        at = not_before
    return at


# --------------------------------------------------------------------------- retry back-off

RETRY_BASE = 0.5
RETRY_CAP = 20.0


def backoff_delay(failures: int, rng: random.Random, *, base: float = RETRY_BASE, cap: float = RETRY_CAP) -> float:
    """Exponential back-off with "equal jitter" after ``failures`` consecutive failures (>= 1)."""
    step = min(cap, base * 2.0 ** min(max(0, failures - 1), 30))  # no float overflow after days of retries
    return step / 2.0 + rng.uniform(0.0, step / 2.0)


def retry_at(error: BaseException, *, now: float, failures: int, rng: random.Random, time_scale: float = 1.0) -> float:
    """When to try again after a retryable error, on the caller's (monotonic) clock ``now``:
    the server's hint if it gave one (``RateLimitedError.retry_after``, seconds, already clamped
    to 1 s..10 min by ``api.http_errors``; never shortened), else an exponential back-off
    (scaled like poll gaps). A relative hint, not an absolute wall-clock time, so stepping the
    wall clock back cannot stall a request."""
    wait = backoff_delay(failures, rng) / time_scale
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, (int, float)) and not isinstance(hint, bool) and hint > 0 and hint == hint:
        return now + max(float(hint), min(wait, 0.5 / time_scale))
    return now + wait


# --------------------------------------------------------------------------- decisions


class Pause(enum.Enum):
    """What an error pauses, beyond the job itself."""

    NONE = "none"
    SUBMITTING = "submitting"  # 402: no new submits until the person resumes
    EVERYTHING = "everything"  # 401: nothing talks to the server until there is a new key


@dataclass(frozen=True)
class Decision:
    """What to do with a job after an answer or an error.

    ``state`` is the job's next state (``None``: keep it and try again at ``retry_at``);
    ``reason`` goes into the job's history (and ``error`` when it fails); ``pause`` says
    whether the whole queue stops; ``rate_limited`` asks the shared request budget to slow down.
    """

    state: JobState | None
    reason: str = ""
    pause: Pause = Pause.NONE
    retry_at: float | None = None
    rate_limited: bool = False
    refetch: bool = False
    #: A task id found in an error answer (a refusal that still names a task): the job is
    #: SUBMITTED with it and tracked, never posted again.
    task_id: str | None = None


def _with_detail(default: str, error: BaseException) -> str:
    """The class's own advice plus whatever the server said, e.g. for a 401 or 402."""
    detail = getattr(error, "user_message", "") or str(error)
    return default if not detail or detail == default else f"{default} (Modellix said: {detail})"


def pause_reason(error: BaseException) -> str:
    """Why the queue paused, with what to do about it."""
    if isinstance(error, AuthenticationError):
        return _with_detail("Modellix rejected the API key (missing, invalid or expired). Add a valid key in "
                            "Settings; the queue continues with the new key.", error)
    if isinstance(error, InsufficientBalanceError):
        return _with_detail("The Modellix account has insufficient balance. Top up, then resume the queue.", error)
    return getattr(error, "user_message", str(error))


def describe_validation(error: ValidationError) -> str:
    """"field: problem; field: problem" -- what the person must fix, field by field."""
    if error.field_errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in error.field_errors)
        return f"Invalid request ({detail})"
    return error.user_message


#: Statuses of an explicit refusal of a submit (SPEC section 5): nothing was created, so the job
#: may go back to the queue (429, 401, 402) or fail with the server's reason (the rest).
REFUSAL_STATUSES = frozenset({400, 401, 402, 403, 404, 405, 413, 422, 429})


#: The status an error class stands for when the error does not say (raised without one).
_CLASS_STATUS: tuple[tuple[type[ApiError], int], ...] = (
    (RateLimitedError, 429), (InsufficientBalanceError, 402), (AuthenticationError, 401),
    (NotFoundError, 404), (ValidationError, 400),
)


def _status_of(error: BaseException) -> int | None:
    if not isinstance(error, ApiError):
        return None
    if error.status is not None:
        return error.status
    for cls, status in _CLASS_STATUS:
        if isinstance(error, cls):
            return status
    return None


def task_id_of(error: BaseException) -> str | None:
    """The task id an error answer carried, if any (``ModellixError.task_id``)."""
    value = getattr(error, "task_id", None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def on_submit_error(error: BaseException, *, now: float, failures: int, rng: random.Random, time_scale: float = 1.0) -> Decision:
    """What a failed submit means (SPEC section 5, exactly):

    * a task id in ANY answer, even a refusal (HTTP 429 with a task id, 200 with ``code: 429``),
      is a task to track: SUBMITTED, never posted again;
    * only a POST that provably never left (connect error) or an explicit refusal without a task
      id (429, 400/401/402/403/404/405/413/422) may be retried or failed;
    * everything else is OUTCOME_UNKNOWN and is never re-posted by the engine: 408, 409, any
      unlisted 4xx, a 2xx with a non-zero ``code`` or without a usable task id, a read timeout
      or dropped connection after sending, any 5xx, an unexpected exception.
    """
    task_id = task_id_of(error)
    if task_id is not None:
        return Decision(JobState.SUBMITTED, f"Modellix answered with an error but named task {task_id}; "
                        "tracking it instead of sending again.", task_id=task_id,
                        rate_limited=isinstance(error, RateLimitedError))
    if isinstance(error, ConnectError):
        return Decision(JobState.QUEUED, "Not sent: could not connect to Modellix; will try again.",
                        retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale))
    if isinstance(error, SubmitOutcomeUnknownError):
        return Decision(JobState.OUTCOME_UNKNOWN, error.user_message)
    status = _status_of(error)
    if status in REFUSAL_STATUSES:
        if isinstance(error, RateLimitedError) or status == 429:
            return Decision(JobState.QUEUED, "Not accepted yet: Modellix is rate limiting; will try again.",
                            retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale),
                            rate_limited=True)
        if isinstance(error, InsufficientBalanceError) or status == 402:
            return Decision(JobState.QUEUED, pause_reason(error), pause=Pause.SUBMITTING)
        if status == 401:
            return Decision(JobState.QUEUED, pause_reason(error), pause=Pause.EVERYTHING)
        if isinstance(error, ValidationError):
            return Decision(JobState.FAILED, describe_validation(error))
        assert isinstance(error, ApiError)
        return Decision(JobState.FAILED, error.user_message)  # an explicit refusal (403, 404, 405)
    if isinstance(error, ApiError):
        return Decision(JobState.OUTCOME_UNKNOWN, SubmitOutcomeUnknownError.user_message
                        + f" (Modellix answered {status if status is not None else 'an error'}: {error.user_message})")
    # Anything else (a bug, an unexpected exception) might have happened after sending.
    return Decision(JobState.OUTCOME_UNKNOWN, SubmitOutcomeUnknownError.user_message + f" ({type(error).__name__})")


def on_upload_error(error: BaseException, *, now: float, failures: int, rng: random.Random, time_scale: float = 1.0) -> Decision:
    """Uploads cost nothing but quota: transient failures go back to the queue with back-off."""
    if isinstance(error, AuthenticationError):
        return Decision(JobState.QUEUED, pause_reason(error), pause=Pause.EVERYTHING)
    if isinstance(error, ValidationError):
        return Decision(JobState.FAILED, describe_validation(error))
    if isinstance(error, UploadCancelled):
        return Decision(JobState.QUEUED, "Upload interrupted; it will start again.")
    if isinstance(error, (RateLimitedError, ServerError, NetworkError, ProtocolError, ApiError)) or isinstance(error, OSError):
        if isinstance(error, ApiError) and not error.retryable and not isinstance(error, RateLimitedError):
            return Decision(JobState.FAILED, f"Upload refused: {error.user_message}")
        message = getattr(error, "user_message", str(error))
        if isinstance(error, RateLimitedError):
            # On upload a 429 most often means the File API's quota (about 10 files per team).
            message = ("Upload failed (429): Modellix's file storage holds about 10 files per team, or "
                       "requests are being rate limited. Files this app uploaded earlier and no longer needs are "
                       "being deleted; if other tools fill the quota, delete old files in the Modellix dashboard, "
                       "or wait. The upload will be tried again by itself")
            return Decision(JobState.QUEUED, message + ".",
                            retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale),
                            rate_limited=True)
        return Decision(JobState.QUEUED, f"Upload failed ({message}); will try again.",
                        retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale),
                        rate_limited=isinstance(error, RateLimitedError))
    return Decision(JobState.FAILED, f"Upload failed: {error}")


#: A task the server says it does not know is only given up after this many 404s in a row.
NOT_FOUND_LIMIT = 5


def on_poll_error(error: BaseException, *, now: float, failures: int, rng: random.Random, time_scale: float = 1.0) -> Decision:
    """A poll failed (one GET: this policy is the only retry layer). Keep polling with back-off: a
    running task is never failed by the client, except when the server keeps saying it does
    not exist, or an unexpected refusal."""
    if isinstance(error, AuthenticationError):
        return Decision(None, pause_reason(error), pause=Pause.EVERYTHING,
                        retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale))
    if isinstance(error, NotFoundError):
        if failures >= NOT_FOUND_LIMIT:
            return Decision(JobState.FAILED, "Modellix no longer knows this task (404).")
    elif isinstance(error, ApiError) and not error.retryable and error.status not in (None, 408):
        if error.status is not None and 400 <= error.status < 500 and failures >= NOT_FOUND_LIMIT:
            return Decision(JobState.FAILED, f"Modellix refused to report on this task: {error.user_message}")
    return Decision(None, getattr(error, "user_message", str(error)),
                    retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale),
                    rate_limited=isinstance(error, RateLimitedError))


def on_task(info: TaskInfo, current: JobState) -> Decision:
    """What a task answer means for a job in ``current`` (SUBMITTING/SUBMITTED/PROCESSING).

    A success with any usable URL in it is downloaded (an untyped resource or a bare URL string
    is checked by its bytes, SPEC section 4); one whose only result links are unsafe is a final
    "unsafe result link" failure with the reason (no retry can make them safe)."""
    if info.status is TaskStatus.SUCCESS:
        if info.video is None and info.unsafe:
            return Decision(JobState.FAILED, unsafe_result_reason(info.unsafe[0]))
        if info.video is None and not info.candidates:
            return Decision(JobState.FAILED, "Modellix reported success but its answer holds no result link.")
        return Decision(JobState.DOWNLOADING, "Finished on the server; downloading.")
    if info.status is TaskStatus.FAILED:
        reason = info.error_message or f"the task ended as '{info.raw_status or 'failed'}'"
        return Decision(JobState.FAILED, f"Modellix failed the task: {reason}")
    if info.status is TaskStatus.PROCESSING and current is not JobState.PROCESSING:
        return Decision(JobState.PROCESSING, "Processing on the server.")
    if info.status is TaskStatus.PENDING and current is JobState.SUBMITTING:
        return Decision(JobState.SUBMITTED, "Queued on the server.")
    return Decision(None)


#: Appended to every reason for a job whose paid result exists but could not be fetched.
DOWNLOAD_AGAIN_HINT = "'Download again' asks Modellix for it once more (no new charge; do not run the job again)."


def unsafe_result_reason(error: BaseException) -> str:
    """The final reason for a result link (or redirect) the app will not open."""
    detail = getattr(error, "user_message", "") or str(error)
    return f"Unsafe result link, not opened: {detail}"


#: A gone result URL (403/404/410) is replaced by refetching the task, with a growing, jittered
#: back-off, for at least this long (service seconds, divided by ``time_scale``) and at least
#: ``REFETCH_LIMIT`` times before the job is EXPIRED: CDNs and eventually consistent stores
#: answer 403/404 for a while right after success (SPEC section 10).
GONE_PATIENCE = 300.0
GONE_BASE = 2.0
GONE_CAP = 60.0
REFETCH_LIMIT = 3
#: A result whose bytes are not a playable video is refetched this many times (every candidate
#: resource tried each time) before the job FAILS (recoverable by "Download again").
BAD_RESULT_LIMIT = 3


def on_download_error(error: BaseException, *, now: float, failures: int, refetches: int,
                      rng: random.Random, time_scale: float = 1.0, gone_for: float = 0.0) -> Decision:
    """A download failed. A gone URL (403/404/410) is replaced by refetching the task with
    back-off until it has been gone for ``GONE_PATIENCE`` (``gone_for``: real seconds since the
    first gone answer of this episode) and ``REFETCH_LIMIT`` refetches, then the job is EXPIRED
    (still recoverable: "Download again"). An unsafe link or redirect and a file over the size
    cap are final (FAILED, recoverable the same way). Network trouble and stalls are retried
    with back-off (the ``.part`` resumes); a local disk problem fails the job (retry resumes it)."""
    if isinstance(error, ResultGoneError):
        if refetches >= REFETCH_LIMIT and gone_for * time_scale >= GONE_PATIENCE:
            return Decision(JobState.EXPIRED, "The result is no longer available: every link Modellix gave stayed "
                                              "expired (403/404/410) for minutes. " + DOWNLOAD_AGAIN_HINT)
        wait = backoff_delay(refetches + 1, rng, base=GONE_BASE, cap=GONE_CAP) / time_scale
        return Decision(None, error.user_message, refetch=True, retry_at=now + wait)
    if isinstance(error, DownloadCancelled):
        return Decision(None, error.user_message)
    if isinstance(error, UnsafeUrlError):
        return Decision(JobState.FAILED, unsafe_result_reason(error))
    if isinstance(error, DownloadTooLargeError):
        detail = error.user_message if error.user_message == str(error) or not str(error) else (
            f"{error.user_message} ({error})")
        return Decision(JobState.FAILED, f"The result file is too large, so it was not downloaded: {detail}. "
                                         + DOWNLOAD_AGAIN_HINT)
    if isinstance(error, (DownloadError, NetworkError, ServerError, RateLimitedError, ProtocolError)):
        return Decision(None, getattr(error, "user_message", str(error)),
                        retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale))
    if isinstance(error, OSError):
        return Decision(JobState.FAILED, f"Could not save the result ({error.strerror or error}). Free space or fix the "
                                         "output folder, then retry to resume the download.")
    if isinstance(error, ModellixError):
        return Decision(None, error.user_message,
                        retry_at=retry_at(error, now=now, failures=failures, rng=rng, time_scale=time_scale))
    return Decision(JobState.FAILED, f"Download failed: {error}")


def is_bad_result(error: BaseException) -> bool:
    """Whether a download error (or a failed check of the file) says the bytes are not the
    video: try the next candidate resource, then refetch (see :func:`on_bad_result`)."""
    return isinstance(error, (UnexpectedContentError, MediaError))


def on_bad_result(error: BaseException, *, now: float, rounds: int, rng: random.Random,
                  time_scale: float = 1.0) -> Decision:
    """Every candidate of the task answer gave bytes that are not a playable video, ``rounds``
    times (>= 1): refetch the task with back-off, then (``BAD_RESULT_LIMIT``) FAIL."""
    detail = getattr(error, "user_message", "") or str(error)
    if rounds >= BAD_RESULT_LIMIT:
        return Decision(JobState.FAILED, f"Modellix's result file is not a playable video: {detail} "
                                         + DOWNLOAD_AGAIN_HINT)
    wait = backoff_delay(rounds, rng, base=GONE_BASE, cap=GONE_CAP) / time_scale
    return Decision(None, detail, refetch=True, retry_at=now + wait)


def resume_state(state: JobState) -> JobState | None:
    """What an unfinished job found at start-up becomes before the engine resumes it.

    SUBMITTING means the POST may or may not have been sent: OUTCOME_UNKNOWN, never a
    re-POST. PREPARING and UPLOADING go back to the queue (uploaded URLs are kept on the job).
    Others resume where they are (``None``)."""
    if state is JobState.SUBMITTING:
        return JobState.OUTCOME_UNKNOWN
    if state in (JobState.PREPARING, JobState.UPLOADING):
        return JobState.QUEUED
    return None


__all__ = [
    "BAD_RESULT_LIMIT",
    "DENSE_INTERVAL",
    "DOWNLOAD_AGAIN_HINT",
    "Decision",
    "FIRST_POLL",
    "GONE_PATIENCE",
    "NOT_FOUND_LIMIT",
    "OVERDUE_MAX",
    "Pause",
    "REFETCH_LIMIT",
    "REFUSAL_STATUSES",
    "TYPICAL_WINDOW",
    "backoff_delay",
    "describe_validation",
    "expected_window",
    "is_bad_result",
    "next_poll_at",
    "on_bad_result",
    "on_download_error",
    "on_poll_error",
    "on_submit_error",
    "on_task",
    "on_upload_error",
    "pause_reason",
    "poll_interval",
    "resume_state",
    "retry_at",
    "task_id_of",
    "unsafe_result_reason",
]
