"""The slot scheduler: which job runs when, within the cap on tasks in flight.

It owns every asyncio task of the engine (kept in ``_tasks``, cancelled by :meth:`stop`), the
runner task of each job, the in-flight slots, the per-job "not before" times of back-offs and
the timers that retry a crashed runner. It knows nothing about HTTP: :meth:`start` is given the
coroutine that runs one job (``JobRunner.run``).

* QUEUED jobs start in ``position`` order while fewer than ``max_in_flight`` jobs hold a slot
  (UPLOADING/SUBMITTING/SUBMITTED/PROCESSING). Jobs that must be prepared first (a preparer is
  configured and inputs are still local) start in the *preparing lane* instead: preparing holds
  no server slot, but only one job prepares at a time (conforming video is CPU-bound, on 2
  cores). A prepared job then waits for a slot, granted here in queue order.
* The pause gate (``core.engine.pause``) decides whether new jobs may start at all.
* A *held* job (``Job.held``: queued by a command that stopped before sending it, or held by
  the budget guard) is never started here; only the person's "send" releases it. Every job
  is admitted (``admit``, the engine's budget guard) just before it starts.
* Every wait is on the monotonic clock: stepping the wall clock back must not stall the queue.
* The loop sleeps on an ``asyncio.Event`` until something changes (a commit, a new job, a
  freed slot, a back-off ending): no polling.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from seedance_desktop.core import policy
from seedance_desktop.core.engine.journal import ErrorReporter, Journal
from seedance_desktop.core.engine.pause import PauseGate
from seedance_desktop.core.job import Job, JobState

log = logging.getLogger(__name__)

#: Jobs in these states hold one of the ``max_in_flight`` slots.
SLOT_STATES = frozenset({JobState.UPLOADING, JobState.SUBMITTING, JobState.SUBMITTED, JobState.PROCESSING})

RunJob = Callable[[str], Coroutine[Any, Any, None]]
Resume = Callable[[Job], None]


class SlotScheduler:
    """See the module docstring. All methods on the loop thread."""

    def __init__(
        self,
        journal: Journal,
        gate: PauseGate,
        report: ErrorReporter,
        *,
        max_in_flight: int,
        needs_preparing: Callable[[Job], bool],
        may_run: Callable[[], bool],
        rng: random.Random,
        time_scale: float,
        clock: Callable[[], float] = time.monotonic,
        admit: Callable[[Job], bool] = lambda _job: True,
    ) -> None:
        self._journal = journal
        self._gate = gate
        self._report = report
        self.max_in_flight = max(1, int(max_in_flight))
        self._needs_preparing = needs_preparing
        self._may_run = may_run
        #: The last word before a queued job starts (the budget guard): False holds it.
        self._admit = admit
        self._rng = rng
        self._time_scale = time_scale
        self._clock = clock
        self._run_job: RunJob | None = None
        self._resume: Resume | None = None
        self._running = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runners: dict[str, asyncio.Task[Any]] = {}
        self._slots: set[str] = set()
        self._lane: str | None = None                      # the job preparing, if any
        self._slot_waiters: dict[str, asyncio.Future[None]] = {}
        self._cancel_events: dict[str, threading.Event] = {}
        self._not_before: dict[str, float] = {}            # monotonic
        self._submit_not_before = 0.0                      # monotonic
        self._timers: list[asyncio.TimerHandle] = []
        self._wake = asyncio.Event()
        journal.add_commit_hook(self._on_commit)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def start(self, run_job: RunJob, resume: Resume) -> None:
        """Start the queue loop. ``run_job(job_id)`` runs one job; ``resume(job)`` picks up a
        job whose runner died of an unexpected error (after a back-off)."""
        if self._running:
            return
        self._run_job, self._resume = run_job, resume
        self._running = True
        self.spawn(self._loop(), "running the job queue")

    def halt(self) -> None:
        """Start nothing new (the first step of stopping)."""
        self._running = False
        self.poke()

    async def stop(self) -> None:
        """Cancel every task; worker threads stop at their next chunk (cancel events)."""
        self._running = False
        for event in self._cancel_events.values():
            event.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._runners.clear()
        self._slots.clear()
        self._lane = None
        self._slot_waiters.clear()
        self._cancel_events.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # -- tasks -----------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run ``coro`` as an owned task; its failure goes to the error reporter."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled():
                error = t.exception()
                if error is not None:
                    self._report(error, what)

        task.add_done_callback(done)
        return task

    def start_runner(self, job_id: str, *, slot: bool) -> None:
        """Run a job now (``slot``: it takes an in-flight slot; a DOWNLOADING job does not)."""
        if job_id in self._runners or not self._running or self._run_job is None:
            return
        if slot:
            self._slots.add(job_id)
        self._runners[job_id] = self.spawn(self._drive(job_id), f"running job {job_id[:8]}")

    def is_running(self, job_id: str) -> bool:
        return job_id in self._runners

    def cancel_event(self, job_id: str) -> threading.Event:
        """The event a job's worker threads (prepare, upload, download) watch."""
        return self._cancel_events.setdefault(job_id, threading.Event())

    def cancel_runner(self, job_id: str) -> None:
        """Stop a job's runner and its worker threads (the caller commits the new state)."""
        event = self._cancel_events.get(job_id)
        if event is not None:
            event.set()
        runner = self._runners.pop(job_id, None)
        if runner is not None:
            runner.cancel()
        self._release(job_id)

    async def _drive(self, job_id: str) -> None:
        me = asyncio.current_task()
        assert self._run_job is not None
        try:
            await self._run_job(job_id)
        except Exception as error:  # noqa: BLE001 - e.g. the store failed: report, try again later
            self._report(error, f"running job {job_id[:8]}")
            self._retry_later(job_id, failures=4)
        finally:
            if self._runners.get(job_id) is me:  # a cancelled runner must not forget its successor
                del self._runners[job_id]
                self._cancel_events.pop(job_id, None)
                self._release(job_id)
            self.poke()

    def _retry_later(self, job_id: str, *, failures: int) -> None:
        delay = policy.backoff_delay(failures, self._rng) / self._time_scale
        self._timers.append(asyncio.get_running_loop().call_later(delay, self._recover, job_id))

    def _recover(self, job_id: str) -> None:
        if not self._running or job_id in self._runners or self._resume is None:
            return
        try:
            job = self._journal.store.find(job_id)
            if job is not None:
                self._resume(job)
        except Exception as error:  # noqa: BLE001
            self._report(error, f"recovering job {job_id[:8]}")
            self._retry_later(job_id, failures=6)

    # -- slots -----------------------------------------------------------------------------

    def _release(self, job_id: str) -> None:
        current = self._journal.store.find(job_id)
        if current is None or current.state not in SLOT_STATES:
            self._slots.discard(job_id)
        if self._lane == job_id:
            self._lane = None
        waiter = self._slot_waiters.pop(job_id, None)
        if waiter is not None and not waiter.done():
            waiter.cancel()

    def leave_lane(self, job_id: str) -> None:
        """The job finished preparing: the next one may prepare."""
        if self._lane == job_id:
            self._lane = None
            self.poke()

    def take_slot_now(self, job_id: str) -> bool:
        """Take a free slot at once if the queue may start jobs (a prepared job)."""
        if job_id in self._slots:
            return True
        if self._gate.may_start and self._may_run() and len(self._slots) < self.max_in_flight \
                and self._clock() >= self._submit_not_before:
            self._slots.add(job_id)
            return True
        return False

    async def wait_for_slot(self, job_id: str) -> None:
        """Wait until the queue grants this (already running, prepared) job a slot."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._slot_waiters[job_id] = future
        self.poke()
        await future

    def set_max_in_flight(self, n: int) -> None:
        self.max_in_flight = max(1, int(n))
        self.poke()

    # -- back-off --------------------------------------------------------------------------

    def hold_job(self, job_id: str, until: float) -> None:
        """Do not start this queued job before ``until`` (monotonic)."""
        self._not_before[job_id] = until
        self.poke()

    def hold_submits(self, until: float) -> None:
        """Start no job before ``until`` (monotonic): a refused submit backs off the queue."""
        self._submit_not_before = max(self._submit_not_before, until)
        self.poke()

    def clear_holds(self) -> None:
        self._submit_not_before = 0.0
        self.poke()

    @property
    def submit_not_before(self) -> float:
        return self._submit_not_before

    # -- the queue loop --------------------------------------------------------------------

    def poke(self) -> None:
        self._wake.set()

    def _on_commit(self, job: Job) -> None:
        if job.state not in SLOT_STATES and job.id not in self._slot_waiters:
            self._slots.discard(job.id)
        if job.state is not JobState.QUEUED:
            self._not_before.pop(job.id, None)
        self.poke()

    async def _loop(self) -> None:
        while self._running:
            self._wake.clear()
            wait = self._fill()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def _fill(self) -> float | None:
        """Start (or grant a slot to) what may go now; return seconds until a held-back job may."""
        if not self._gate.may_start or not self._may_run():
            return None  # (no client: no key yet; a new client wakes the queue)
        now = self._clock()
        if now < self._submit_not_before:
            return self._submit_not_before - now
        wake_in: float | None = None
        for job in self._journal.store.list(states=[JobState.QUEUED]):
            free = self.max_in_flight - len(self._slots)
            waiter = self._slot_waiters.get(job.id)
            if waiter is not None:
                if free > 0 and not waiter.done():
                    self._slots.add(job.id)
                    del self._slot_waiters[job.id]
                    waiter.set_result(None)
                continue
            if job.id in self._runners or job.held:
                continue
            not_before = self._not_before.get(job.id, 0.0)
            if not_before > now:
                wake_in = not_before - now if wake_in is None else min(wake_in, not_before - now)
                continue
            if self._needs_preparing(job):
                if self._lane is None and self._admit(job):
                    self._lane = job.id
                    self.start_runner(job.id, slot=False)
                continue
            if free > 0 and self._admit(job):
                self.start_runner(job.id, slot=True)
        return wake_in


__all__ = ["SLOT_STATES", "SlotScheduler"]
