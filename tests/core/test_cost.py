"""Cost words per job state, shared by the queue's Cost column, the details pane and the CLI."""

from __future__ import annotations

import pytest

from seedance_desktop.core.cost import DEMO_COST, estimate_note, job_cost, usd
from seedance_desktop.core.job import Job, JobState

MODEL = "bytedance/seedance-2.0-fast-v2v"
REQUEST = {"prompt": "x", "duration": 5, "resolution": "480p"}  # 5 s at $0.069/s: about $0.345


@pytest.mark.parametrize(("amount", "text"), [
    (0.345, "$0.345"), (1.2, "$1.20"), (12, "$12.00"), (0.69, "$0.69"), (0, "$0.00"),
    (1234.5, "$1,234.50"), (-0.05, "-$0.05"), (0.1 + 0.2, "$0.30"), (0.3456, "$0.346"), (2.0700000000000003, "$2.07"),
])
def test_money_shows_cents_and_a_third_decimal_only_when_there_is_one(amount: float, text: str) -> None:
    assert usd(amount) == text


def test_rows_and_their_total_are_written_alike() -> None:
    """Six 480p jobs and two 720p jobs of 5 s: each row exact, so the rows add up to the total
    as written (with two decimals every 480p row read "$0.34" and six of them "$2.07")."""
    rows = [0.069 * 5] * 6 + [0.138 * 5] * 2
    shown = [usd(r) for r in rows]
    assert shown == ["$0.345"] * 6 + ["$0.69"] * 2
    written_sum = sum(float(s.lstrip("$")) * 1000 for s in shown) / 1000
    assert usd(sum(rows)) == usd(written_sum) == "$3.45"
    assert usd(sum(rows[:6])) == "$2.07" and usd(sum(rows[:2])) == "$0.69"


def job(state: JobState, **kw: object) -> Job:
    return Job(model=MODEL, request=dict(REQUEST), state=state, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("the_job", "short"), [
    (job(JobState.QUEUED), "est. $0.345"),                                # may still be billed: a labelled estimate
    (job(JobState.PROCESSING, task_id="t"), "est. $0.345"),
    (job(JobState.DONE, task_id="t", cost=0.35), "$0.35"),               # what Modellix billed
    (job(JobState.DONE, task_id="t"), "est. $0.345"),                     # not reported: still labelled
    (job(JobState.FAILED, task_id="t"), "none reported"),                # failed on the server: no estimate
    (job(JobState.FAILED, task_id="t", cost=0.35), "$0.35"),             # billed, download failed
    (job(JobState.FAILED), "not billed"),                                # failed before it was sent
    (job(JobState.CANCELLED), "not billed"),
    (job(JobState.OUTCOME_UNKNOWN), "unknown"),
])
def test_short_text_per_state(the_job: Job, short: str) -> None:
    assert job_cost(the_job).short == short
    assert not job_cost(the_job).short.startswith("~")  # nothing reads like a charge unless billed


def test_demo_mode_bills_nothing_in_every_state() -> None:
    for state in JobState:
        text = job_cost(job(state, cost=0.35), demo=True)
        assert text.short == DEMO_COST and text.amount is None and "demo" in text.long


def test_estimates_follow_the_users_price_table_and_say_so() -> None:
    text = job_cost(job(JobState.QUEUED), prices={job(JobState.QUEUED).model: {"480p": 0.1}})
    assert text.short == "est. $0.50" and "Estimated" in text.long and not text.billed
    assert "about $0.345 if it ran" in job_cost(job(JobState.OUTCOME_UNKNOWN)).long
    # A sent job keeps the estimate made when it was sent, whatever the prices are now.
    sent = job(JobState.PROCESSING)
    sent.estimate = 0.2
    assert job_cost(sent, prices={sent.model: {"480p": 0.1}}).short == "est. $0.20"


def test_the_cli_prints_the_same_demo_words() -> None:
    from seedance_desktop.cli.output import cost_note
    from seedance_desktop.core.settings import Settings

    note = cost_note(Settings(), MODEL, dict(REQUEST), demo=True)
    assert note == estimate_note(0.345, "480p", 5, demo=True) and DEMO_COST in note


def test_the_cli_list_and_show_use_the_queue_words() -> None:
    from seedance_desktop.cli.output import job_details, jobs_table

    failed = job(JobState.FAILED, task_id="t")
    assert "none reported" in jobs_table([failed]) and "~$" not in jobs_table([failed])
    assert "nothing (demo)" in jobs_table([job(JobState.DONE, task_id="t", cost=0.35)], demo=True)
    assert "Cost       Nothing was billed" in job_details(job(JobState.CANCELLED))
