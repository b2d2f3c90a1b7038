"""The durable job engine: a queue with a cap on tasks in flight, resumable across crashes.

``Engine`` runs on any asyncio loop (a plain one for the CLI, qasync's for the GUI) and never
imports Qt. It owns every task it creates (kept in ``_tasks``, cancelled by :meth:`stop`), and
routes every exception to one handler (``on_error``), so nothing is lost silently.

* **Queue.** QUEUED jobs start in ``position`` order while fewer than ``max_in_flight`` jobs
  hold a slot (UPLOADING/SUBMITTING/SUBMITTED/PROCESSING). Pausing stops new starts; a 402
  pauses submitting with its reason; a 401 pauses everything until a new key or ``resume()``.
* **Steps** (``core.transfers``): upload local inputs, commit SUBMITTING, POST once, poll with
  ``core.policy``, download with fresh URLs when links expire, sidecar, DONE.
* **Actions** (``core.actions``): enqueue, cancel, edit, move, retry, submit again...
* **Requests** share one budget (``core.budget``): a 429 slows every job, not only its own.
* **Restart.** :meth:`start` resumes every unfinished job: SUBMITTED/PROCESSING are polled,
  DOWNLOADING resumes its ``.part``, UPLOADING returns to the queue keeping its uploaded URLs,
  and SUBMITTING becomes OUTCOME_UNKNOWN: the POST may have been sent, so it is never re-sent.
* **Listeners** are called on the loop thread for every change and for progress (at most
  10 Hz per job); worker threads hop over with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import download_file
from seedance_desktop.api.errors import SubmitOutcomeUnknownError
from seedance_desktop.core import policy
from seedance_desktop.core.engine.actions import EngineError, QueueActions
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE
from seedance_desktop.core.policy import Pause
from seedance_desktop.core.prepare import InputPreparer
from seedance_desktop.core.engine.steps import SLOT_STATES, JobSteps

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1   # seconds: listeners see progress at most 10 times a second per job
STOP_GRACE = 10.0         # seconds stop() waits for POSTs on the wire before cancelling them

Listener = Callable[[Job], None]
ErrorHandler = Callable[[BaseException, str], None]


class Engine(QueueActions, JobSteps):
    """See the module docstring. All public methods must be called on the loop thread.

    ``downloader`` is ``api.download.download_file`` or a stand-in with its signature (run in
    a worker thread). ``time_scale`` > 1 compresses the poll schedule for a simulator that runs
    faster than real time (demo mode, tests). ``on_error(exception, what)`` receives every
    exception no caller could see (default: logged).
    """

    def __init__(
        self,
        store: Any,
        client: Any,
        *,
        output_dir: str | Path,
        naming_template: str = DEFAULT_TEMPLATE,
        max_in_flight: int = 2,
        downloader: Callable[..., Any] = download_file,
        clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        rng: random.Random | None = None,
        on_error: ErrorHandler | None = None,
        preparer: InputPreparer | None = None,
    ) -> None:
        self.store = store
        #: The PREPARING step (core.prepare); None: local inputs are uploaded as they are.
        self.preparer = preparer
        self.output_dir = Path(output_dir)
        self.naming_template = naming_template
        self.max_in_flight = max(1, int(max_in_flight))
        self.time_scale = float(time_scale)
        self.on_error = on_error
        self._downloader = downloader
        self._clock = clock
        self._rng = rng or random.Random()
        self.budget = RequestBudget(clock=clock, time_scale=self.time_scale)
        self._listeners: list[Listener] = []
        self._pause_listeners: list[Callable[[bool, str | None], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._runners: dict[str, asyncio.Task[Any]] = {}
        self._slots: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[Job]]] = {}
        self._cancel_events: dict[str, threading.Event] = {}
        self._result_urls: dict[str, tuple[str, str | None]] = {}
        self._submitting: set[str] = set()
        self._job_not_before: dict[str, float] = {}
        self._submit_not_before = 0.0
        self._submit_failures = 0
        self._upload_failures: dict[str, int] = {}
        self._last_progress: dict[str, float] = {}
        self._paused = False
        self._pause_reason: str | None = None
        self._auth_blocked = False
        self._wake: asyncio.Event | None = None
        self._unblocked: asyncio.Event | None = None
        self._running = False
        self.client: Any = None
        self.set_client(client)

    # ================================================================== lifecycle

    async def start(self) -> None:
        """Resume every unfinished job from the store, then start the queue."""
        if self._running:
            return
        self._running = True
        self._wake = asyncio.Event()
        self._unblocked = asyncio.Event()
        if not self._auth_blocked:
            self._unblocked.set()
        for job in self.store.unfinished():
            target = policy.resume_state(job.state)
            if target is JobState.OUTCOME_UNKNOWN:
                reason = ("The app stopped while this job was being sent, so it may or may not have reached "
                          "Modellix. It was not re-sent, to avoid paying twice. Check your Modellix dashboard, "
                          "then choose 'Submit again' if it is not there.")
                self._commit(job.id, target, reason, error=reason)
            elif target is JobState.QUEUED:
                self._commit(job.id, target, "Upload interrupted by a restart; it will continue.")
            elif job.state is JobState.PREPARING:  # hook: preparing starts again (reusing conformed files)
                self._commit(job.id, JobState.QUEUED, "Preparing interrupted by a restart; it will start again.")
            elif job.state in (JobState.SUBMITTED, JobState.PROCESSING):
                self._slots.add(job.id)
                self._start_runner(job.id)
            elif job.state is JobState.DOWNLOADING:
                self._start_runner(job.id)
        self._spawn(self._schedule(), "running the job queue")

    async def stop(self) -> None:
        """Stop everything, leaving every job resumable. A POST already on the wire gets a
        short grace period to learn its task id (else its job becomes OUTCOME_UNKNOWN)."""
        if not self._running:
            return
        self._running = False
        deadline = time.monotonic() + STOP_GRACE
        while self._submitting and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for event in self._cancel_events.values():
            event.set()  # worker threads (uploads, downloads) stop at their next chunk
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._runners.clear()
        self._slots.clear()
        self._cancel_events.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.cancel()
        self._waiters.clear()

    # ================================================================== listeners / state

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def add_pause_listener(self, callback: Callable[[bool, str | None], None]) -> None:
        """``callback(paused, reason)`` whenever the engine pauses or resumes (also by itself
        on a 402 or 401)."""
        self._pause_listeners.append(callback)

    def _emit(self, job: Job) -> None:
        for callback in list(self._listeners):
            try:
                callback(job)
            except Exception as error:  # noqa: BLE001 - a listener bug must not stop the engine
                self._report(error, "notifying a listener")
        if job.state.is_final and job.progress is None:
            for future in self._waiters.pop(job.id, []):
                if not future.done():
                    future.set_result(job)

    def _commit(self, job_id: str, state: JobState, reason: str = "", **fields: Any) -> Job:
        job: Job = self.store.transition(job_id, state, reason, **fields)
        if state not in SLOT_STATES:
            self._slots.discard(job_id)
        if state is not JobState.QUEUED:
            self._job_not_before.pop(job_id, None)
        self._last_progress.pop(job_id, None)
        self._emit(job)
        self._poke()
        return job

    def _update(self, job_id: str, **fields: Any) -> Job:
        job: Job = self.store.update(job_id, **fields)
        self._emit(job)
        return job

    def _progress(self, job_id: str, fraction: float | None) -> None:
        """Progress to listeners, at most every PROGRESS_INTERVAL per job (None: clear)."""
        now = time.monotonic()
        if fraction is not None and fraction < 1.0 and now - self._last_progress.get(job_id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job_id] = now
        job = self.store.find(job_id)
        if job is not None:
            self._emit(replace(job, progress=fraction))

    def _report(self, error: BaseException, what: str) -> None:
        if self.on_error is not None:
            try:
                self.on_error(error, what)
                return
            except Exception:  # noqa: BLE001
                log.exception("the engine's error handler failed")
        log.error("error while %s: %s", what, error, exc_info=error)

    # ================================================================== tasks

    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self._report(t.exception(), what)  # type: ignore[arg-type]

        task.add_done_callback(done)
        return task

    def _start_runner(self, job_id: str) -> None:
        if job_id in self._runners or not self._running:
            return
        self._runners[job_id] = self._spawn(self._drive(job_id), f"running job {job_id[:8]}")

    async def _drive(self, job_id: str) -> None:
        try:
            job: Job | None = self.store.get(job_id)
            if job is not None and job.state is JobState.QUEUED:
                job = await self._prepare_inputs(job)
            if job is not None and job.state in (JobState.QUEUED, JobState.PREPARING):
                job = await self._upload_inputs(job)
                if job is not None:
                    job = await self._submit(job)
            if job is not None and job.state in (JobState.SUBMITTED, JobState.PROCESSING):
                job = await self._poll(job)
            if job is not None and job.state is JobState.DOWNLOADING:
                await self._download(job)
        except Exception as error:  # noqa: BLE001 - e.g. the store failed: report, try again later
            self._report(error, f"running job {job_id[:8]}")
            delay = policy.backoff_delay(4, self._rng) / self.time_scale
            self._timers.append(asyncio.get_running_loop().call_later(delay, self._recover, job_id))
        finally:
            self._runners.pop(job_id, None)
            self._cancel_events.pop(job_id, None)
            current = self.store.find(job_id)
            if current is None or current.state not in SLOT_STATES:
                self._slots.discard(job_id)
            self._poke()

    def _recover(self, job_id: str) -> None:
        """Pick a job up again after its runner died of an unexpected error."""
        if not self._running or job_id in self._runners:
            return
        try:
            job = self.store.get(job_id)
            if job.state is JobState.SUBMITTING and job_id not in self._submitting:
                reason = SubmitOutcomeUnknownError.user_message
                self._commit(job_id, JobState.OUTCOME_UNKNOWN, reason, error=reason)
            elif job.state in (JobState.UPLOADING, JobState.PREPARING):
                self._commit(job_id, JobState.QUEUED, "Interrupted by an error; it will start again.")
            elif job.state in (JobState.SUBMITTED, JobState.PROCESSING, JobState.DOWNLOADING):
                if job.state is not JobState.DOWNLOADING:
                    self._slots.add(job_id)
                self._start_runner(job_id)
        except Exception as error:  # noqa: BLE001
            self._report(error, f"recovering job {job_id[:8]}")
            self._timers.append(asyncio.get_running_loop().call_later(
                policy.backoff_delay(6, self._rng) / self.time_scale, self._recover, job_id))

    async def _schedule(self) -> None:
        """Start QUEUED jobs while slots are free; sleep until something changes."""
        assert self._wake is not None
        while self._running:
            self._wake.clear()
            wait = self._fill_slots()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def _fill_slots(self) -> float | None:
        """Start what may start now; return seconds until a held-back job may start."""
        if self._paused or self._auth_blocked or self.client is None:
            return None  # (no client: no key yet; set_client() wakes the queue)
        now = self._clock()
        if now < self._submit_not_before:
            return self._submit_not_before - now
        wake_in: float | None = None
        free = self.max_in_flight - len(self._slots)
        if free <= 0:
            return None
        for job in self.store.list(states=[JobState.QUEUED]):
            if job.id in self._runners:
                continue
            not_before = self._job_not_before.get(job.id, 0.0)
            if not_before > now:
                wait = not_before - now
                wake_in = wait if wake_in is None else min(wake_in, wait)
                continue
            self._slots.add(job.id)
            self._start_runner(job.id)
            free -= 1
            if free <= 0:
                break
        return wake_in

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _sleep_until(self, when: float) -> None:
        delay = when - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _auth_gate(self) -> None:
        """Wait while a 401 has paused everything."""
        if self._unblocked is not None and not self._unblocked.is_set():
            await self._unblocked.wait()

    # ================================================================== pause / settings

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def pause_reason(self) -> str | None:
        return self._pause_reason

    def pause(self, reason: str | None = None) -> None:
        """Start no new jobs (running ones continue: their results are paid for)."""
        self._paused = True
        self._pause_reason = reason or "The queue is paused."
        self._notify_pause()

    def resume(self) -> None:
        """Start jobs again (also after a 402 or 401 pause)."""
        self._paused = False
        self._pause_reason = None
        self._submit_not_before = 0.0
        self._set_auth_blocked(False)
        self._notify_pause()
        self._poke()

    def _apply_pause(self, pause: Pause, reason: str) -> None:
        if pause is Pause.EVERYTHING:
            self._set_auth_blocked(True)
        self.pause(reason)

    def _set_auth_blocked(self, blocked: bool) -> None:
        self._auth_blocked = blocked
        if self._unblocked is not None:
            if blocked:
                self._unblocked.clear()
            else:
                self._unblocked.set()

    def _notify_pause(self) -> None:
        for callback in list(self._pause_listeners):
            try:
                callback(self._paused, self._pause_reason)
            except Exception as error:  # noqa: BLE001
                self._report(error, "notifying a pause listener")

    def on_rate_limited(self, retry_at: float) -> None:
        """The client's ``on_rate_limited`` hook: one 429 slows every job's requests."""
        self.budget.note_rate_limited(retry_at)

    def set_client(self, client: Any) -> None:
        """Use a new client (e.g. after a new key); lifts a 401 pause."""
        self.client = client
        # Wire the shared request budget into the client's 429 hook when the composition root
        # did not (the hook is a constructor argument of ModellixClient).
        if client is not None and getattr(client, "_on_rate_limited", "absent") is None:
            client._on_rate_limited = self.on_rate_limited
        self._poke()
        if self._auth_blocked:
            self._paused = False
            self._pause_reason = None
            self._set_auth_blocked(False)
            self._notify_pause()
            self._poke()

    def set_max_in_flight(self, n: int) -> None:
        self.max_in_flight = max(1, int(n))
        self._poke()


__all__ = ["Engine", "EngineError", "PROGRESS_INTERVAL"]
