"""The steps one job goes through: upload, submit, poll, download. Used by ``core.scheduler``.

Every step follows the store's commit-before-act rule: the state that announces an action is
committed (fsynced) before the action starts, and each result is persisted the moment it is
known (an uploaded URL, the task id, the chosen output path), so a SIGKILL at any instant leaves
a job the engine can resume without paying or uploading twice. What an answer or an error
*means* is decided by the pure functions in ``core.policy``; this module only carries it out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedance_desktop.api.errors import ModellixError, SubmitOutcomeUnknownError, ValidationError
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import TaskInfo, TaskStatus
from seedance_desktop.api.urls import scrub_urls
from seedance_desktop.api.validate import build_body
from seedance_desktop.core import policy
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.job import Job, JobState, place_inputs
from seedance_desktop.core.outputs import render_name, unique_path, write_sidecar
from seedance_desktop.core.policy import Decision, Pause
from seedance_desktop.core.prepare import InputPreparer
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.errors import ConformCancelled

log = logging.getLogger(__name__)

#: Jobs in these states hold one of the ``max_in_flight`` slots. (PREPARING too: conforming is
#: CPU-heavy, so the cap also bounds how many jobs conform at once.)
SLOT_STATES = frozenset({JobState.PREPARING, JobState.UPLOADING, JobState.SUBMITTING, JobState.SUBMITTED, JobState.PROCESSING})
LAST_FRAME_SUFFIX = ".last.png"


def request_with_urls(job: Job) -> dict[str, Any]:
    """The request as it is sent: every local input replaced by its uploaded URL."""
    missing = [f"{i.field}[{i.index}]" for i in job.inputs if not i.uploaded_url]
    if missing:
        raise ValueError(f"input {', '.join(missing)} has not been uploaded")
    return place_inputs(job, lambda item: item.uploaded_url)


class JobSteps:
    """The per-job coroutines. Mixed into ``Engine``, which provides the attributes below."""

    store: Any
    client: Any
    budget: RequestBudget
    output_dir: Path
    naming_template: str
    time_scale: float
    _clock: Callable[[], float]
    _rng: random.Random
    _downloader: Callable[..., Any]
    _cancel_events: dict[str, threading.Event]
    #: Signed result URLs (video, last frame) by job id: in memory only, never in the store.
    _result_urls: dict[str, tuple[str, str | None]]
    _submitting: set[str]
    _job_not_before: dict[str, float]
    _submit_not_before: float
    _submit_failures: int
    _upload_failures: dict[str, int]
    _paused: bool
    preparer: InputPreparer | None

    # Provided by Engine.
    def _commit(self, job_id: str, state: JobState, reason: str = "", **fields: Any) -> Job:
        raise NotImplementedError

    def _update(self, job_id: str, **fields: Any) -> Job:
        raise NotImplementedError

    def _progress(self, job_id: str, fraction: float | None) -> None: ...
    def _apply_pause(self, pause: Pause, reason: str) -> None: ...
    async def _auth_gate(self) -> None: ...
    async def _sleep_until(self, when: float) -> None: ...
    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        raise NotImplementedError

    def _thread_progress(self, job_id: str, scale: Callable[[int, int | None], float | None]) -> Callable[[int, int | None], None]:
        """A progress callback for worker threads: marshalled onto the loop thread."""
        loop = asyncio.get_running_loop()

        def relay(done: int, total: int | None) -> None:
            try:
                loop.call_soon_threadsafe(self._progress, job_id, scale(done, total))
            except RuntimeError:  # the loop closed while the thread finished
                pass

        return relay

    # -------------------------------------------------------------------- prepare (hook)
    # The PREPARING step against core.prepare's contract; the engine rewrite (branch
    # ``engine``) carries its own version of this method.

    async def _prepare_inputs(self, job: Job) -> Job | None:
        """QUEUED -> PREPARING: probe, check and conform local inputs in a worker thread.
        Returns the job with its prepared inputs, or None when it failed, was cancelled or
        went back to the queue."""
        if self.preparer is None or all(i.uploaded_url for i in job.inputs):
            return job
        job = self._commit(job.id, JobState.PREPARING,
                           f"Checking {len(job.inputs)} local file(s) against the input limits; conforming what needs it.")
        cancel = self._cancel_events.setdefault(job.id, threading.Event())
        loop = asyncio.get_running_loop()

        def progress(fraction: float) -> None:
            try:
                loop.call_soon_threadsafe(self._progress, job.id, fraction)
            except RuntimeError:  # the loop closed while the worker finished
                pass

        try:
            inputs = await asyncio.to_thread(self.preparer.prepare, job, progress=progress, cancel=cancel)
        except ConformCancelled:
            if self.store.get(job.id).state is JobState.PREPARING:
                self._commit(job.id, JobState.QUEUED, "Preparing stopped; it will start again.")
            return None
        except asyncio.CancelledError:
            cancel.set()
            if self.store.get(job.id).state is JobState.PREPARING:
                self._commit(job.id, JobState.QUEUED, "Preparing interrupted; it will start again.")
            raise
        except SeedanceError as error:  # InputRejected, or a file that could not be converted
            self._commit(job.id, JobState.FAILED, error.user_message, error=error.user_message)
            return None
        self._progress(job.id, None)
        return self._update(job.id, inputs=inputs)

    # -------------------------------------------------------------------- upload + submit

    async def _upload_inputs(self, job: Job) -> Job | None:
        """Upload every local input without a URL (QUEUED -> UPLOADING). Each URL is persisted
        as soon as it is known. Returns the job, or None when it went back to the queue/failed."""
        pending = [i for i in job.inputs if not i.uploaded_url]
        if not pending:
            return job
        job = self._commit(job.id, JobState.UPLOADING, f"Uploading {len(pending)} local file(s).")
        sizes = {i.local_path: _size(i.prepared_path or i.local_path) for i in pending}
        total = sum(sizes.values()) or 1
        done_before = 0
        cancel = self._cancel_events.setdefault(job.id, threading.Event())
        for position, item in enumerate(job.inputs):
            if item.uploaded_url:
                continue
            base = done_before

            def on_progress(sent: int, _total: int, base: int = base) -> None:
                self._progress(job.id, min(1.0, (base + sent) / total))

            try:
                await self._auth_gate()
                await self.budget.acquire()
                uploaded = await self.client.upload_file(Path(item.prepared_path or item.local_path),
                                                         progress=on_progress, cancel=cancel)
            except (ModellixError, OSError) as error:
                # Counted per job across requeues, so the back-off grows while a problem lasts.
                failures = self._upload_failures[job.id] = self._upload_failures.get(job.id, 0) + 1
                decision = policy.on_upload_error(error, now=self._clock(), failures=failures, rng=self._rng,
                                                  time_scale=self.time_scale)
                self._carry_out(job.id, decision)
                return None
            inputs = list(job.inputs)
            inputs[position] = replace(item, uploaded_url=uploaded.url, uploaded_file_id=uploaded.file_id)
            job = self._update(job.id, inputs=inputs)
            done_before += sizes[item.local_path]
        self._upload_failures.pop(job.id, None)
        self._progress(job.id, None)
        return job

    async def _submit(self, job: Job) -> Job | None:
        """Build the body, commit SUBMITTING, POST once. Returns the submitted job or None."""
        try:
            spec = get_model(job.model)
            body = build_body(spec, request_with_urls(job))
        except (ValidationError, KeyError, ValueError) as error:
            reason = policy.describe_validation(error) if isinstance(error, ValidationError) else f"Invalid job: {error}"
            self._commit(job.id, JobState.FAILED, reason, error=reason)
            return None
        await self._auth_gate()
        await self._sleep_until(self._submit_not_before)
        await self.budget.acquire()
        if self._paused:
            if job.state in (JobState.UPLOADING, JobState.PREPARING):
                self._commit(job.id, JobState.QUEUED, "Queue paused before submitting.")
            return None
        self._submitting.add(job.id)
        try:
            job = self._commit(job.id, JobState.SUBMITTING, "Sending the job to Modellix.")
            try:
                result = await self.client.submit(spec, body)
            except asyncio.CancelledError:
                self._commit(job.id, JobState.OUTCOME_UNKNOWN, "The app stopped while the job was being sent; "
                             + SubmitOutcomeUnknownError.user_message,
                             error=SubmitOutcomeUnknownError.user_message)
                raise
            except Exception as error:  # noqa: BLE001 - every failure is classified by policy
                self._submit_failures += 1
                decision = policy.on_submit_error(error, now=self._clock(), failures=self._submit_failures,
                                                  rng=self._rng, time_scale=self.time_scale)
                if decision.state is JobState.QUEUED and decision.retry_at is not None:
                    self._submit_not_before = max(self._submit_not_before, decision.retry_at)
                self._carry_out(job.id, decision)
                return None
        finally:
            self._submitting.discard(job.id)
        self._submit_failures = 0
        state = JobState.PROCESSING if result.status is TaskStatus.PROCESSING else JobState.SUBMITTED
        return self._commit(job.id, state, f"Accepted by Modellix as {result.task_id}.", task_id=result.task_id,
                            result_url=result.result_url, error=None)

    def _carry_out(self, job_id: str, decision: Decision) -> None:
        """Apply a decision that ends this runner: new state, pause, back-off, rate limit."""
        if decision.rate_limited:
            self.budget.note_rate_limited(decision.retry_at)
        if decision.pause is not Pause.NONE:
            self._apply_pause(decision.pause, decision.reason)
        if decision.retry_at is not None:
            self._job_not_before[job_id] = decision.retry_at
        if decision.state is not None:
            error = decision.reason if decision.state in (JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED) else None
            current = self.store.get(job_id).state
            if current is not decision.state:
                self._commit(job_id, decision.state, decision.reason, error=error)

    # -------------------------------------------------------------------- polling

    async def _fetch_task(self, job: Job, failures: int) -> tuple[TaskInfo | None, Decision | None]:
        await self._auth_gate()
        await self.budget.acquire()
        try:
            return await self.client.get_task(job.task_id, job.result_url), None
        except Exception as error:  # noqa: BLE001 - classified by policy; polling never dies
            decision = policy.on_poll_error(error, now=self._clock(), failures=failures + 1, rng=self._rng,
                                            time_scale=self.time_scale)
            if decision.rate_limited:
                self.budget.note_rate_limited(decision.retry_at)
            if decision.pause is not Pause.NONE:
                self._apply_pause(decision.pause, decision.reason)
            return None, decision

    async def _poll(self, job: Job) -> Job | None:
        """Poll until the task is final. No client-side deadline: only the server ends it."""
        window = policy.expected_window(job.request)
        polls = failures = 0
        not_before: float | None = None
        while True:
            submitted = job.submitted_at or job.updated_at
            at = policy.next_poll_at(now=self._clock(), submitted_at=submitted, polls=polls, window=window,
                                     rng=self._rng, not_before=not_before, time_scale=self.time_scale)
            await self._sleep_until(at)
            info, problem = await self._fetch_task(job, failures)
            polls += 1
            if problem is not None:
                failures += 1
                if problem.state is not None:
                    self._commit(job.id, problem.state, problem.reason, error=problem.reason)
                    return None
                not_before = problem.retry_at
                continue
            assert info is not None
            failures, not_before = 0, None
            decision = policy.on_task(info, job.state)
            if decision.state in (JobState.DOWNLOADING, JobState.FAILED):
                self._spawn(self._release_uploads(job), "free uploaded inputs")
            if decision.state is JobState.DOWNLOADING:
                assert info.video is not None
                self._result_urls[job.id] = (info.video.url, info.last_frame.url if info.last_frame else None)
                return self._commit(
                    job.id, JobState.DOWNLOADING, decision.reason, remote_video_url=info.video.url,
                    remote_last_frame_url=info.last_frame.url if info.last_frame else None,
                    cost=info.billing_amount, raw_task=scrub_urls(info.raw),
                )
            if decision.state is JobState.FAILED:
                self._commit(job.id, JobState.FAILED, decision.reason, error=decision.reason, raw_task=scrub_urls(info.raw))
                return None
            if decision.state is not None:
                job = self._commit(job.id, decision.state, decision.reason)

    async def _release_uploads(self, job: Job) -> None:
        """Free this job's uploads once the task is final and the server no longer reads them:
        the File API holds only about 10 files per team, so a busy queue would otherwise stall
        on 429s. Best effort (the delete path is unconfirmed, SPEC section 1; uploads also expire
        after about 7 days). New attempts re-upload from the local files."""
        for item in job.inputs:
            if not item.uploaded_file_id:
                continue
            try:
                await self.client.delete_file(item.uploaded_file_id)
            except ModellixError as error:
                log.info("could not delete uploaded input %s of job %s: %s", item.uploaded_file_id, job.id, error)

    # -------------------------------------------------------------------- download

    def _choose_paths(self, job: Job) -> Job:
        """Pick the final file names once and persist them, so a resumed download reuses the
        same ``.part`` and a restart never produces a second copy under another name."""
        if job.video_path:
            return job
        stem = render_name(self.naming_template, job, self._clock())
        video = unique_path(self.output_dir, stem, ".mp4", companions=(".json", LAST_FRAME_SUFFIX, ".mp4.part"))
        last = str(video.with_suffix("")) + LAST_FRAME_SUFFIX if job.remote_last_frame_url else None
        return self._update(job.id, video_path=str(video), last_frame_path=last)

    async def _fetch_file(self, job_id: str, url: str, dest: Path, weight: tuple[float, float]) -> None:
        """One file via the (sync) downloader in a worker thread; skipped when already final."""
        if dest.exists() and not dest.with_name(dest.name + ".part").exists():
            return  # os.replace only ever puts a complete, verified file under the final name
        cancel = self._cancel_events.setdefault(job_id, threading.Event())
        start, span = weight

        def scale(done: int, total: int | None) -> float | None:
            return start + span * (done / total) if total else None

        progress = self._thread_progress(job_id, scale)
        await asyncio.to_thread(self._downloader, url, dest, progress=progress, cancel=cancel)

    async def _download(self, job: Job) -> Job | None:
        """Download the video (and last frame), refetching the task for fresh URLs when a
        link is gone; EXPIRED only when no working URL can be had. Then sidecar, then DONE."""
        job = self._choose_paths(job)
        failures = refetches = 0
        if job.id not in self._result_urls:
            # After a restart: the store holds no signed URL, so ask the task for fresh ones.
            refetches += 1
            fresh = await self._refetch_or_expire(job)
            if fresh is None:
                return None
            job = fresh
        while True:
            try:
                video_url, last_url = self._result_urls[job.id]
                assert job.video_path
                has_last = bool(last_url and job.last_frame_path)
                await self._fetch_file(job.id, video_url, Path(job.video_path), (0.0, 0.9 if has_last else 1.0))
                if has_last:
                    await self._fetch_file(job.id, str(last_url), Path(str(job.last_frame_path)), (0.9, 0.1))
                break
            except Exception as error:  # noqa: BLE001 - classified by policy
                failures += 1
                decision = policy.on_download_error(error, now=self._clock(), failures=failures, refetches=refetches,
                                                    rng=self._rng, time_scale=self.time_scale)
                if decision.refetch:
                    refetches += 1
                    fresh = await self._refetch_or_expire(job)
                    if fresh is None:
                        return None
                    job = fresh
                    continue
                if decision.state is not None:
                    self._commit(job.id, decision.state, decision.reason, error=decision.reason)
                    return None
                log.info("download of job %s failed (%s); retrying", job.id[:8], decision.reason)
                await self._sleep_until(decision.retry_at or self._clock())
        self._progress(job.id, None)
        self._result_urls.pop(job.id, None)
        now = self._clock()
        final = replace(job, state=JobState.DONE, finished_at=now, error=None)
        await asyncio.to_thread(write_sidecar, Path(str(job.video_path)), final)
        return self._commit(job.id, JobState.DONE, "Downloaded.", finished_at=now, error=None)

    async def _refetch_or_expire(self, job: Job) -> Job | None:
        """Fresh result URLs, or commit EXPIRED (and return None) when none can be had."""
        fresh = await self._refetch(job)
        if fresh is None:
            reason = "The result is no longer available: Modellix has no working link for it."
            self._commit(job.id, JobState.EXPIRED, reason, error=reason)
        return fresh

    async def _refetch(self, job: Job) -> Job | None:
        """Ask the task for fresh result URLs (retrying transient errors). None: none to be had."""
        failures = 0
        while True:
            info, problem = await self._fetch_task(job, failures)
            if info is not None:
                if info.status is not TaskStatus.SUCCESS or info.video is None:
                    return None
                previous = self._result_urls.get(job.id)
                last_url = info.last_frame.url if info.last_frame else (previous[1] if previous else None)
                if previous is not None and info.video.url == previous[0]:
                    log.info("refetch of job %s returned the same URL", job.id[:8])
                self._result_urls[job.id] = (info.video.url, last_url)
                return self._update(job.id, remote_video_url=info.video.url, remote_last_frame_url=last_url,
                                    raw_task=scrub_urls(info.raw))
            failures += 1
            assert problem is not None
            if problem.state is not None:
                return None
            await self._sleep_until(problem.retry_at or self._clock())


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0

