"""The ``Engine`` facade: one small object both faces drive, composed of parts that each own
one concern and receive their dependencies explicitly.

* :class:`~core.engine.journal.Journal`: every job write (commit before act) and announcement;
* :class:`~core.engine.pause.PauseGate`: every reason to stop sending, one current reason;
* :class:`~core.engine.scheduler.SlotScheduler`: queue loop, in-flight cap, wake-ups, timers;
* :class:`~core.engine.runner.JobRunner`: prepare -> upload -> submit -> poll -> download;
* :class:`~core.engine.actions.QueueActions`: the user actions, checked against
  :func:`~core.engine.allowed.allowed_actions`.

The engine runs on any asyncio loop (a plain one for the CLI, qasync's for the GUI), never
imports Qt, and calls listeners on the loop thread. :meth:`Engine.start` resumes every
unfinished job: SUBMITTED/PROCESSING are polled, DOWNLOADING resumes its ``.part``,
PREPARING/UPLOADING go back to the queue (uploaded URLs kept), and SUBMITTING becomes
OUTCOME_UNKNOWN: the POST may have been sent, so it is never re-sent.

Jobs queued by a command-line process carry its tag (``queued_by``, given to the engine that
process runs). :meth:`Engine.start` *holds* every unsent job whose queuing process is gone
(``core.engine.owner``): it stays QUEUED with ``held`` set and a reason in its history, the
scheduler skips it, and only :meth:`Engine.send` (the person's decision) releases it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import download_file
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.engine.actions import QueueActions
from seedance_desktop.core.engine.allowed import Action, EngineError, allowed_actions, check_allowed
from seedance_desktop.core.engine.journal import PROGRESS_INTERVAL, ErrorReporter, Journal
from seedance_desktop.core.engine.owner import HELD_REASON, process_alive
from seedance_desktop.core.engine.pause import PauseGate, PauseKind
from seedance_desktop.core.engine.protocols import (
    Downloader,
    SendGuard,
    ErrorHandler,
    InputPreparer,
    JobListener,
    JobStoreProtocol,
    ModellixClientProtocol,
    PauseListener,
)
from seedance_desktop.core.engine.runner import JobRunner
from seedance_desktop.core.engine.scheduler import SlotScheduler
from seedance_desktop.core.engine.workers import WorkerThreads
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE
from seedance_desktop.core.policy import pause_reason
from seedance_desktop.core.spend_guard import is_budget_hold
from seedance_desktop.core.upload_cache import UploadCache, UploadRecords

log = logging.getLogger(__name__)

STOP_GRACE = 10.0  # seconds stop() waits for POSTs on the wire before cancelling them


class Engine:
    """See the module docstring. All methods must be called on the loop thread.

    ``budget`` is the shared request budget (created where the runtime is composed; a private
    one by default). ``preparer`` conforms local inputs before upload (None: no preparing
    step). ``time_scale`` > 1 compresses the poll schedule for a simulator that runs faster than
    real time (demo mode, tests). ``on_error(exception, what)`` receives every exception no
    caller could see (default: logged). ``queued_by`` tags the jobs this engine queues with
    the process that queued them (the CLI's; None for the window, whose queue persists).
    """

    def __init__(
        self,
        store: JobStoreProtocol,
        client: ModellixClientProtocol | None,
        *,
        output_dir: str | Path,
        naming_template: str = DEFAULT_TEMPLATE,
        max_in_flight: int = 2,
        downloader: Downloader = download_file,
        preparer: InputPreparer | None = None,
        budget: RequestBudget | None = None,
        wall_clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        rng: random.Random | None = None,
        on_error: ErrorHandler | None = None,
        queued_by: str | None = None,
    ) -> None:
        rng = rng or random.Random()
        self._queued_by = queued_by
        self._wall_clock = wall_clock
        self._guard: SendGuard | None = None
        self.store = store
        self.time_scale = float(time_scale)
        self.budget = budget or RequestBudget(time_scale=self.time_scale)
        self._report = ErrorReporter(on_error)
        self._journal = Journal(store, self._report)
        self._gate = PauseGate()
        self._scheduler = SlotScheduler(
            self._journal, self._gate, self._report, max_in_flight=max_in_flight,
            needs_preparing=lambda job: self._runner.needs_preparing(job),
            may_run=lambda: self._runner.client is not None,
            rng=rng, time_scale=self.time_scale, admit=self._admit,
        )
        self._workers = WorkerThreads()
        self._runner = JobRunner(
            self._journal, self._scheduler, self._gate, self.budget, client,
            downloader=downloader, preparer=preparer, output_dir=Path(output_dir),
            naming_template=naming_template, rng=rng, time_scale=self.time_scale, wall_clock=wall_clock,
            workers=self._workers,
            uploads=UploadCache(store if isinstance(store, UploadRecords) else None, clock=wall_clock),
        )
        self._actions = QueueActions(self._journal, self._scheduler, self._runner, rng)
        self._gate.add_listener(lambda _paused, _reason: self._scheduler.poke())

    # ================================================================== lifecycle

    async def start(self) -> None:
        """Resume every unfinished job from the store, then start the queue."""
        if self._scheduler.running:
            return
        self.hold_orphans()
        self._scheduler.start(self._runner.run, self._runner.resume)
        for job in self.store.unfinished():
            self._runner.resume(job)

    def hold_orphans(self) -> list[Job]:
        """Hold every unsent job whose queuing process is gone (it stopped before sending);
        return the jobs held now. :meth:`start` does this first; calling it again is harmless."""
        held: list[Job] = []
        for job in self.store.unfinished():
            if not job.state.is_local or job.held or not job.queued_by or job.queued_by == self._queued_by:
                continue
            if process_alive(job.queued_by):
                continue
            held.append(self._journal.commit(job.id, JobState.QUEUED, HELD_REASON, held=HELD_REASON))
        return held

    async def stop(self) -> None:
        """Stop everything, leaving every job resumable. A POST already on the wire gets a
        short grace period to learn its task id (else its job becomes OUTCOME_UNKNOWN)."""
        if not self._scheduler.running:
            return
        self._scheduler.halt()
        try:
            await asyncio.wait_for(self._runner.submits_settled(), STOP_GRACE)
        except asyncio.TimeoutError:
            pass
        await self._scheduler.stop()
        # Worker threads were told to stop (their cancel events are set); let them return
        # while this loop still runs, so none posts into a closed loop.
        if not await self._workers.drain(STOP_GRACE):
            log.warning("a worker thread was still running when the engine stopped")
        self._journal.cancel_waiters()

    @property
    def running(self) -> bool:
        return self._scheduler.running

    # ================================================================== listeners

    def add_listener(self, callback: JobListener) -> None:
        self._journal.add_listener(callback)

    def remove_listener(self, callback: JobListener) -> None:
        self._journal.remove_listener(callback)

    def add_pause_listener(self, callback: PauseListener) -> None:
        """``callback(paused, reason)`` whenever the engine pauses or resumes (also by itself
        on a 401, a 402 or two unknown submit outcomes in a row)."""
        self._gate.add_listener(callback)

    def remove_pause_listener(self, callback: PauseListener) -> None:
        self._gate.remove_listener(callback)

    def set_error_handler(self, handler: ErrorHandler | None) -> None:
        self._report.handler = handler

    async def wait_for(self, job_id: str) -> Job:
        """Wait until the job is final (DONE, FAILED, OUTCOME_UNKNOWN, EXPIRED, CANCELLED)."""
        return await self._journal.wait_for(job_id)

    # ================================================================== pause / settings

    @property
    def paused(self) -> bool:
        return self._gate.paused

    @property
    def pause_reason(self) -> str | None:
        return self._gate.reason

    @property
    def pause_kind(self) -> PauseKind | None:
        """Why the engine is paused (None: running): the one source every face shows."""
        return self._gate.kind

    def note_rejected_key(self, error: BaseException) -> None:
        """The key was rejected outside a job (e.g. the balance check at start-up): pause as a
        401 during a job would, so queued jobs wait with a reason instead of being sent."""
        self._gate.block_everything(pause_reason(error))

    @property
    def submitting_allowed(self) -> bool:
        return self._gate.may_start

    def pause(self, reason: str | None = None) -> None:
        """Start no new jobs (running ones continue: their results are paid for)."""
        self._gate.pause(reason)

    def resume(self) -> None:
        """Start jobs again (also after a 401, a 402 or an unknown-outcome pause)."""
        self._scheduler.clear_holds()
        self._gate.resume()

    @property
    def client(self) -> ModellixClientProtocol | None:
        return self._runner.client

    def set_client(self, client: ModellixClientProtocol | None) -> None:
        """Use a new client (e.g. after a new key); lifts a 401 pause."""
        self._runner.client = client
        self._gate.new_key()
        self._scheduler.poke()

    @property
    def max_in_flight(self) -> int:
        return self._scheduler.max_in_flight

    def set_max_in_flight(self, n: int) -> None:
        self._scheduler.set_max_in_flight(n)

    def set_output(self, output_dir: str | Path, naming_template: str | None = None) -> None:
        """Where (and under which names) jobs that have not chosen a file yet will be saved."""
        self._runner.output_dir = Path(output_dir)
        if naming_template:
            self._runner.naming_template = naming_template

    def set_spend_guard(self, guard: SendGuard | None) -> None:
        """Check every job against the budget caps before it is sent (None: no checks)."""
        self._guard = guard
        self._scheduler.poke()

    def _admit(self, job: Job) -> bool:
        """The scheduler's last question before starting ``job``: record its estimate and
        let it go, or hold it (with the figures) when sending it would cross a budget cap."""
        if self._guard is None:
            return True
        verdict = self._guard.admit(job)
        if verdict.hold:
            self._journal.commit(job.id, JobState.QUEUED, verdict.hold, held=verdict.hold)
            return False
        self._journal.update(job.id, estimate=verdict.estimate, estimated_at=self._wall_clock())
        return True

    # ================================================================== user actions

    def allowed_actions(self, job_id: str) -> frozenset[Action]:
        return allowed_actions(self.store.get(job_id))

    def _stamp(self, job: Job) -> Job:
        """Tag a job this engine just queued with the process that queued it (if any)."""
        if self._queued_by and job.state is JobState.QUEUED and job.queued_by != self._queued_by:
            return self._journal.update(job.id, queued_by=self._queued_by)
        return job

    def enqueue(self, model: str, request: dict[str, Any], inputs: list[InputFile], *,
                group_id: str | None = None) -> Job:
        return self._stamp(self._actions.enqueue(model, request, inputs, group_id=group_id))

    def is_started(self, job_id: str) -> bool:
        """Whether the job's runner has started (it may be preparing, uploading or sending)."""
        return self._scheduler.is_running(job_id)

    def send(self, job_id: str) -> Job:
        """Send a held job (queued by a command that stopped before sending it): release the
        hold; the job now belongs to this engine's process."""
        job = self.store.get(job_id)
        check_allowed(job, Action.SEND)
        if is_budget_hold(job):  # "Send anyway": the person has seen the figures
            return self._journal.commit(job_id, JobState.QUEUED, "Sent anyway, over the budget cap, on request.",
                                        held=None, budget_override=True, queued_by=self._queued_by)
        return self._journal.commit(job_id, JobState.QUEUED, "Sent on request (the hold was released).",
                                    held=None, queued_by=self._queued_by)

    def hold(self, job_id: str, reason: str) -> Job:
        """Hold a queued job (e.g. its batch was paused): it is not sent until :meth:`send`."""
        job = self.store.get(job_id)
        check_allowed(job, Action.EDIT)  # queued and not started
        if self._scheduler.is_running(job_id):
            raise EngineError(f"job {job_id} has started", user_message="This job has just started; it cannot be held now.")
        return self._journal.commit(job_id, JobState.QUEUED, reason, held=reason)

    def cancel(self, job_id: str) -> Job:
        return self._actions.cancel(job_id)

    def remove(self, job_id: str) -> Job:
        return self._actions.remove(job_id)

    def restore(self, job: Job) -> Job:
        return self._actions.restore(job)

    def move(self, job_id: str, position: float) -> Job:
        return self._actions.move(job_id, position)

    def edit(self, job_id: str, request: dict[str, Any], inputs: list[InputFile]) -> Job:
        return self._actions.edit(job_id, request, inputs)

    def retry(self, job_id: str) -> Job:
        job = self._actions.retry(job_id)
        return job if job.id == job_id else self._stamp(job)

    def submit_again(self, job_id: str) -> Job:
        return self._stamp(self._actions.submit_again(job_id))

    def rerun_with_new_seed(self, job_id: str) -> Job:
        return self._stamp(self._actions.rerun_with_new_seed(job_id))

    def recipe(self, job_id: str) -> tuple[str, dict[str, Any], list[InputFile]]:
        return self._actions.recipe(job_id)

    def redownload(self, job_id: str, *, force: bool = False) -> Job:
        return self._actions.redownload(job_id, force=force)


__all__ = ["Engine", "EngineError", "PROGRESS_INTERVAL", "STOP_GRACE"]
