"""The engine's queue actions: what the window's buttons and the command line ask for.

Mixed into ``core.scheduler.Engine``. Every action commits to the store before it returns and
then pokes the scheduler. Actions that would risk paying twice are refused with an
:class:`EngineError` whose ``user_message`` says why; "submit again" and "retry" never reuse a
job, they create a new attempt linked by ``attempt_of``.
"""

from __future__ import annotations

import asyncio
import copy
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import discard_partial
from seedance_desktop.api.spec import MAX_SEED
from seedance_desktop.core.job import InputFile, Job, JobState


class EngineError(Exception):
    """An action the engine refuses (e.g. cancelling a job the server is working on)."""

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class QueueActions:
    """Public queue actions. ``Engine`` provides the attributes and helpers below."""

    store: Any
    _rng: random.Random
    _runners: dict[str, asyncio.Task[Any]]
    _cancel_events: dict[str, Any]
    _waiters: dict[str, list[asyncio.Future[Job]]]

    def _emit(self, job: Job) -> None: ...
    def _poke(self) -> None: ...
    def _commit(self, job_id: str, state: JobState, reason: str = "", **fields: Any) -> Job: ...
    def _update(self, job_id: str, **fields: Any) -> Job: ...
    def _start_runner(self, job_id: str) -> None: ...

    def enqueue(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> Job:
        """Add a job at the end of the queue (committed before returning)."""
        job = Job(model=model, request=copy.deepcopy(request), inputs=[replace(i) for i in inputs],
                  position=self.store.next_position())
        self.store.add(job, reason="Added to the queue.")
        self._emit(job)
        self._poke()
        return job

    def _new_attempt(self, old: Job, *, attempt_of: str | None, request: dict[str, Any] | None = None) -> Job:
        inputs = [InputFile(field=i.field, index=i.index, local_path=i.local_path) for i in old.inputs]
        job = Job(model=old.model, request=copy.deepcopy(request if request is not None else old.request),
                  inputs=inputs, attempt_of=attempt_of, position=self.store.next_position())
        what = f"New attempt of {old.id[:8]}." if attempt_of else f"Copy of {old.id[:8]}."
        self.store.add(job, reason=what)
        self._emit(job)
        self._poke()
        return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a job nothing has been sent for (QUEUED or UPLOADING)."""
        job = self.store.get(job_id)
        if not job.state.is_local:
            raise EngineError(f"job {job_id} is {job.state.value}", user_message=(
                f"This job is {job.state.label.lower()}: Modellix has no way to cancel a task once it is sent."))
        event = self._cancel_events.get(job_id)
        if event is not None:
            event.set()
        runner = self._runners.pop(job_id, None)
        if runner is not None:
            runner.cancel()
        return self._commit(job_id, JobState.CANCELLED, "Cancelled.")

    def remove(self, job_id: str) -> None:
        """Delete a local or final job from the store (busy jobs raise ``JobBusyError``)."""
        job = self.store.get(job_id)
        if job.state.is_local and job_id in self._runners:
            self.cancel(job_id)
        self.store.remove(job_id)
        if job.video_path and job.state is not JobState.DONE:
            # A failed/expired download's .part is of no use once the job is gone.
            for path in (job.video_path, job.last_frame_path):
                if path:
                    discard_partial(Path(path))
        self._poke()

    def move(self, job_id: str, position: float) -> Job:
        job = self.store.move(job_id, position)
        self._poke()
        return job

    def edit(self, job_id: str, request: dict[str, Any], inputs: list[InputFile]) -> Job:
        """Change a queued job's recipe (only while nothing has been sent for it)."""
        job = self.store.get(job_id)
        if job.state is not JobState.QUEUED or job_id in self._runners:
            raise EngineError(f"job {job_id} is {job.state.value}",
                              user_message="Only a queued job that has not started can be edited.")
        return self._update(job_id, request=copy.deepcopy(request), inputs=[replace(i) for i in inputs])

    def retry(self, job_id: str) -> Job:
        """FAILED/EXPIRED: a new linked attempt. A FAILED job whose task succeeded (only the
        download failed) resumes its download instead: it is already paid for."""
        job = self.store.get(job_id)
        if job.state is JobState.FAILED and job.task_id and job.remote_video_url:
            job = self._commit(job_id, JobState.DOWNLOADING, "Retrying the download.", error=None)
            self._start_runner(job_id)
            return job
        if job.state not in (JobState.FAILED, JobState.EXPIRED):
            raise EngineError(f"job {job_id} is {job.state.value}",
                              user_message="Only failed or expired jobs can be retried.")
        return self._new_attempt(job, attempt_of=job.id)

    def submit_again(self, job_id: str) -> Job:
        """The explicit decision for an OUTCOME_UNKNOWN job (or any finished one): a new
        attempt linked to it. The engine itself never does this."""
        job = self.store.get(job_id)
        if not job.state.is_final:
            raise EngineError(f"job {job_id} is {job.state.value}",
                              user_message="This job is still running; wait for it to finish.")
        return self._new_attempt(job, attempt_of=job.id)

    def rerun_with_new_seed(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        request = copy.deepcopy(job.request)
        seed = self._rng.randrange(0, MAX_SEED + 1)
        while seed == job.seed:
            seed = self._rng.randrange(0, MAX_SEED + 1)
        request["seed"] = seed
        return self._new_attempt(job, attempt_of=None, request=request)

    def recipe(self, job_id: str) -> tuple[str, dict[str, Any], list[InputFile]]:
        """(model, request, local inputs) to fill the form with (uploaded URLs dropped)."""
        job = self.store.get(job_id)
        inputs = [InputFile(field=i.field, index=i.index, local_path=i.local_path) for i in job.inputs]
        return job.model, copy.deepcopy(job.request), inputs

    async def wait_for(self, job_id: str) -> Job:
        """Wait until the job is final (DONE, FAILED, OUTCOME_UNKNOWN, EXPIRED, CANCELLED)."""
        job = self.store.get(job_id)
        if job.state.is_final:
            return job
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_id, []).append(future)
        return await future



__all__ = ["EngineError", "QueueActions"]
