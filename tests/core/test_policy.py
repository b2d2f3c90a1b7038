"""Table tests of the pure scheduling policy: poll schedule, back-off, and what answers and
errors mean for a job."""

from __future__ import annotations

import collections
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedance_desktop.api.errors import (
    ApiError,
    AuthenticationError,
    ConnectError,
    DownloadCancelled,
    DownloadError,
    DownloadStalledError,
    DownloadTooLargeError,
    FieldError,
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
from seedance_desktop.api.tasks import Resource, TaskInfo, TaskStatus
from seedance_desktop.core import policy
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.job import JobState
from seedance_desktop.core.policy import Pause
from seedance_desktop.media.errors import MediaError

S = JobState
WINDOW = (30.0, 120.0)
NOW = 1_000_000.0


def rng() -> random.Random:
    return random.Random(7)


# ------------------------------------------------------------------ windows and schedule


@pytest.mark.parametrize(
    ("request_", "window"),
    [
        ({}, (30.0, 120.0)),
        ({"duration": 5, "resolution": "720p"}, (30.0, 120.0)),
        ({"duration": 4, "resolution": "480p"}, (30.0, 120.0)),
        ({"duration": 10, "resolution": "720p"}, (60.0, 240.0)),
        ({"duration": 5, "resolution": "1080p"}, (45.0, 180.0)),
        ({"duration": "x"}, (30.0, 120.0)),
    ],
)
def test_expected_window_scales_with_duration_and_resolution(request_: dict, window: tuple[float, float]) -> None:
    assert policy.expected_window(request_) == window


@pytest.mark.parametrize(
    ("age", "polls", "low", "high"),
    [
        (0.0, 0, 1.0, 3.0),        # first poll soon after submit (jittered: 1-3 s)
        (1.5, 0, 0.0, 1.5),
        (300.0, 0, 0.0, 1.0),      # a resumed old job polls at once (within a second)
        (2.0, 1, 5.0, 6.9),        # then sparse, growing with jitter
        (8.0, 2, 12.0, 21.0),
        (40.0, 5, 5.0, 25.0),      # never past the dense start (75 s)
        (74.0, 6, 0.05, 1.0),
        (80.0, 7, 1.75, 1.75),     # dense in the likely-finish window
        (119.0, 30, 1.75, 1.75),
        (130.0, 40, 4.25, 4.89),   # overdue: slow back-off...
        (1000.0, 90, 60.0, 69.0),  # ...capped, forever
        (100000.0, 999, 60.0, 69.0),
    ],
)
def test_poll_interval_table(age: float, polls: int, low: float, high: float) -> None:
    for seed in range(20):
        gap = policy.poll_interval(age, polls, WINDOW, random.Random(seed))
        assert low - 1e-9 <= gap <= high + 1e-9, (age, polls, gap)


def test_sparse_polls_land_exactly_on_the_dense_start() -> None:
    r = rng()
    age, polls = 0.0, 0
    times = []
    while age < 75.0:
        age += policy.poll_interval(age, polls, WINDOW, r)
        polls += 1
        times.append(age)
    assert times[-1] == pytest.approx(75.0)
    assert len(times) <= 7  # 2 s, then few sparse polls


def test_schedule_needs_a_third_of_a_fixed_poller_with_small_lag() -> None:
    """The benchmark's claim, checked on the pure function: jobs finishing uniformly in
    30-120 s need <= 1/3 of a 2-second poller's requests, median detection lag <= 2 s."""
    r = random.Random(1)
    requests, lags, fixed = [], [], []
    for _ in range(3000):
        finish = r.uniform(30.0, 120.0)
        age, polls = 0.0, 0
        while age < finish:
            age += policy.poll_interval(age, polls, WINDOW, r)
            polls += 1
        requests.append(polls)
        lags.append(age - finish)
        fixed.append(int(finish // 2.0) + 1)
    assert statistics.mean(requests) <= statistics.mean(fixed) / 3
    assert statistics.median(lags) <= 2.0


def test_no_client_side_deadline_ever() -> None:
    """However old the task, the policy keeps polling (it never says "give up")."""
    for age in (1e3, 1e5, 1e7):
        gap = policy.poll_interval(age, 10_000, WINDOW, rng())
        assert 0 < gap <= policy.OVERDUE_MAX * 1.15


@pytest.mark.parametrize(
    ("now", "submitted", "polls", "not_before", "scale", "expected"),
    [
        (NOW, NOW, 1, NOW + 9.0, 1.0, NOW + 9.0),        # Retry-After is always honoured
        (NOW + 100, NOW, 7, None, 1.0, NOW + 101.75),    # dense
        (NOW + 10, NOW, 7, None, 10.0, NOW + 10.175),    # age 100 s in service time
    ],
)
def test_next_poll_at(now: float, submitted: float, polls: int, not_before: float | None, scale: float,
                      expected: float) -> None:
    at = policy.next_poll_at(now=now, submitted_at=submitted, polls=polls, window=WINDOW, rng=rng(),
                             not_before=not_before, time_scale=scale)
    assert at == pytest.approx(expected)


@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_first_poll_is_soon_after_submit_and_spread(scale: float) -> None:
    """The first poll comes 1-3 s (service time) after submit, jittered, so 200 jobs submitted
    together do not all poll in the same instant: no 50 ms holds more than a few of them."""
    r = rng()
    firsts = [policy.next_poll_at(now=NOW, submitted_at=NOW, polls=0, window=WINDOW, rng=r, time_scale=scale) - NOW
              for _ in range(200)]
    assert all(1.0 / scale <= gap <= 3.0 / scale for gap in firsts)
    buckets = collections.Counter(int(gap * scale / 0.05) for gap in firsts)
    assert max(buckets.values()) <= 15
    at = policy.next_poll_at(now=NOW, submitted_at=NOW, polls=0, window=WINDOW, rng=rng(), not_before=NOW + 9.0)
    assert at == NOW + 9.0  # a server hint still wins


def test_resumed_jobs_poll_soon_but_not_in_one_instant() -> None:
    r = rng()
    gaps = [policy.poll_interval(300.0, 0, WINDOW, r) for _ in range(200)]
    assert all(0.0 <= gap <= policy.RESUME_SPREAD for gap in gaps)
    assert len({round(gap, 3) for gap in gaps}) > 100


@given(
    age=st.floats(0, 1e7), polls=st.integers(0, 10_000), seed=st.integers(0, 2**32),
    duration=st.integers(4, 15), resolution=st.sampled_from(["480p", "720p", "1080p"]),
    hint=st.one_of(st.none(), st.floats(-100, 1000)), scale=st.sampled_from([1.0, 2.0, 60.0]),
)
def test_next_poll_is_always_in_the_future_bounded_and_honours_hints(
    age: float, polls: int, seed: int, duration: int, resolution: str, hint: float | None, scale: float
) -> None:
    window = policy.expected_window({"duration": duration, "resolution": resolution})
    now = NOW + age / scale
    not_before = None if hint is None else now + hint
    at = policy.next_poll_at(now=now, submitted_at=NOW, polls=polls, window=window, rng=random.Random(seed),
                             not_before=not_before, time_scale=scale)
    assert now <= at <= now + max(policy.OVERDUE_MAX * 1.15, policy.SPARSE_MAX * 1.15) / scale + max(0.0, hint or 0.0)
    if not_before is not None:
        assert at >= not_before


# ------------------------------------------------------------------ back-off


@pytest.mark.parametrize(("failures", "low", "high"), [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (10, 10.0, 20.0), (5000, 10.0, 20.0)])
def test_backoff_delay_grows_with_equal_jitter(failures: int, low: float, high: float) -> None:
    for seed in range(20):
        assert low <= policy.backoff_delay(failures, random.Random(seed)) <= high


def test_retry_at_honours_the_server_hint() -> None:
    hinted = RateLimitedError(retry_after=30.0)
    assert policy.retry_at(hinted, now=NOW, failures=1, rng=rng()) == NOW + 30
    assert NOW < policy.retry_at(ServerError(), now=NOW, failures=1, rng=rng()) <= NOW + 0.5
    unhinted = RateLimitedError()
    assert policy.retry_at(unhinted, now=NOW, failures=1, rng=rng()) <= NOW + 0.5


def test_retry_at_ignores_the_wall_clock() -> None:
    """The hint is relative (seconds), applied to the caller's monotonic ``now``: an absolute
    wall-clock ``retry_at`` far in the future (a stepped-back clock, a hostile reset header)
    never stretches the wait beyond the clamped ``retry_after``."""
    hostile = RateLimitedError(retry_at=NOW + 10_000_000, retry_after=600.0)
    assert policy.retry_at(hostile, now=5.0, failures=1, rng=rng()) == 605.0


# ------------------------------------------------------------------ decisions


def _submit(error: BaseException) -> policy.Decision:
    return policy.on_submit_error(error, now=NOW, failures=1, rng=rng())


@pytest.mark.parametrize(
    ("error", "state", "pause", "retry"),
    [
        (ConnectError("refused"), S.QUEUED, Pause.NONE, True),
        (RateLimitedError(retry_after=5.0), S.QUEUED, Pause.NONE, True),
        (RateLimitedError(), S.QUEUED, Pause.NONE, True),
        (InsufficientBalanceError(status=402), S.QUEUED, Pause.SUBMITTING, False),
        (AuthenticationError(status=401), S.QUEUED, Pause.EVERYTHING, False),
        (SubmitOutcomeUnknownError("read timeout"), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (ValidationError(field_errors=[FieldError("prompt", "is required")]), S.FAILED, Pause.NONE, False),
        (NotFoundError(status=404), S.FAILED, Pause.NONE, False),
        (ApiError(status=405), S.FAILED, Pause.NONE, False),
        (ValidationError(status=413), S.FAILED, Pause.NONE, False),
        (ValidationError(status=422), S.FAILED, Pause.NONE, False),
        (AuthenticationError(status=403), S.FAILED, Pause.NONE, False),
        # SPEC section 5: everything else may have created a task: never re-posted.
        (ServerError(status=408), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (ApiError(status=409), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (ApiError(status=418), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (ApiError(status=1001, code=1001), S.OUTCOME_UNKNOWN, Pause.NONE, False),  # 2xx, non-zero code
        (ServerError(status=500), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (ServerError(status=503), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (RuntimeError("a bug after sending"), S.OUTCOME_UNKNOWN, Pause.NONE, False),
        (NetworkError("?"), S.OUTCOME_UNKNOWN, Pause.NONE, False),
    ],
)
def test_submit_errors_table(error: BaseException, state: JobState, pause: Pause, retry: bool) -> None:
    decision = _submit(error)
    assert decision.state is state and decision.pause is pause
    assert (decision.retry_at is not None) is retry
    assert decision.reason


def _with_task(error: ModellixError, task_id: str = "task-77") -> ModellixError:
    error.task_id = task_id
    return error


@pytest.mark.parametrize(
    "error",
    [
        _with_task(RateLimitedError(status=429)),                  # HTTP 429 naming a task
        _with_task(RateLimitedError(status=429, code=429)),        # 200 with code 429 naming a task
        _with_task(ServerError(status=500)),
        _with_task(ApiError(status=409)),
        _with_task(SubmitOutcomeUnknownError("no usable answer")),
        _with_task(InsufficientBalanceError(status=402)),
    ],
    ids=["429", "200-code-429", "500", "409", "unknown", "402"],
)
def test_a_task_id_in_any_answer_is_tracked_never_posted_again(error: ModellixError) -> None:
    decision = _submit(error)
    assert decision.state is S.SUBMITTED and decision.task_id == "task-77"
    assert decision.retry_at is None and decision.pause is Pause.NONE


def test_a_blank_task_id_is_not_a_task() -> None:
    assert _submit(_with_task(ServerError(status=500), "  ")).state is S.OUTCOME_UNKNOWN


def test_submit_decisions_explain_themselves() -> None:
    assert _submit(RateLimitedError(retry_after=5.0)).retry_at == NOW + 5
    assert _submit(RateLimitedError()).rate_limited
    assert "prompt: is required" in _submit(ValidationError(field_errors=[FieldError("prompt", "is required")])).reason
    assert "Submit again" in _submit(SubmitOutcomeUnknownError()).reason
    assert "balance" in _submit(InsufficientBalanceError()).reason


@pytest.mark.parametrize(
    ("error", "state", "pause"),
    [
        (ConnectError(), S.QUEUED, Pause.NONE),
        (NetworkError(), S.QUEUED, Pause.NONE),
        (ServerError(status=503), S.QUEUED, Pause.NONE),
        (RateLimitedError(), S.QUEUED, Pause.NONE),
        (UploadCancelled(), S.QUEUED, Pause.NONE),
        (AuthenticationError(), S.QUEUED, Pause.EVERYTHING),
        (ValidationError("too big", field_errors=[FieldError("file", "clip.mp4 is 20 MiB")]), S.FAILED, Pause.NONE),
        (OSError(2, "No such file"), S.QUEUED, Pause.NONE),
    ],
)
def test_upload_errors_table(error: BaseException, state: JobState, pause: Pause) -> None:
    decision = policy.on_upload_error(error, now=NOW, failures=1, rng=rng())
    assert decision.state is state and decision.pause is pause


@pytest.mark.parametrize(
    ("error", "failures", "state", "pause"),
    [
        (ServerError(status=502), 1, None, Pause.NONE),
        (NetworkError(), 9, None, Pause.NONE),
        (ProtocolError(), 3, None, Pause.NONE),
        (RateLimitedError(retry_after=3.0), 1, None, Pause.NONE),
        (AuthenticationError(status=401), 1, None, Pause.EVERYTHING),
        (NotFoundError(status=404), 1, None, Pause.NONE),
        (NotFoundError(status=404), policy.NOT_FOUND_LIMIT, S.FAILED, Pause.NONE),
    ],
)
def test_poll_errors_never_fail_a_running_task_lightly(error: BaseException, failures: int, state: JobState | None,
                                                      pause: Pause) -> None:
    decision = policy.on_poll_error(error, now=NOW, failures=failures, rng=rng())
    assert decision.state is state and decision.pause is pause
    if state is None:
        assert decision.retry_at is not None and decision.retry_at > NOW


def _info(status: TaskStatus, *, video: bool = True, error: str | None = None, raw: str = "") -> TaskInfo:
    return TaskInfo(task_id="t", status=status, raw_status=raw or status.value,
                    video=Resource("https://x/v.mp4", "video") if video else None, error_message=error)


@pytest.mark.parametrize(
    ("info", "current", "state"),
    [
        (_info(TaskStatus.PENDING), S.SUBMITTING, S.SUBMITTED),
        (_info(TaskStatus.PENDING), S.SUBMITTED, None),
        (_info(TaskStatus.PROCESSING), S.SUBMITTED, S.PROCESSING),
        (_info(TaskStatus.PROCESSING), S.PROCESSING, None),
        (_info(TaskStatus.SUCCESS), S.PROCESSING, S.DOWNLOADING),
        (_info(TaskStatus.SUCCESS), S.SUBMITTED, S.DOWNLOADING),
        (_info(TaskStatus.SUCCESS, video=False), S.PROCESSING, S.FAILED),
        (_info(TaskStatus.FAILED, error="face detected"), S.PROCESSING, S.FAILED),
    ],
)
def test_task_status_table(info: TaskInfo, current: JobState, state: JobState | None) -> None:
    assert policy.on_task(info, current).state is state


def test_a_success_with_any_url_is_downloaded_and_an_unsafe_only_one_fails_with_the_reason() -> None:
    other = Resource("https://x/result", "file", kind="other")
    info = TaskInfo(task_id="t", status=TaskStatus.SUCCESS, raw_status="success", video=None, candidates=(other,))
    assert policy.on_task(info, S.PROCESSING).state is S.DOWNLOADING  # never "returned no video"
    unsafe = TaskInfo(task_id="t", status=TaskStatus.SUCCESS, raw_status="success", video=None,
                      unsafe=(UnsafeUrlError("x", user_message="Modellix sent a result link the app will not open "
                                                               "(scheme 'file' is not https)"),))
    decision = policy.on_task(unsafe, S.PROCESSING)
    assert decision.state is S.FAILED and "Unsafe result link" in decision.reason and "file" in decision.reason


def test_failed_task_carries_its_reason() -> None:
    assert "face detected" in policy.on_task(_info(TaskStatus.FAILED, error="face detected"), S.PROCESSING).reason
    assert "cancelled" in policy.on_task(_info(TaskStatus.FAILED, raw="cancelled"), S.PROCESSING).reason


@pytest.mark.parametrize(
    ("error", "refetches", "gone_for", "state", "refetch"),
    [
        (ResultGoneError(status=410), 0, 0.0, None, True),
        (ResultGoneError(status=403), policy.REFETCH_LIMIT - 1, 1e6, None, True),
        # Many refetches within seconds (issue 8 item 1: expired within 0.7 s): keep trying.
        (ResultGoneError(status=404), 50, 1.0, None, True),
        (ResultGoneError(status=404), policy.REFETCH_LIMIT, policy.GONE_PATIENCE, S.EXPIRED, False),
        (DownloadError("cut short"), 0, 0.0, None, False),
        (DownloadStalledError("slow"), 0, 0.0, None, False),
        (DownloadCancelled(), 0, 0.0, None, False),
        (UnsafeUrlError("redirect to file:"), 0, 0.0, S.FAILED, False),
        (DownloadTooLargeError("2 GB"), 0, 0.0, S.FAILED, False),
        (OSError(28, "No space left on device"), 0, 0.0, S.FAILED, False),
    ],
)
def test_download_errors_table(error: BaseException, refetches: int, gone_for: float, state: JobState | None,
                               refetch: bool) -> None:
    decision = policy.on_download_error(error, now=NOW, failures=1, refetches=refetches, rng=rng(), gone_for=gone_for)
    assert decision.state is state and decision.refetch is refetch
    if state is None and not isinstance(error, DownloadCancelled):
        assert decision.retry_at is not None and decision.retry_at > NOW  # always a back-off


def test_gone_links_back_off_growing_and_scaled() -> None:
    waits = [policy.on_download_error(ResultGoneError(status=404), now=0.0, failures=1, refetches=n, rng=rng(),
                                      time_scale=1.0).retry_at or 0.0 for n in range(8)]
    assert waits[0] >= policy.GONE_BASE / 2 and waits[-1] > 4 * waits[0]
    scaled = policy.on_download_error(ResultGoneError(status=404), now=0.0, failures=1, refetches=3, rng=rng(),
                                      time_scale=10.0).retry_at or 0.0
    assert scaled < waits[3]
    # Patience is in service seconds: at time_scale 60, 5 real seconds are the full 300.
    assert policy.on_download_error(ResultGoneError(status=404), now=0.0, failures=1, refetches=9, rng=rng(),
                                    time_scale=60.0, gone_for=policy.GONE_PATIENCE / 60.0).state is S.EXPIRED


@pytest.mark.parametrize("state", [S.EXPIRED, S.FAILED])
def test_no_download_reason_advises_a_paid_rerun(state: JobState) -> None:
    errors: list[BaseException] = [ResultGoneError(status=404), UnsafeUrlError("x"), DownloadTooLargeError("x")]
    reasons = [policy.on_download_error(e, now=0.0, failures=1, refetches=99, rng=rng(), gone_for=1e9).reason
               for e in errors]
    reasons.append(policy.on_bad_result(UnexpectedContentError("html"), now=0.0, rounds=99, rng=rng()).reason)
    for reason in reasons:
        assert "retry" not in reason.lower() and "submit again" not in reason.lower()
    assert "Download again" in reasons[0] and "not a playable video" in reasons[-1]


def test_bad_result_refetches_then_fails() -> None:
    error = UnexpectedContentError("html page")
    first = policy.on_bad_result(error, now=0.0, rounds=1, rng=rng())
    assert first.state is None and first.refetch and (first.retry_at or 0.0) > 0.0
    assert policy.on_bad_result(error, now=0.0, rounds=policy.BAD_RESULT_LIMIT, rng=rng()).state is S.FAILED
    assert policy.is_bad_result(error) and policy.is_bad_result(MediaError("no video stream"))
    assert not policy.is_bad_result(ResultGoneError()) and not policy.is_bad_result(OSError(28, "full"))


@pytest.mark.parametrize(
    ("state", "after"),
    [
        (S.SUBMITTING, S.OUTCOME_UNKNOWN),  # the POST may have left: never re-POST
        (S.UPLOADING, S.QUEUED),
        (S.PREPARING, S.QUEUED),
        (S.QUEUED, None),
        (S.SUBMITTED, None),
        (S.PROCESSING, None),
        (S.DOWNLOADING, None),
    ],
)
def test_resume_state_table(state: JobState, after: JobState | None) -> None:
    assert policy.resume_state(state) is after


# ------------------------------------------------------------------ the shared budget


def test_one_429_holds_back_every_request_then_spaces_them() -> None:
    clock = [NOW]
    budget = RequestBudget(clock=lambda: clock[0])
    assert budget.wait_time() == 0
    budget.note_rate_limited(NOW + 5)
    waits = [budget.wait_time() for _ in range(4)]  # four different jobs asking at once
    assert waits[0] == pytest.approx(5.0)
    assert waits == sorted(waits) and waits[-1] >= 5.0 + 3 * 0.5  # spaced, not a stampede
    clock[0] = NOW + 5 + 120
    assert budget.wait_time() == 0  # recovered


def test_429_without_hint_pauses_briefly() -> None:
    clock = [NOW]
    budget = RequestBudget(clock=lambda: clock[0], time_scale=2.0)
    budget.note_rate_limited(None)
    assert budget.wait_time() == pytest.approx(1.0)  # DEFAULT_PAUSE / time_scale
