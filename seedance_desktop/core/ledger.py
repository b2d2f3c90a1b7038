"""The spend ledger: what each job cost, beside what it was estimated to cost, and summaries.

Pure functions over jobs (read from the store by the caller), so the window's spend view, the
budget guard and the command line agree on every figure and tests need no clock or display.

* ``charged`` is the billed amount Modellix reported (``billing.amount``, ``Job.cost``); a job
  that failed or was cancelled usually has none, and counts as 0 (it is listed, with "nothing
  charged", so the person sees it).
* ``pending`` is the estimate of a job that was sent (or admitted for sending) whose charge is
  not known yet: it counts against the budget, so two jobs admitted in the same instant cannot
  both slip under a cap.
* Days, weeks (Monday first) and months are the person's local calendar (``tz``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.pricing import PriceOverrides, estimate_request, request_shape

#: States in which a job was sent and its charge is not known yet.
_UNBILLED_SENT = frozenset({JobState.SUBMITTING, JobState.SUBMITTED, JobState.PROCESSING,
                            JobState.DOWNLOADING, JobState.OUTCOME_UNKNOWN})


@dataclass(frozen=True)
class LedgerEntry:
    job_id: str
    at: float                  # when it was sent (or admitted for sending); else created
    model: str
    resolution: str
    duration: int | None
    state: JobState
    estimate: float | None     # the pre-send estimate (or, for an old job, today's table's)
    charged: float | None      # billed by Modellix; None: not billed (yet)
    group_id: str | None = None

    @property
    def pending(self) -> float:
        """The estimate still counted against the budget (sent, charge not known yet)."""
        if self.charged is not None or self.estimate is None:
            return 0.0
        return self.estimate if self.state in _UNBILLED_SENT or self.state.is_local else 0.0

    @property
    def amount(self) -> float:
        """What this job counts for in totals: the charge, else its pending estimate."""
        return self.charged if self.charged is not None else self.pending


def ledger_entry(job: Job, overrides: PriceOverrides | None = None) -> LedgerEntry:
    resolution, duration = request_shape(job.model, job.request)
    estimate = job.estimate if job.estimate is not None else estimate_request(job.model, job.request, overrides)
    return LedgerEntry(
        job_id=job.id, at=job.submitted_at or job.estimated_at or job.created_at, model=job.model,
        resolution=resolution, duration=duration, state=job.state, estimate=estimate,
        charged=job.cost, group_id=job.group_id,
    )


def ledger(jobs: Iterable[Job], overrides: PriceOverrides | None = None) -> list[LedgerEntry]:
    """Entries for every job that was sent or admitted for sending (a queued job the engine
    has not looked at yet costs nothing and is not in the ledger), newest first."""
    entries = [
        ledger_entry(job, overrides) for job in jobs
        if job.cost is not None or job.submitted_at is not None or job.estimated_at is not None
        or job.task_id is not None
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


# ------------------------------------------------------------------------------ periods


def _local(ts: float, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz) if tz is not None else dt.datetime.fromtimestamp(ts)


def day_start(now: float, tz: dt.tzinfo | None = None) -> float:
    return _local(now, tz).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def week_start(now: float, tz: dt.tzinfo | None = None) -> float:
    day = _local(day_start(now, tz), tz)
    return (day - dt.timedelta(days=day.weekday())).timestamp()


def month_start(now: float, tz: dt.tzinfo | None = None) -> float:
    return _local(now, tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def total_since(entries: Iterable[LedgerEntry], since: float, *, exclude: str | None = None) -> float:
    return round(sum(e.amount for e in entries if e.at >= since and e.job_id != exclude), 4)


@dataclass(frozen=True)
class Breakdown:
    model: str
    resolution: str
    jobs: int
    charged: float
    estimated: float


@dataclass
class SpendSummary:
    today: float = 0.0
    week: float = 0.0
    month: float = 0.0
    #: Part of the month's figure that is estimates of jobs not billed yet.
    month_pending: float = 0.0
    #: (model, resolution) over the month.
    by_model: list[Breakdown] = field(default_factory=list)
    #: (local date, amount) for each of the last ``days`` days, oldest first (zeros included).
    daily: list[tuple[dt.date, float]] = field(default_factory=list)
    #: Jobs that ended failed/cancelled/unknown this month, with what they were charged.
    unsuccessful: list[LedgerEntry] = field(default_factory=list)


def summarize(entries: list[LedgerEntry], now: float, *, days: int = 30, tz: dt.tzinfo | None = None) -> SpendSummary:
    """Today, this week, this month; per model and resolution; a per-day series."""
    month = month_start(now, tz)
    summary = SpendSummary(
        today=total_since(entries, day_start(now, tz)),
        week=total_since(entries, week_start(now, tz)),
        month=total_since(entries, month),
        month_pending=round(sum(e.pending for e in entries if e.at >= month and e.charged is None), 4),
    )
    groups: dict[tuple[str, str], list[LedgerEntry]] = {}
    for entry in entries:
        if entry.at >= month:
            groups.setdefault((entry.model, entry.resolution), []).append(entry)
    summary.by_model = sorted(
        (Breakdown(model, res, len(items), round(sum(e.charged or 0.0 for e in items), 4),
                   round(sum(e.estimate or 0.0 for e in items), 4))
         for (model, res), items in groups.items()),
        key=lambda b: (-b.charged, b.model, b.resolution),
    )
    today = _local(now, tz).date()
    series = {today - dt.timedelta(days=i): 0.0 for i in range(days - 1, -1, -1)}
    for entry in entries:
        date = _local(entry.at, tz).date()
        if date in series:
            series[date] = round(series[date] + entry.amount, 4)
    summary.daily = list(series.items())
    summary.unsuccessful = [
        e for e in entries if e.at >= month
        and e.state in (JobState.FAILED, JobState.CANCELLED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED)
    ]
    return summary


__all__ = ["Breakdown", "LedgerEntry", "SpendSummary", "day_start", "ledger", "ledger_entry", "month_start",
           "summarize", "total_since", "week_start"]
