"""What a job costs, in words both faces print: billed amounts, labelled estimates, demo mode.

Why one module: the queue's Cost column used to show "~$0.69" on failed and cancelled jobs
(which reads like a charge) and "$0.69" in demo mode, where nothing is billed, while the
command line rightly said "nothing (demo)". The rules live here once:

* a billed amount (``Job.cost``, Modellix's ``billing.amount``) is shown as it is;
* an estimate is only shown for a job that may still be billed, and always says "est.";
* a job that was never sent (cancelled, failed before submitting) cost nothing;
* a job that failed on the server shows no estimate: only what Modellix reported, if anything;
* in demo mode nothing is billed, whatever the state.

Every amount of money either face prints goes through :func:`usd`, so a row and the total it
adds up to are written the same way (see there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.pricing import PriceOverrides, estimate_request, request_shape

def usd(amount: float) -> str:
    """An amount in US dollars as both faces write it: cents always, a third decimal only when
    the amount has one ("$0.345", "$1.20", "$12.00", "$1,234.50", "-$0.05").

    Why not ``f"${x:.2f}"``: Modellix prices run to a tenth of a cent (480p at $0.069 a
    second makes 5 s cost $0.345), so two decimals showed "$0.34" on every row while the exact
    total of two rows read "$0.69": the rows did not add up. Amounts are rounded to the tenth
    of a cent (what the prices can express) to drop binary noise such as 0.1 + 0.2.
    """
    mills = round(amount * 1000)
    sign = "-" if mills < 0 else ""
    dollars, rest = divmod(abs(mills), 1000)
    cents = f"{rest:03d}"
    return f"{sign}${dollars:,}.{cents if cents[2] != '0' else cents[:2]}"


#: The short word for demo mode, in the Cost column and the command line alike.
DEMO_COST = "nothing (demo)"


@dataclass(frozen=True)
class CostText:
    short: str                 # a table cell: "$0.69", "est. $0.69", "not billed", "nothing (demo)"
    long: str                  # a sentence for the details pane and ``show``
    amount: float | None       # billed or estimated amount, for sorting (None: nothing to show)
    billed: bool = False       # True when ``amount`` is what Modellix reported


def estimate_for(model: str, request: Mapping[str, object],
                 overrides: PriceOverrides | None = None) -> tuple[float | None, str, int | None]:
    """(estimate, resolution, duration) for a recipe, priced by ``core.pricing`` (the model's
    table with the person's overrides); the server's defaults fill the gaps."""
    resolution, duration = request_shape(model, request)
    return estimate_request(model, request, overrides), resolution, duration


def estimate_note(estimate: float | None, resolution: str, duration: int | None, *, demo: bool) -> str:
    """One line with the *estimated* charge of a job about to be submitted."""
    if estimate is None:
        return f"Cost: no price known for {resolution or 'this resolution'}; Modellix reports the charge when the job is done."
    if demo:
        return f"Cost: {DEMO_COST}. A real job like this would cost about {usd(estimate)} (estimate)."
    return (f"Estimated cost: about {usd(estimate)} ({resolution}, {duration} s; "
            "the actual charge is shown when done).")


#: States in which nothing was (or will be) sent for the job as it stands.
_NEVER_SENT = frozenset({JobState.CANCELLED})


def _never_sent(job: Job) -> bool:
    return job.state in _NEVER_SENT or (job.state is JobState.FAILED and not job.task_id)


def job_cost(job: Job, *, demo: bool = False, prices: PriceOverrides | None = None) -> CostText:
    """How the job's cost reads in the queue, the details pane and the command line. An
    estimate is the one recorded when the job was sent (``Job.estimate``) when there is one, so
    a later price change does not rewrite what a sent job was expected to cost."""
    if demo:
        return CostText(DEMO_COST, "Nothing is billed in demo mode: the results are simulated.", None)
    if job.cost is not None:
        return CostText(f"{usd(job.cost)}", f"{usd(job.cost)}, as billed by Modellix.", job.cost, billed=True)
    if _never_sent(job):
        return CostText("not billed", "Nothing was billed: this job was never sent to Modellix.", None)
    if job.state is JobState.FAILED:
        return CostText("none reported", "Modellix reported no charge for this failed task; your Modellix "
                        "dashboard shows every charge.", None)
    if job.state is JobState.OUTCOME_UNKNOWN:
        estimate, _res, _dur = estimate_for(job.model, job.request, prices)
        about = f" (about {usd(estimate)} if it ran)" if estimate is not None else ""
        return CostText("unknown", f"Unknown: the submission may have reached Modellix{about}. Check your Modellix "
                        "dashboard.", None)
    estimate, resolution, duration = estimate_for(job.model, job.request, prices)
    if job.estimate is not None:
        estimate = job.estimate
    if estimate is None:
        return CostText("–", "No price is known for this resolution; Modellix reports the charge when the job is done.",
                        None)
    if job.state.is_final:  # done or expired, but Modellix did not say what it billed
        return CostText(f"est. {usd(estimate)}", f"Not reported by Modellix; estimated about {usd(estimate)} "
                        f"({resolution}, {duration} s).", estimate)
    return CostText(f"est. {usd(estimate)}", f"Estimated about {usd(estimate)} ({resolution}, {duration} s); the "
                    "actual charge is shown when the job is done.", estimate)


__all__ = ["CostText", "DEMO_COST", "estimate_for", "estimate_note", "job_cost", "usd"]
