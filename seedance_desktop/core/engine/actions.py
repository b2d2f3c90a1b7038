"""The user actions on jobs: what the window's buttons and the command line ask for.

One implementation each, used by both faces through the ``Engine`` facade. Every action first
checks :func:`core.engine.allowed.check_allowed` (so a face can never do what the table
forbids, and the refusal reads the same everywhere), commits to the store before it returns,
then wakes the scheduler. Actions that would risk paying twice never reuse a job: "retry" and
"submit again" create a new attempt linked by ``attempt_of``; "download again" fetches the same
paid result again.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import discard_partial
from seedance_desktop.api.spec import MAX_SEED
from seedance_desktop.core.engine.allowed import Action, EngineError, check_allowed, has_result_file, result_on_server
from seedance_desktop.core.engine.journal import Journal
from seedance_desktop.core.engine.runner import JobRunner
from seedance_desktop.core.engine.scheduler import SlotScheduler
from seedance_desktop.core.job import InputFile, Job, JobState


def fresh_inputs(inputs: list[InputFile]) -> list[InputFile]:
    """The local inputs of a recipe, without anything a previous attempt uploaded or prepared
    (hosted URLs expire; conformed copies are made again from the original). The user's
    selection and framing are part of the recipe and are kept."""
    return [InputFile(field=i.field, index=i.index, local_path=i.local_path, trim_start=i.trim_start,
                      trim_end=i.trim_end, framing=i.framing) for i in inputs]


class QueueActions:
    """See the module docstring."""

    def __init__(self, journal: Journal, scheduler: SlotScheduler, runner: JobRunner, rng: random.Random) -> None:
        self._journal = journal
        self._store = journal.store
        self._scheduler = scheduler
        self._runner = runner
        self._rng = rng

    def enqueue(self, model: str, request: dict[str, Any], inputs: list[InputFile], *,
                group_id: str | None = None) -> Job:
        """Add a job at the end of the queue (committed before returning); ``group_id``: the
        batch it belongs to."""
        job = Job(model=model, request=copy.deepcopy(request), inputs=[replace(i) for i in inputs],
                  position=self._store.next_position(), group_id=group_id)
        return self._journal.add(job, "Added to the queue.")

    def _new_attempt(self, old: Job, *, attempt_of: str | None, request: dict[str, Any] | None = None) -> Job:
        job = Job(model=old.model, request=copy.deepcopy(request if request is not None else old.request),
                  inputs=fresh_inputs(old.inputs), attempt_of=attempt_of, position=self._store.next_position(),
                  group_id=old.group_id)
        return self._journal.add(job, f"New attempt of {old.id[:8]}." if attempt_of else f"Copy of {old.id[:8]}.")

    def cancel(self, job_id: str) -> Job:
        """Cancel a job nothing has been sent for (QUEUED, PREPARING or UPLOADING)."""
        job = self._store.get(job_id)
        check_allowed(job, Action.CANCEL)
        self._scheduler.cancel_runner(job_id)
        return self._journal.commit(job_id, JobState.CANCELLED, "Cancelled.")

    def remove(self, job_id: str) -> Job:
        """Delete a queued or final job from the store; returns the job as it was deleted (what
        :meth:`restore` puts back). Output and input files are never deleted."""
        job = self._store.get(job_id)
        check_allowed(job, Action.REMOVE)
        if self._scheduler.is_running(job_id):
            job = self.cancel(job_id)
        self._store.remove(job_id)
        self._journal.removed(job_id)
        if job.state is not JobState.DONE:
            # A failed/expired download's .part is of no use once the job is gone.
            for path in (job.video_path, job.last_frame_path):
                if path:
                    discard_partial(Path(path))
        self._scheduler.poke()
        return job

    def restore(self, job: Job) -> Job:
        """Put back a job :meth:`remove` deleted (the window's Undo): the same id, recipe,
        history, files and queue position. Only a queued or final job could be removed, so
        nothing is sent again by this: a queued one simply waits for its turn again."""
        if not (job.state is JobState.QUEUED or job.state.is_final):
            raise EngineError(f"job {job.id} cannot be restored in state {job.state.value}",
                              user_message="Only a queued or finished job can be put back.")
        if self._store.find(job.id) is not None:
            return self._store.get(job.id)  # already back (Undo pressed twice)
        restored = self._journal.add(replace(job, progress=None, history=list(job.history)), "Put back.")
        self._scheduler.poke()
        return restored

    def move(self, job_id: str, position: float) -> Job:
        job = self._store.get(job_id)
        check_allowed(job, Action.MOVE)
        job = self._store.move(job_id, position)
        self._scheduler.poke()
        return job

    def edit(self, job_id: str, request: dict[str, Any], inputs: list[InputFile]) -> Job:
        """Change a queued job's recipe (only while nothing has been sent or started for it)."""
        job = self._store.get(job_id)
        check_allowed(job, Action.EDIT)
        if self._scheduler.is_running(job_id):
            raise EngineError(f"job {job_id} has started",
                              user_message="This job has just started; cancel it and add a new one instead.")
        return self._journal.update(job_id, request=copy.deepcopy(request), inputs=fresh_inputs(inputs))

    def retry(self, job_id: str) -> Job:
        """FAILED/EXPIRED/CANCELLED: a new linked attempt. A job whose task succeeded (only the
        download failed, or its links expired) fetches its paid result again instead: a retry
        never pays again for a result Modellix may still hold."""
        job = self._store.get(job_id)
        check_allowed(job, Action.RETRY)
        if job.state in (JobState.FAILED, JobState.EXPIRED) and result_on_server(job):
            return self.redownload(job_id)
        return self._new_attempt(job, attempt_of=job.id)

    def submit_again(self, job_id: str) -> Job:
        """The explicit decision for an OUTCOME_UNKNOWN job: a new attempt linked to it. The
        engine itself never does this."""
        job = self._store.get(job_id)
        check_allowed(job, Action.SUBMIT_AGAIN)
        return self._new_attempt(job, attempt_of=job.id)

    def rerun_with_new_seed(self, job_id: str) -> Job:
        job = self._store.get(job_id)
        check_allowed(job, Action.RERUN)
        request = copy.deepcopy(job.request)
        seed = self._rng.randrange(0, MAX_SEED + 1)
        while seed == job.seed:
            seed = self._rng.randrange(0, MAX_SEED + 1)
        request["seed"] = seed
        return self._new_attempt(job, attempt_of=None, request=request)

    def recipe(self, job_id: str) -> tuple[str, dict[str, Any], list[InputFile]]:
        """(model, request, local inputs) to fill the form with ("duplicate")."""
        job = self._store.get(job_id)
        check_allowed(job, Action.DUPLICATE)
        return job.model, copy.deepcopy(job.request), fresh_inputs(job.inputs)

    def redownload(self, job_id: str, *, force: bool = False) -> Job:
        """"Download again": refetch the task for fresh links and download the paid result
        (DONE with its file gone, a download that failed after the task succeeded, EXPIRED).
        ``force`` also fetches a DONE job whose file is still there (overwriting it)."""
        job = self._store.get(job_id)
        forced = force and job.state is JobState.DONE and bool(job.task_id) and has_result_file(job)
        if not forced:
            check_allowed(job, Action.REDOWNLOAD)
        self._runner.fetch_again(job_id, overwrite=forced)
        job = self._journal.commit(job_id, JobState.DOWNLOADING, "Downloading the result again.", error=None)
        self._scheduler.start_runner(job_id, slot=False)
        return job


__all__ = ["EngineError", "QueueActions", "fresh_inputs"]
