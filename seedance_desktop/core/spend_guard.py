"""The budget guard: no job is sent past a daily or monthly cap without the person's word.

The engine asks :meth:`SpendGuard.admit` just before it starts a queued job (``core.engine``).
The guard prices the job (``core.pricing``), adds it to what the ledger already counts for
today and this month (charges, plus estimates of jobs sent and not billed yet, so two jobs
admitted in the same instant cannot both slip under a cap) and either admits it with its
estimate, or returns the reason to hold it, with the figures. A held job stays QUEUED with
``Job.held`` set; "Send anyway" (``Engine.send``) releases it and marks it
``budget_override`` so it is not held again. The command line asks the same guard before it
queues anything (``--ignore-budget`` to override).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import Job
from seedance_desktop.core.ledger import LedgerEntry, day_start, ledger, month_start, total_since
from seedance_desktop.core.pricing import PriceOverrides, estimate_request

#: Prefix of every ``Job.held`` text the guard writes (the queue shows "Send anyway" for it).
BUDGET_HOLD_PREFIX = "Held by the budget:"


@dataclass(frozen=True)
class BudgetCaps:
    daily: float | None = None
    monthly: float | None = None

    @property
    def any(self) -> bool:
        return self.daily is not None or self.monthly is not None


@dataclass(frozen=True)
class Verdict:
    estimate: float | None
    hold: str | None = None    # why the job is held (None: it may be sent)


def is_budget_hold(job: Job) -> bool:
    return bool(job.held) and str(job.held).startswith(BUDGET_HOLD_PREFIX)


def check_caps(estimate: float | None, entries: Iterable[LedgerEntry], caps: BudgetCaps, now: float, *,
               exclude: str | None = None, tz: dt.tzinfo | None = None) -> str | None:
    """The hold reason when sending a job of ``estimate`` now would cross a cap, else None."""
    if not caps.any:
        return None
    cost = estimate or 0.0
    listed = list(entries)
    for cap, label, since in ((caps.daily, "daily", day_start(now, tz)), (caps.monthly, "monthly", month_start(now, tz))):
        if cap is None:
            continue
        spent = total_since(listed, since, exclude=exclude)
        if spent + cost > cap + 1e-9:
            what = f"about {usd(cost)} (estimate)" if estimate is not None else "an unknown amount (no price for it)"
            return (f"{BUDGET_HOLD_PREFIX} this job would cost {what}; {usd(spent)} is already spent or "
                    f"committed {'today' if label == 'daily' else 'this month'}, and the {label} cap is "
                    f"{usd(cap)}. Send it anyway, or raise the cap in Settings.")
    return None


class SpendGuard:
    """Prices and checks a job against the caps, reading the settings afresh each time (the
    person may change caps and prices while the queue runs). ``jobs(since)`` gives the jobs
    changed since a time (``JobStore.updated_since``): the engine asks before every send, on
    the loop thread, so it reads this month's jobs, not the whole history."""

    def __init__(self, jobs: Callable[[float], Iterable[Job]], caps: Callable[[], BudgetCaps],
                 prices: Callable[[], PriceOverrides], *, clock: Callable[[], float] = time.time,
                 tz: dt.tzinfo | None = None) -> None:
        self._jobs = jobs
        self._caps = caps
        self._prices = prices
        self._clock = clock
        self._tz = tz

    def estimate(self, job: Job) -> float | None:
        return estimate_request(job.model, job.request, self._prices())

    def check_amount(self, amount: float) -> str | None:
        """Whether spending ``amount`` more now would cross a cap (the command line's batch asks
        this for the batch's total before queueing it)."""
        return check_caps(amount, self._entries(), self._caps(), self._clock(), tz=self._tz)

    def headroom(self) -> float | None:
        """How much may still be spent before a cap is crossed (None: no caps), for the batch
        preview's warning."""
        caps = self._caps()
        if not caps.any:
            return None
        entries, now = self._entries(), self._clock()
        left = [cap - total_since(entries, since) for cap, since in (
            (caps.daily, day_start(now, self._tz)), (caps.monthly, month_start(now, self._tz))) if cap is not None]
        return round(max(0.0, min(left)), 4)

    def _entries(self) -> list[LedgerEntry]:
        return ledger(self._jobs(month_start(self._clock(), self._tz)), self._prices())

    def admit(self, job: Job) -> Verdict:
        """The engine's question before sending ``job``: its estimate, and a hold reason if
        sending it would cross a cap (never for a job the person chose to send anyway)."""
        estimate = self.estimate(job)
        if job.budget_override:
            return Verdict(estimate)
        caps = self._caps()
        if not caps.any:
            return Verdict(estimate)
        entries = self._entries()
        return Verdict(estimate, check_caps(estimate, entries, caps, self._clock(), exclude=job.id, tz=self._tz))


def caps_of(settings: object) -> BudgetCaps:
    """The caps in a :class:`core.settings.Settings` (typed loosely: any object with them)."""
    return BudgetCaps(getattr(settings, "daily_cap", None), getattr(settings, "monthly_cap", None))


__all__ = ["BUDGET_HOLD_PREFIX", "BudgetCaps", "SpendGuard", "Verdict", "caps_of", "check_caps", "is_budget_hold"]
