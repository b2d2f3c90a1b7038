"""Finding jobs by id prefix and waiting for them, for the command line.

Waiting is more than ``Engine.wait_for``: a CLI must not hang forever when the engine can make
no progress for this job (submitting paused by a 402 balance or 401 key problem, or the demo
simulator gone), so the wait also watches for those and turns them into a clear error.
"""

from __future__ import annotations

import asyncio

from seedance_desktop.cli.errors import CliError
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_NETWORK, PROG
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.spend_guard import is_budget_hold
from seedance_desktop.core.store import JobStore
from seedance_desktop.runtime.compose import Runtime

#: States in which Modellix holds (or may hold) the task: a plain ``submit`` may return.
SENT_STATES = frozenset({JobState.SUBMITTED, JobState.PROCESSING, JobState.DOWNLOADING})
#: How often the waiting loop re-checks the store, the engine's paused flag and the simulator.
WATCH_INTERVAL = 0.5


class SubmitBlocked(CliError):
    """The engine paused submitting (402 balance, 401 key, or a manual pause) while this job
    was still unsent: nothing was charged, and waiting would never end."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(
            f"submitting stopped: {reason}. Job {job_id[:12]} was not sent (nothing was charged) and "
            f"stays queued. Fix the cause (top up the balance, or set a valid key), then send it "
            f"with '{PROG} wait {job_id[:12]}'.",
            EXIT_CONFIG,
        )
        self.job_id = job_id
        self.reason = reason


class BudgetHeld(CliError):
    """The budget guard held this command's job: sending it would cross a cap."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"{reason.rstrip('.')}. Job {job_id[:12]} was not sent (nothing was charged). Run the "
                         f"command again with --ignore-budget to send it anyway.", EXIT_CONFIG)
        self.job_id = job_id


def resolve_job_id(store: JobStore, prefix: str) -> str:
    """A full job id from an id or a unique prefix; CliError (exit 2) otherwise."""
    prefix = prefix.strip().lower()
    if not prefix:
        raise CliError("give a job id (see 'list')", EXIT_BAD_INPUT)
    matches = [job_id for job_id in store.ids() if job_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    where = "demo jobs" if "demo" in str(store.path.parent) else "jobs"
    if not matches:
        raise CliError(f"no job {prefix!r} among the {where} (see '{PROG} list'; demo jobs need --demo)", EXIT_BAD_INPUT)
    raise CliError(f"{prefix!r} matches {len(matches)} jobs; give more of the id", EXIT_BAD_INPUT)


# ------------------------------------------------------------------------------- waiting


async def await_job(runtime: Runtime, job_id: str, *, until_sent: bool) -> Job:
    """Wait until the job is final (or, with ``until_sent``, accepted by Modellix).

    Raises CliError(EXIT_CONFIG) when the engine pauses submitting (402 balance, 401 key)
    while this job is still unsent: waiting would otherwise never end.
    """
    engine = runtime.engine
    store: JobStore = runtime.store
    waiter: asyncio.Future[Job] = asyncio.ensure_future(engine.wait_for(job_id))
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=WATCH_INTERVAL)
            if done:
                waiter.result()
                return store.get(job_id)
            job: Job = store.get(job_id)
            if until_sent and (job.state in SENT_STATES or job.state.is_final):
                return job
            simulator = runtime.simulator
            if simulator is not None and not simulator.running:
                raise CliError("the demo simulator stopped unexpectedly; run the command again "
                               "(the job is kept and can be retried)", EXIT_NETWORK)
            if job.state is JobState.QUEUED and is_budget_hold(job):
                raise BudgetHeld(job.id, str(job.held))
            if engine.paused and job.state.is_local:
                reason = (engine.pause_reason or "the queue was paused").rstrip(".")
                raise SubmitBlocked(job.id, reason)
    finally:
        if not waiter.done():
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)



__all__ = ["BudgetHeld", "SENT_STATES", "WATCH_INTERVAL", "SubmitBlocked", "await_job", "resolve_job_id"]
