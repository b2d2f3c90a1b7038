"""How long a job's current step has left, in figures both faces can print.

Two kinds of step: the local ones with a byte count (preparing, uploading, downloading) have a
fraction done, so the time left is the rate since the step was first seen times what is left;
the server's part (submitted, processing) has no progress at all, so the honest figure is the
time since submit against the usual duration (``core.policy.expected_window``, the same window
the poll schedule uses).
"""

from __future__ import annotations

from dataclasses import dataclass

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.policy import expected_window

#: Below this much elapsed time or progress an estimate is noise, so none is given.
MIN_ELAPSED = 1.0
MIN_DONE = 0.01


def remaining_seconds(started_at: float, started_fraction: float, now: float, fraction: float) -> float | None:
    """Seconds left at the rate seen since (``started_at``, ``started_fraction``); None when
    too little is known (a resumed download starts part-way, hence the starting fraction)."""
    elapsed, done = now - started_at, fraction - started_fraction
    if elapsed < MIN_ELAPSED or done < MIN_DONE or fraction >= 1.0:
        return None
    return elapsed * (1.0 - fraction) / done


@dataclass(frozen=True)
class ServerTime:
    """Time on the server so far against the usual window (seconds, already time-scaled)."""

    elapsed: float
    usual_from: float
    usual_to: float

    @property
    def overdue(self) -> bool:
        return self.elapsed > self.usual_to


def server_time(job: Job, now: float, *, time_scale: float = 1.0) -> ServerTime | None:
    """For a submitted or processing job: elapsed time since submit and the usual window."""
    if job.state not in (JobState.SUBMITTED, JobState.PROCESSING) or not job.submitted_at:
        return None
    lo, hi = expected_window(job.request)
    scale = time_scale if time_scale > 0 else 1.0
    return ServerTime(max(0.0, now - job.submitted_at), lo / scale, hi / scale)


__all__ = ["ServerTime", "remaining_seconds", "server_time"]
