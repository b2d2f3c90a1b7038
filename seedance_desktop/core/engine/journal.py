"""The journal: the one writer of job changes, and the one voice that announces them.

Every part of the engine changes jobs through it, so the commit-before-act rule holds in one
place: :meth:`Journal.commit` writes the transition to the store (fsynced) *then* tells the
listeners, the waiters of :meth:`wait_for` and the commit hooks (the scheduler, which frees
slots and wakes up). Progress is transient: throttled to 10 Hz per job and never persisted on
every tick. Worker threads report through :meth:`progress_relay`, which hops onto the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from seedance_desktop.core.engine.protocols import ErrorHandler, JobListener, JobStoreProtocol
from seedance_desktop.core.job import Job, JobState

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds: listeners see progress at most 10 times a second per job


class ErrorReporter:
    """Routes every exception no caller could see to one handler (the controller's, the
    CLI's log), so nothing is lost silently."""

    def __init__(self, handler: ErrorHandler | None = None) -> None:
        self.handler = handler

    def __call__(self, error: BaseException, what: str) -> None:
        if self.handler is not None:
            try:
                self.handler(error, what)
                return
            except Exception:  # noqa: BLE001
                log.exception("the engine's error handler failed")
        log.error("error while %s: %s", what, error, exc_info=error)


class Journal:
    """See the module docstring. Call on the loop thread (except :meth:`progress_relay`'s result)."""

    def __init__(self, store: JobStoreProtocol, report: ErrorReporter) -> None:
        self.store = store
        self._report = report
        self._listeners: list[JobListener] = []
        self._commit_hooks: list[Callable[[Job], None]] = []
        self._waiters: dict[str, list[asyncio.Future[Job]]] = {}
        self._last_progress: dict[str, float] = {}

    def add_listener(self, callback: JobListener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: JobListener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def add_commit_hook(self, hook: Callable[[Job], None]) -> None:
        """``hook(job)`` after every committed change (before listeners)."""
        self._commit_hooks.append(hook)

    # -- writes ----------------------------------------------------------------------------

    def add(self, job: Job, reason: str) -> Job:
        self.store.add(job, reason=reason)
        self._announce(job)
        return job

    def commit(self, job_id: str, state: JobState, reason: str = "", **fields: Any) -> Job:
        """Persist a transition (with ``fields``), then announce it."""
        job = self.store.transition(job_id, state, reason, **fields)
        self._last_progress.pop(job_id, None)
        self._announce(job)
        return job

    def update(self, job_id: str, **fields: Any) -> Job:
        """Persist non-state fields (an uploaded URL, the chosen paths...), then announce them."""
        job = self.store.update(job_id, **fields)
        self._announce(job)
        return job

    def removed(self, job_id: str) -> None:
        self._last_progress.pop(job_id, None)
        for future in self._waiters.pop(job_id, []):
            if not future.done():
                future.cancel()

    # -- progress --------------------------------------------------------------------------

    def progress(self, job_id: str, fraction: float | None) -> None:
        """Progress to listeners, at most every PROGRESS_INTERVAL per job (None: clear)."""
        now = time.monotonic()
        if fraction is not None and fraction < 1.0 and now - self._last_progress.get(job_id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job_id] = now
        job = self.store.find(job_id)
        if job is not None and not job.state.is_final:
            self.emit(replace(job, progress=fraction))

    def progress_relay(self, job_id: str, scale: Callable[[int, int | None], float | None]) -> Callable[[int, int | None], None]:
        """A byte-progress callback for a worker thread, marshalled onto this loop."""
        loop = asyncio.get_running_loop()

        def relay(done: int, total: int | None) -> None:
            if loop.is_closed():  # the loop closed while the thread finished
                return
            try:
                loop.call_soon_threadsafe(self.progress, job_id, scale(done, total))
            except RuntimeError:
                pass

        return relay

    def fraction_relay(self, job_id: str) -> Callable[[float], None]:
        """A 0..1 progress callback for a worker thread (the preparing step)."""
        relay = self.progress_relay(job_id, lambda done, _total: done / 1000.0)

        def report(fraction: float) -> None:
            relay(int(max(0.0, min(1.0, fraction)) * 1000), 1000)

        return report

    # -- listeners and waiters -------------------------------------------------------------

    def emit(self, job: Job) -> None:
        for callback in list(self._listeners):
            try:
                callback(job)
            except Exception as error:  # noqa: BLE001 - a listener bug must not stop the engine
                self._report(error, "notifying a listener")
        if job.state.is_final and job.progress is None:
            for future in self._waiters.pop(job.id, []):
                if not future.done():
                    future.set_result(job)

    async def wait_for(self, job_id: str) -> Job:
        """Wait until the job is final (DONE, FAILED, OUTCOME_UNKNOWN, EXPIRED, CANCELLED)."""
        job = self.store.get(job_id)
        if job.state.is_final:
            return job
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_id, []).append(future)
        return await future

    def cancel_waiters(self) -> None:
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.cancel()
        self._waiters.clear()

    def _announce(self, job: Job) -> None:
        for hook in list(self._commit_hooks):
            hook(job)
        self.emit(job)


__all__ = ["ErrorReporter", "Journal", "PROGRESS_INTERVAL"]
