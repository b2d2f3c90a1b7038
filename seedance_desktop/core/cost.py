"""What a job costs, in words both faces print: billed amounts, labelled estimates, demo mode.

Why one module: the queue's Cost column used to show "~$0.69" on failed and cancelled jobs
(which reads like a charge) and "$0.69" in demo mode, where nothing is billed, while the
command line rightly said "nothing (demo)". The rules live here once:

* a billed amount (``Job.cost``, Modellix's ``billing.amount``) is shown as it is;
* an estimate is only shown for a job that may still be billed, and always says "est.";
* a job that was never sent (cancelled, failed before submitting) cost nothing;
* a job that failed on the server shows no estimate: only what Modellix reported, if anything;
* in demo mode nothing is billed, whatever the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.pricing import PriceOverrides, estimate_request, request_shape

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
        return f"Cost: {DEMO_COST}. A real job like this would cost about ${estimate:.2f} (estimate)."
    return (f"Estimated cost: about ${estimate:.2f} ({resolution}, {duration} s; "
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
        return CostText(f"${job.cost:.2f}", f"${job.cost:.2f}, as billed by Modellix.", job.cost, billed=True)
    if _never_sent(job):
        return CostText("not billed", "Nothing was billed: this job was never sent to Modellix.", None)
    if job.state is JobState.FAILED:
        return CostText("none reported", "Modellix reported no charge for this failed task; your Modellix "
                        "dashboard shows every charge.", None)
    if job.state is JobState.OUTCOME_UNKNOWN:
        estimate, _res, _dur = estimate_for(job.model, job.request, prices)
        about = f" (about ${estimate:.2f} if it ran)" if estimate is not None else ""
        return CostText("unknown", f"Unknown: the submission may have reached Modellix{about}. Check your Modellix "
                        "dashboard.", None)
    estimate, resolution, duration = estimate_for(job.model, job.request, prices)
    if job.estimate is not None:
        estimate = job.estimate
    if estimate is None:
        return CostText("–", "No price is known for this resolution; Modellix reports the charge when the job is done.",
                        None)
    if job.state.is_final:  # done or expired, but Modellix did not say what it billed
        return CostText(f"est. ${estimate:.2f}", f"Not reported by Modellix; estimated about ${estimate:.2f} "
                        f"({resolution}, {duration} s).", estimate)
    return CostText(f"est. ${estimate:.2f}", f"Estimated about ${estimate:.2f} ({resolution}, {duration} s); the "
                    "actual charge is shown when the job is done.", estimate)


__all__ = ["CostText", "DEMO_COST", "estimate_for", "estimate_note", "job_cost"]
