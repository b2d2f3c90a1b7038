"""Issue 12: the spend ledger and the budget guard, over the real simulator (loopback HTTP)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.core.engine import Action
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.ledger import ledger, summarize
from seedance_desktop.core.pricing import estimate_request, price_table
from seedance_desktop.core.settings import Settings
from seedance_desktop.core.spend_guard import BUDGET_HOLD_PREFIX, BudgetCaps, SpendGuard, check_caps
from seedance_desktop.runtime.compose import spend_guard
from tests.core.engine.engine_harness import MODEL, engine_rig, hosted_url, request_for, wait_all
from tests.sim_fixtures import clip, simulator  # noqa: F401 - fixtures

UTC = dt.timezone.utc


def test_the_price_table_takes_the_persons_overrides_and_defaults() -> None:
    assert price_table(MODEL)["480p"] == pytest.approx(0.069)
    assert price_table(MODEL, {MODEL: {"480p": 0.5}}) == {"480p": 0.5, "720p": 0.138}
    # duration and resolution left out: the model's defaults (720p, 5 s) are what is billed
    assert estimate_request(MODEL, {"prompt": "x"}) == pytest.approx(0.69)
    assert estimate_request(MODEL, {"resolution": "480p", "duration": 10}, {MODEL: {"480p": 0.1}}) == pytest.approx(1.0)


@pytest.mark.timeout(60)
def test_the_ledger_sums_the_billed_amounts_the_simulator_reports(tmp_path: Path, simulator: Any, clip: Path) -> None:
    url = hosted_url(simulator.base_url, simulator.api_key, clip)

    async def scenario() -> list[Job]:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            rig.engine.set_spend_guard(spend_guard(rig.store, Settings()))
            jobs = [rig.engine.enqueue(MODEL, request_for(f"ledger {i}", url, duration=4 + i), []) for i in range(3)]
            await wait_all(rig.engine, jobs)
            return rig.store.list()

    jobs = asyncio.run(scenario())
    assert all(j.state is JobState.DONE for j in jobs)
    billed = [record.amount for record in simulator.simulator.tasks().values()]
    entries = ledger(jobs)
    assert len(entries) == 3
    assert sorted(e.charged for e in entries) == sorted(billed)  # type: ignore[type-var]
    # the estimate made before sending sits beside each charge (480p at the spec's price)
    assert sorted(e.estimate for e in entries) == pytest.approx([0.276, 0.345, 0.414])  # type: ignore[type-var]
    summary = summarize(entries, max(e.at for e in entries) + 1)
    assert summary.today == pytest.approx(sum(billed)) and summary.month == pytest.approx(sum(billed))
    assert summary.daily[-1][1] == pytest.approx(sum(billed))
    assert summary.by_model[0].jobs == 3 and summary.by_model[0].resolution == "480p"


def test_periods_and_the_failed_jobs_charge_nothing() -> None:
    now = dt.datetime(2026, 3, 18, 12, tzinfo=UTC).timestamp()  # a Wednesday

    def job(day: int, cost: float | None, state: JobState = JobState.DONE) -> Job:
        at = dt.datetime(2026, 3, day, 9, tzinfo=UTC).timestamp()
        return Job(model=MODEL, request={"resolution": "480p", "duration": 4}, state=state, cost=cost,
                   submitted_at=at, task_id=f"t{day}")

    jobs = [job(18, 1.0), job(16, 2.0), job(10, 4.0), job(3, 8.0), job(18, None, JobState.FAILED)]
    summary = summarize(ledger(jobs), now, days=7, tz=UTC)
    assert (summary.today, summary.week, summary.month) == (1.0, 3.0, 15.0)
    assert [d.day for d, _ in summary.daily] == [12, 13, 14, 15, 16, 17, 18]
    assert summary.daily[-1][1] == 1.0 and summary.daily[-3][1] == 2.0
    failed = summary.unsuccessful
    assert len(failed) == 1 and failed[0].charged is None and failed[0].amount == 0.0


def test_a_cap_counts_charges_and_jobs_sent_but_not_billed() -> None:
    now = dt.datetime(2026, 3, 18, 12, tzinfo=UTC).timestamp()
    at = now - 60
    done = Job(model=MODEL, state=JobState.DONE, cost=3.0, submitted_at=at, task_id="a")
    flying = Job(model=MODEL, state=JobState.PROCESSING, estimate=1.5, submitted_at=at, task_id="b")
    entries = ledger([done, flying])
    assert check_caps(0.4, entries, BudgetCaps(daily=5.0), now, tz=UTC) is None
    reason = check_caps(0.6, entries, BudgetCaps(daily=5.0), now, tz=UTC)
    assert reason is not None and reason.startswith(BUDGET_HOLD_PREFIX)
    assert "$4.50" in reason and "$5.00" in reason and "$0.60" in reason


@pytest.mark.timeout(60)
def test_a_monthly_cap_holds_the_job_that_would_cross_it_and_send_anyway_sends_it(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    url = hosted_url(simulator.base_url, simulator.api_key, clip)
    settings = Settings(monthly_cap=0.5)  # one 480p 4 s job (~$0.28) fits, a second does not

    async def scenario() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=2) as rig:
            rig.engine.set_spend_guard(spend_guard(rig.store, settings))
            first = rig.engine.enqueue(MODEL, request_for("fits", url), [])
            second = rig.engine.enqueue(MODEL, request_for("crosses", url), [])
            (done,) = await wait_all(rig.engine, [first])
            assert done.state is JobState.DONE
            held = rig.store.get(second.id)
            assert held.state is JobState.QUEUED and held.held and held.held.startswith(BUDGET_HOLD_PREFIX)
            assert "monthly cap is $0.50" in held.held and held.task_id is None
            assert rig.submit_count() == 1  # nothing sent past the cap
            assert Action.SEND in rig.engine.allowed_actions(second.id)
            sent = rig.engine.send(second.id)  # "Send anyway"
            assert sent.budget_override and sent.held is None
            (finished,) = await wait_all(rig.engine, [sent])
            assert finished.state is JobState.DONE and rig.submit_count() == 2
            assert "Sent anyway" in " ".join(t.reason for t in finished.history)

    asyncio.run(scenario())


def test_the_guard_reads_settings_changed_in_place() -> None:
    settings = Settings()
    jobs: list[Job] = []
    guard = SpendGuard(lambda _since: jobs, lambda: BudgetCaps(settings.daily_cap, settings.monthly_cap),
                       lambda: settings.prices)
    job = Job(model=MODEL, request={"resolution": "720p", "duration": 10})
    assert guard.admit(job).hold is None and guard.admit(job).estimate == pytest.approx(1.38)
    settings.daily_cap = 1.0
    assert guard.admit(job).hold is not None
    settings.prices = {MODEL: {"720p": 0.05}}
    assert guard.admit(job).hold is None and guard.admit(job).estimate == pytest.approx(0.5)
