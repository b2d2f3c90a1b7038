"""The simulator's state: its clock, its tasks and its uploaded files.

Task status is derived from time rather than driven by a background loop: a task is ``pending``
for ``pending_for`` simulated seconds, then ``processing`` for ``processing_for`` more, and then
``success`` (or ``failed``) -- but never before its render has finished. Because the moment of
turning final is computed exactly (``succeeded_at``, wall clock), benchmarks can measure how long
the client took to notice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.simulator.render import RenderResult


class SimClock:
    """Simulated time: starts at the wall clock and runs ``time_scale`` times faster."""

    def __init__(self, time_scale: float, clock: Callable[[], float] = time.time) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._clock = clock
        self._epoch = clock()

    def real(self) -> float:
        return self._clock()

    def now(self) -> float:
        """Simulated Unix time."""
        return self._epoch + (self._clock() - self._epoch) * self.time_scale

    def to_real(self, sim_seconds: float) -> float:
        """How many real seconds ``sim_seconds`` of simulated time take."""
        return sim_seconds / self.time_scale


@dataclass
class TaskRecord:
    task_id: str
    model_slug: str
    body: dict[str, Any]
    submitted_at: float            # wall clock, time.time()
    sim_submitted: float           # simulated clock
    pending_for: float             # simulated seconds
    processing_for: float          # simulated seconds
    amount: float
    effective_seed: int
    request_id: str
    fail_reason: str | None = None           # set by a FAIL_TASK fault or a render error
    render: RenderResult | None = None
    render_done_at: float | None = None      # wall clock
    succeeded_at: float | None = None        # wall clock of turning success (exact, not first poll)
    finished_at: float | None = None         # wall clock of turning success or failed
    url_generation: int = 0                  # bumped by EXPIRE_RESULT: old signed URLs stop working
    status: str = "pending"

    @property
    def video_size(self) -> int | None:
        return self.render.size if self.render else None

    @property
    def video_sha256(self) -> str | None:
        return self.render.sha256 if self.render else None

    def advance(self, clock: SimClock) -> str:
        """Recompute ``status`` for now and return it (call with the simulator's lock held)."""
        if self.status in ("success", "failed"):
            return self.status
        elapsed = clock.now() - self.sim_submitted
        expires_after = float(self.body.get("execution_expires_after", 172_800))
        if elapsed >= expires_after and (
            self.pending_for + self.processing_for > expires_after or self.render_done_at is None
        ):
            # Upstream "expired" (SPEC 7): the task outlived execution_expires_after; Modellix
            # is expected to report it as failed.
            self.status = "failed"
            self.fail_reason = (f"TaskExpired: the task did not finish within execution_expires_after "
                                f"({int(expires_after)} s)")
            self.finished_at = self.submitted_at + clock.to_real(expires_after)
            return self.status
        if elapsed < self.pending_for:
            self.status = "pending"
            return self.status
        timer_done_real = self.submitted_at + clock.to_real(self.pending_for + self.processing_for)
        if elapsed < self.pending_for + self.processing_for or self.render_done_at is None:
            self.status = "processing"
            return self.status
        final_at = max(timer_done_real, self.render_done_at)
        if self.fail_reason is not None:
            self.status = "failed"
        else:
            self.status = "success"
            self.succeeded_at = final_at
        self.finished_at = final_at
        return self.status

    def processing_ms(self, clock: SimClock) -> int:
        """``data.duration``: simulated processing time so far (or in all, once final)."""
        if self.finished_at is not None:
            real = self.finished_at - self.submitted_at
        else:
            real = clock.real() - self.submitted_at
        return int(round(real * clock.time_scale * 1000))


@dataclass
class FileRecord:
    file_id: str
    filename: str
    content_type: str
    size: int
    path: Path
    sha256: str
    created_at: float
    kind: str = "other"   # video / image / audio / other

    def url_path(self) -> str:
        return f"/files/uploads/{self.file_id}/{self.filename}"


@dataclass
class Counters:
    """Requests per endpoint, thread-safe."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: dict[str, int] = field(default_factory=dict)

    def hit(self, endpoint: str) -> None:
        with self._lock:
            self._counts[endpoint] = self._counts.get(endpoint, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RateWindow:
    """A fixed one-minute window of API requests, in simulated time (SPEC 5: e.g. 100/minute).

    ``hit()`` answers whether the request is allowed plus the ``X-RateLimit-*`` headers. The
    reset is sent as a *real* Unix time, converted from the simulated window end, because a
    client waits on its own wall clock.
    """

    def __init__(self, limit: int, clock: SimClock) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        now = self._clock.now()
        window = int(now // 60)
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            remaining = self.limit - self._used
        reset_real = self._clock.real() + self._clock.to_real((window + 1) * 60 - now)
        return allowed, {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": str(int(reset_real) + 1),
        }
