"""The per-job runner: prepare -> upload -> submit -> poll -> download, sidecar, DONE.

Every step follows the commit-before-act rule: the state that announces an action is committed
(fsynced) before the action starts, and each result is persisted the moment it is known (a
prepared copy, an uploaded URL, the task id, the chosen output path), so a SIGKILL at any
instant leaves a job the engine can resume without paying or uploading twice. What an answer or
an error *means* is decided by the pure functions in ``core.policy``; this module carries the
decisions out, and it is the only retry layer: each client call is one HTTP attempt, and every
429 is noted in the shared request budget exactly once, here, from the error caught.

All waits (back-off, poll schedule, server retry hints) are measured on the monotonic clock;
wall time is only stored and displayed (``submitted_at``, ``finished_at``, file names).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import discard_partial
from seedance_desktop.api.errors import (
    DownloadCancelled,
    ModellixError,
    RateLimitedError,
    ResultGoneError,
    SubmitOutcomeUnknownError,
    ValidationError,
)
from seedance_desktop.api.spec import MODELS, MediaKind, get_model
from seedance_desktop.api.tasks import TaskInfo, TaskStatus
from seedance_desktop.api.urls import scrub_urls
from seedance_desktop.api.validate import build_body
from seedance_desktop.core import policy
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.engine.journal import Journal
from seedance_desktop.core.engine.pause import PauseGate
from seedance_desktop.core.engine.protocols import Downloader, InputPreparer, ModellixClientProtocol
from seedance_desktop.core.engine.scheduler import SlotScheduler
from seedance_desktop.core.engine.workers import WorkerThreads
from seedance_desktop.core.job import InputFile, Job, JobState, UploadRecord, place_inputs
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE, render_name, unique_path, write_sidecar
from seedance_desktop.core.policy import Decision, Pause
from seedance_desktop.core.upload_cache import (
    INLINE_IMAGE_BYTES,
    SIGNED_QUERY_MARK,
    UploadCache,
    data_uri,
    sendable,
    sha256_file,
    stored_upload_url,
)
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.errors import ConformCancelled
from seedance_desktop.media.verify import check_result_video

log = logging.getLogger(__name__)

LAST_FRAME_SUFFIX = ".last.png"
PART_SUFFIX = ".part"
def sendable_upload_url(item: InputFile) -> str | None:
    """The stored uploaded URL when it can be sent as it is (None: not uploaded, or its signed
    query or inline data was only kept in memory)."""
    return sendable(item.uploaded_url)


def request_with_urls(job: Job, url_of: Callable[[InputFile], str | None] = sendable_upload_url) -> dict[str, Any]:
    """The request as it is sent: every local input replaced by its uploaded URL."""
    missing = [f"{i.field}[{i.index}]" for i in job.inputs if not url_of(i)]
    if missing:
        raise ValueError(f"input {', '.join(missing)} has not been uploaded")
    return place_inputs(job, url_of)


@dataclass(frozen=True)
class ResultLinks:
    """A task's signed result URLs (in memory only): the video candidates, best first (a
    typed video, then unknown kinds, then the rest, SPEC section 4), and the last frame."""

    videos: tuple[str, ...]
    last: str | None

    @classmethod
    def of(cls, info: TaskInfo) -> "ResultLinks":
        last = info.last_frame.url if info.last_frame else None
        urls = [r.url for r in info.candidates]
        videos = tuple(u for u in urls if u != last) or tuple(urls)
        return cls(videos, last)


def expected_seconds(request: dict[str, Any]) -> float | None:
    """The output duration the request asked for (None: not a plain positive number)."""
    value = request.get("duration")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        return None
    return float(value)


def upload_source(item: InputFile) -> str:
    """The file to upload for an input: its conformed copy if preparing made one."""
    return item.prepared_path or item.local_path


#: How many result files are downloaded or decode-checked at the same time. Each runs in a worker
#: thread of this process, and every such thread competes with the event loop for the GIL: when
#: tens of jobs finish together (200 polled jobs, tests/benchmarks/polling.py), six of them at
#: once (asyncio's default pool on two cores) stretched the loop's poll round trips to seconds and
#: the median detection lag from ~1.7 s to ~3.6 s. Two keep a slow download from holding up the
#: rest while leaving the loop on time; the others wait (DOWNLOADING, no bytes yet) in order.
DOWNLOAD_LANES = 2


class JobRunner:
    """See the module docstring. ``client`` may be replaced at any time (a new key)."""

    def __init__(
        self,
        journal: Journal,
        scheduler: SlotScheduler,
        gate: PauseGate,
        budget: RequestBudget,
        client: ModellixClientProtocol | None,
        *,
        downloader: Downloader,
        preparer: InputPreparer | None,
        output_dir: Path,
        naming_template: str = DEFAULT_TEMPLATE,
        rng: random.Random,
        time_scale: float = 1.0,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        workers: WorkerThreads | None = None,
        uploads: UploadCache | None = None,
    ) -> None:
        self._workers = workers or WorkerThreads()
        #: Hosted files by the SHA-256 of their bytes: the same bytes are uploaded once.
        self._uploads = uploads or UploadCache()
        self._upload_locks: dict[str, asyncio.Lock] = {}
        self._journal = journal
        self._store = journal.store
        self._scheduler = scheduler
        self._gate = gate
        self._budget = budget
        self.client = client
        self._downloader = downloader
        self._preparer = preparer
        self.output_dir = output_dir
        self.naming_template = naming_template
        self._rng = rng
        self._time_scale = time_scale
        self._wall = wall_clock
        self._clock = clock
        self._prepare_lock = asyncio.Lock()
        #: At most this many result files are fetched or checked at once (see DOWNLOAD_LANES).
        self._download_lanes = asyncio.Semaphore(DOWNLOAD_LANES)
        #: Signed result URLs by job id: in memory only, never in the store.
        self._result_urls: dict[str, ResultLinks] = {}
        #: Signed uploaded-file URLs by (job id, field, index): in memory only (see
        #: :func:`stored_upload_url`).
        self._signed_uploads: dict[tuple[str, str, int], str] = {}
        #: Jobs whose final files must be fetched again even though they exist ("download again").
        self._overwrite: set[str] = set()
        self._submitting: set[str] = set()
        self._no_submits = asyncio.Event()
        self._no_submits.set()
        self._upload_failures: dict[str, int] = {}
        self._submit_failures = 0

    # ====================================================================== entry points

    def needs_preparing(self, job: Job) -> bool:
        return self._preparer is not None and any(not i.uploaded_url for i in job.inputs)

    async def run(self, job_id: str) -> None:
        """Carry one job as far as it goes now (called by the scheduler as the job's task)."""
        job: Job | None = self._store.get(job_id)
        if job is not None and job.state is JobState.QUEUED:
            job = await self._prepare(job)
            if job is not None:
                job = await self._upload_inputs(job)
            if job is not None:
                job = await self._submit(job)
        if job is not None and job.state in (JobState.SUBMITTED, JobState.PROCESSING):
            job = await self._poll(job)
        if job is not None and job.state is JobState.DOWNLOADING:
            await self._download(job)

    def resume(self, job: Job) -> None:
        """Pick up an unfinished job (at start-up, or after its runner died of an error)."""
        target = policy.resume_state(job.state)
        if target is JobState.OUTCOME_UNKNOWN and job.id not in self._submitting:
            reason = ("The app stopped while this job was being sent, so it may or may not have reached "
                      "Modellix. It was not re-sent, to avoid paying twice. Check your Modellix dashboard, "
                      "then choose 'Submit again' if it is not there.")
            self._journal.commit(job.id, target, reason, error=reason)
        elif target is JobState.QUEUED:
            self._journal.commit(job.id, target, f"{job.state.label} interrupted; it will start again.")
        elif job.state in (JobState.SUBMITTED, JobState.PROCESSING):
            self._scheduler.start_runner(job.id, slot=True)
        elif job.state is JobState.DOWNLOADING:
            self._scheduler.start_runner(job.id, slot=False)

    def fetch_again(self, job_id: str, *, overwrite: bool) -> None:
        """Before "download again": forget cached links (the task is asked for fresh ones)."""
        self._result_urls.pop(job_id, None)
        if overwrite:
            self._overwrite.add(job_id)

    async def submits_settled(self) -> None:
        """Return once no POST is on the wire (stop() gives those a grace period)."""
        await self._no_submits.wait()

    # ====================================================================== prepare

    async def _prepare(self, job: Job) -> Job | None:
        """QUEUED -> PREPARING -> (slot) ... The preparer runs in a worker thread, one job at a
        time; its conformed copies are persisted before anything is uploaded."""
        if self._preparer is None or not self.needs_preparing(job):
            return job
        preparer = self._preparer
        cancel = self._scheduler.cancel_event(job.id)
        try:
            async with self._prepare_lock:
                job = self._journal.commit(job.id, JobState.PREPARING, "Checking and preparing the inputs.")
                progress = self._journal.fraction_relay(job.id)
                try:
                    # Conforming takes every core: at a lower priority the window stays smooth.
                    inputs = await self._workers.run_low_priority(preparer.prepare, job, progress=progress,
                                                                  cancel=cancel)
                except ConformCancelled:
                    self._back_to_queue_unless_cancelled(job.id, "Preparing interrupted; it will start again.")
                    return None
                except SeedanceError as error:
                    self._journal.commit(job.id, JobState.FAILED, error.user_message, error=error.user_message)
                    return None
                except asyncio.CancelledError:
                    self._back_to_queue_unless_cancelled(job.id, "Preparing interrupted; it will start again.")
                    raise
                job = self._journal.update(job.id, inputs=inputs)
        finally:
            self._scheduler.leave_lane(job.id)
        self._journal.progress(job.id, None)
        if not self._scheduler.take_slot_now(job.id):
            job = self._journal.commit(job.id, JobState.QUEUED, "Prepared; waiting for a free slot.")
            await self._scheduler.wait_for_slot(job.id)
        return self._store.get(job.id)

    def _back_to_queue_unless_cancelled(self, job_id: str, reason: str) -> None:
        current = self._store.find(job_id)
        if current is not None and current.state in (JobState.PREPARING, JobState.UPLOADING):
            self._journal.commit(job_id, JobState.QUEUED, reason)

    # ====================================================================== upload + submit

    def _client(self) -> ModellixClientProtocol:
        if self.client is None:
            raise RuntimeError("no Modellix client (no API key yet)")
        return self.client

    async def _upload_inputs(self, job: Job) -> Job | None:
        """Upload every input without a URL (-> UPLOADING), its conformed copy when there is
        one. Each URL is persisted as soon as it is known."""
        pending = [i for i in job.inputs if not self._upload_url(job.id, i)]
        if not pending:
            return job
        job = self._journal.commit(job.id, JobState.UPLOADING, f"Uploading {len(pending)} local file(s).")
        sizes = {str(Path(upload_source(i))): _size(upload_source(i)) for i in pending}
        total = sum(sizes.values()) or 1
        done_before = 0
        cancel = self._scheduler.cancel_event(job.id)
        for position, item in enumerate(job.inputs):
            if self._upload_url(job.id, item):
                continue
            base = done_before
            source = Path(upload_source(item))
            key = (job.id, item.field, item.index)

            def on_progress(sent: int, _total: int, base: int = base) -> None:
                self._journal.progress(job.id, min(1.0, (base + sent) / total))

            try:
                if self._inline(job, item, sizes[str(source)]):
                    # A small image goes in the request itself: no upload, no File API slot.
                    uri = await self._workers.run(data_uri, source)
                    self._signed_uploads[key] = uri
                    inputs = list(job.inputs)
                    inputs[position] = replace(item, uploaded_url=stored_upload_url(uri), uploaded_file_id=None)
                    job = self._journal.update(job.id, inputs=inputs)
                    done_before += sizes[str(source)]
                    continue
                digest = await self._workers.run(sha256_file, source)
                # One upload per digest at a time: two jobs with the same clip wait for one upload.
                async with self._upload_locks.setdefault(digest, asyncio.Lock()):
                    uploaded = self._uploads.get(digest)
                    if uploaded is None:
                        await self._gate.wait_until_may_send()
                        await self._budget.acquire()
                        uploaded = await self._client().upload_file(source, progress=on_progress, cancel=cancel)
                        self._free(self._uploads.put(digest, uploaded, sizes[str(source)],
                                                     in_use=self._files_in_use()))
                    else:
                        log.info("job %s: %s[%d] already hosted (same bytes); not uploaded again", job.id,
                                 item.field, item.index)
            except (ModellixError, OSError) as error:
                if isinstance(error, RateLimitedError):
                    # The File API's quota (about 10 files) may be what is full: give back the
                    # idle files this app keeps for reuse before trying again.
                    self._free(self._uploads.evict_idle(self._files_in_use()))
                # Counted per job across requeues, so the back-off grows while a problem lasts.
                failures = self._upload_failures[job.id] = self._upload_failures.get(job.id, 0) + 1
                decision = policy.on_upload_error(error, now=self._clock(), failures=failures, rng=self._rng,
                                                  time_scale=self._time_scale)
                self._carry_out(job.id, error, decision)
                return None
            inputs = list(job.inputs)
            stored = stored_upload_url(uploaded.url)
            if stored != uploaded.url:
                self._signed_uploads[key] = uploaded.url
            inputs[position] = replace(item, uploaded_url=stored, uploaded_file_id=uploaded.file_id or None)
            job = self._journal.update(job.id, inputs=inputs)
            done_before += sizes[str(source)]
        self._upload_failures.pop(job.id, None)
        self._journal.progress(job.id, None)
        return job

    @staticmethod
    def _inline(job: Job, item: InputFile, size: int) -> bool:
        """Sent as a data URI: an image field that takes Base64, and a small file."""
        spec = MODELS.get(job.model)
        if spec is None or not spec.has_field(item.field):
            return False
        field = spec.field(item.field)
        return field.allow_base64 and field.media is MediaKind.IMAGE and 0 < size <= INLINE_IMAGE_BYTES

    def _files_in_use(self) -> set[str]:
        """File ids an unfinished job still needs (never deleted to make room)."""
        return {i.uploaded_file_id for j in self._store.unfinished() for i in j.inputs if i.uploaded_file_id}

    def _free(self, records: list[UploadRecord]) -> None:
        """Delete hosted files the cache gave up (best effort, in the background)."""
        client = self.client
        ids = [r.file_id for r in records if r.file_id]
        if client is None or not ids:
            return

        async def delete() -> None:
            for file_id in ids:
                try:
                    await client.delete_file(file_id)
                except ModellixError as error:
                    log.info("could not delete uploaded file %s: %s", file_id, error)

        self._scheduler.spawn(delete(), "free cached uploads")

    def _upload_url(self, job_id: str, item: InputFile) -> str | None:
        """The URL to send for an uploaded input: the signed one kept in memory, else the
        stored one when it was stored whole; None: (re-)upload it."""
        signed = self._signed_uploads.get((job_id, item.field, item.index))
        if signed and item.uploaded_url == stored_upload_url(signed):
            return signed
        return sendable_upload_url(item)

    async def _submit(self, job: Job) -> Job | None:
        """Build the body, commit SUBMITTING, POST once. Returns the submitted job or None."""
        try:
            spec = get_model(job.model)
            body = build_body(spec, request_with_urls(job, lambda item: self._upload_url(job.id, item)))
        except (ValidationError, KeyError, ValueError) as error:
            reason = policy.describe_validation(error) if isinstance(error, ValidationError) else f"Invalid job: {error}"
            self._journal.commit(job.id, JobState.FAILED, reason, error=reason)
            return None
        await self._gate.wait_until_may_send()
        await self._sleep_until(self._scheduler.submit_not_before)
        await self._budget.acquire()
        client = self.client
        if not self._gate.may_start or client is None or not self._scheduler.running:
            current = self._store.get(job.id)
            if current.state is not JobState.QUEUED:
                self._journal.commit(job.id, JobState.QUEUED, "Queue paused before submitting.")
            return None
        self._submitting.add(job.id)
        self._no_submits.clear()
        try:
            job = self._journal.commit(job.id, JobState.SUBMITTING, "Sending the job to Modellix.")
            try:
                result = await client.submit(spec, body)
            except asyncio.CancelledError:
                self._journal.commit(job.id, JobState.OUTCOME_UNKNOWN, "The app stopped while the job was being sent; "
                                     + SubmitOutcomeUnknownError.user_message,
                                     error=SubmitOutcomeUnknownError.user_message)
                raise
            except Exception as error:  # noqa: BLE001 - every failure is classified by policy
                self._submit_failures += 1
                decision = policy.on_submit_error(error, now=self._clock(), failures=self._submit_failures,
                                                  rng=self._rng, time_scale=self._time_scale)
                self._gate.note_submit_outcome(unknown=decision.state is JobState.OUTCOME_UNKNOWN)
                if decision.task_id is not None:
                    # A refusal that nevertheless names a task: track it, never post again.
                    self._note(error, decision)
                    return self._journal.commit(job.id, JobState.SUBMITTED, decision.reason,
                                                task_id=decision.task_id, error=None)
                if decision.state is JobState.QUEUED and decision.retry_at is not None:
                    self._scheduler.hold_submits(decision.retry_at)
                self._carry_out(job.id, error, decision)
                return None
        finally:
            self._submitting.discard(job.id)
            if not self._submitting:
                self._no_submits.set()
        self._submit_failures = 0
        for key in [k for k in self._signed_uploads if k[0] == job.id]:
            del self._signed_uploads[key]
        self._gate.note_submit_outcome(unknown=False)
        state = JobState.PROCESSING if result.status is TaskStatus.PROCESSING else JobState.SUBMITTED
        reason = f"Accepted by Modellix as {result.task_id}."
        if result.refused:
            # A refusal that nevertheless names a task (SPEC section 5): a task to track, never
            # one to post again.
            reason = (f"Modellix answered '{result.refused}' but named task {result.task_id}; "
                      "tracking it instead of sending again.")
        return self._journal.commit(job.id, state, reason, task_id=result.task_id, result_url=result.result_url,
                                    error=None)

    def _note(self, error: BaseException, decision: Decision) -> None:
        """The side effects every decision may carry: a 429 in the budget (once per error),
        a pause."""
        if decision.rate_limited or isinstance(error, RateLimitedError):
            retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
            self._budget.note_rate_limited(self._clock() + retry_after if retry_after else None)
        if decision.pause is Pause.EVERYTHING:
            self._gate.block_everything(decision.reason)
        elif decision.pause is Pause.SUBMITTING:
            self._gate.block_submitting(decision.reason)

    def _carry_out(self, job_id: str, error: BaseException, decision: Decision) -> None:
        """Apply a decision that ends this runner: new state, pause, back-off, rate limit."""
        self._note(error, decision)
        if decision.retry_at is not None:
            self._scheduler.hold_job(job_id, decision.retry_at)
        if decision.state is not None:
            failed = decision.state in (JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED)
            current = self._store.get(job_id).state
            if current is not decision.state:
                self._journal.commit(job_id, decision.state, decision.reason,
                                     error=decision.reason if failed else None)

    # ====================================================================== polling

    async def _fetch_task(self, job: Job, failures: int) -> tuple[TaskInfo | None, Decision | None]:
        await self._gate.wait_until_may_send()
        await self._budget.acquire()
        assert job.task_id
        try:
            return await self._client().get_task(job.task_id, job.result_url), None
        except Exception as error:  # noqa: BLE001 - classified by policy; polling never dies
            decision = policy.on_poll_error(error, now=self._clock(), failures=failures + 1, rng=self._rng,
                                            time_scale=self._time_scale)
            self._note(error, decision)
            return None, decision

    async def _poll(self, job: Job) -> Job | None:
        """Poll until the task is final. No client-side deadline: only the server ends it."""
        window = policy.expected_window(job.request)
        polls = failures = 0
        not_before: float | None = None
        while True:
            # The submit time is stored as wall time; the schedule runs on the monotonic clock.
            now = self._clock()
            submitted = now - max(0.0, self._wall() - (job.submitted_at or job.updated_at))
            at = policy.next_poll_at(now=now, submitted_at=submitted, polls=polls, window=window,
                                     rng=self._rng, not_before=not_before, time_scale=self._time_scale)
            await self._sleep_until(at)
            info, problem = await self._fetch_task(job, failures)
            polls += 1
            if problem is not None:
                failures += 1
                if problem.state is not None:
                    self._journal.commit(job.id, problem.state, problem.reason, error=problem.reason)
                    return None
                not_before = problem.retry_at
                continue
            assert info is not None
            failures, not_before = 0, None
            decision = policy.on_task(info, job.state)
            if decision.state in (JobState.DOWNLOADING, JobState.FAILED):
                self._scheduler.spawn(self._release_uploads(job), "free uploaded inputs")
            if decision.state is JobState.DOWNLOADING:
                links = self._result_urls[job.id] = ResultLinks.of(info)
                return self._journal.commit(
                    job.id, JobState.DOWNLOADING, decision.reason, remote_video_url=links.videos[0],
                    remote_last_frame_url=links.last, cost=info.billing_amount, raw_task=scrub_urls(info.raw),
                )
            if decision.state is JobState.FAILED:
                self._journal.commit(job.id, JobState.FAILED, decision.reason, error=decision.reason,
                                     raw_task=scrub_urls(info.raw))
                return None
            if decision.state is not None:
                job = self._journal.commit(job.id, decision.state, decision.reason)

    async def _release_uploads(self, job: Job) -> None:
        """Free this job's uploads once the task is final and the server no longer reads them:
        the File API holds only about 10 files per team, so a busy queue would otherwise stall
        on 429s. Best effort (the delete path is unconfirmed, SPEC section 1)."""
        client = self.client
        if client is None:
            return
        for item in job.inputs:
            if not item.uploaded_file_id or self._uploads.owns(item.uploaded_file_id):
                continue  # the upload cache keeps its files for reuse and frees them itself
            try:
                await client.delete_file(item.uploaded_file_id)
            except ModellixError as error:
                log.info("could not delete uploaded input %s of job %s: %s", item.uploaded_file_id, job.id, error)

    # ====================================================================== download

    def _choose_paths(self, job: Job) -> Job:
        """Pick the final file names once, reserve them on disk and persist them, so a resumed
        download reuses the same ``.part``, a restart never produces a second copy under
        another name, and two jobs can never be given the same file (see :func:`_reserve`)."""
        if job.video_path:
            return job
        stem = render_name(self.naming_template, job, self._wall())
        while True:
            video = unique_path(self.output_dir, stem, ".mp4", companions=(".json", LAST_FRAME_SUFFIX, ".mp4.part"))
            if _reserve(video):
                break
        last = str(video.with_suffix("")) + LAST_FRAME_SUFFIX if job.remote_last_frame_url else None
        return self._journal.update(job.id, video_path=str(video), last_frame_path=last)

    async def _fetch_file(self, job_id: str, url: str, dest: Path, weight: tuple[float, float], *,
                          expect_kind: str) -> None:
        """One file via the (sync) downloader in a worker thread. Skipped when already final:
        the downloader only ever puts a complete file under the final name (by ``os.replace``
        of its ``.part``), and the name was reserved for this job alone. The downloader checks
        every URL and redirect hop against the client's base URL (SPEC section 10) and the
        first bytes against ``expect_kind``."""
        part = dest.with_name(dest.name + PART_SUFFIX)
        if job_id not in self._overwrite and dest.is_file() and not part.exists():
            return
        cancel = self._scheduler.cancel_event(job_id)
        start, span = weight

        def scale(done: int, total: int | None) -> float | None:
            return start + span * (done / total) if total else None

        progress = self._journal.progress_relay(job_id, scale)
        origin = getattr(self.client, "base_url", None)
        async with self._download_lanes:
            await self._workers.run(self._downloader, url, dest, progress=progress, cancel=cancel,
                                    allowed_origin=origin if isinstance(origin, str) else None,
                                    expect_kind=expect_kind)

    async def _verify(self, job: Job, dest: Path) -> None:
        """The file decodes as a video of about the requested duration (raises MediaError)."""
        seconds = expected_seconds(job.request)
        async with self._download_lanes:
            await self._workers.run(check_result_video, dest, expected_seconds=seconds or 0.0,
                                    tolerance=None if seconds else math.inf)

    def _discard_video(self, dest: Path) -> None:
        """Remove a bad result file (and its ``.part``) but keep the name reserved."""
        try:
            dest.unlink()
        except FileNotFoundError:
            pass
        discard_partial(dest)
        _reserve(dest)

    def _give_up(self, job_id: str, state: JobState, reason: str) -> None:
        self._overwrite.discard(job_id)
        self._journal.progress(job_id, None)
        self._journal.commit(job_id, state, reason, error=reason)

    async def _download(self, job: Job) -> Job | None:
        """Download the video, check that it plays, fetch the (optional) last frame, write the
        sidecar, commit DONE. A gone link is refetched with back-off for minutes before the job
        is EXPIRED; bytes that are not a playable video move to the next candidate resource,
        then refetch, then FAIL; every such end stays recoverable ("Download again")."""
        job = self._choose_paths(job)
        if job.id not in self._result_urls:
            # After a restart or for "download again": the store holds no signed URL.
            fresh, state, reason = await self._refetch(job)
            if fresh is None:
                self._give_up(job.id, state, reason)
                return None
            job = fresh
        failures = refetches = bad_rounds = index = 0
        gone_since: float | None = None
        while True:
            links = self._result_urls[job.id]
            index = min(index, len(links.videos) - 1)
            assert job.video_path
            dest = Path(job.video_path)
            has_last = bool(links.last and job.last_frame_path)
            try:
                await self._fetch_file(job.id, links.videos[index], dest, (0.0, 0.9 if has_last else 1.0),
                                       expect_kind="video")
                if not dest.is_file():
                    raise FileNotFoundError(job.video_path)  # never DONE without the file on disk
                await self._verify(job, dest)
                break
            except Exception as error:  # noqa: BLE001 - classified by policy
                now = self._clock()
                if policy.is_bad_result(error):
                    self._discard_video(dest)
                    if index + 1 < len(links.videos):
                        log.info("result %d of job %s is not a video (%s); trying the next", index, job.id[:8], error)
                        index += 1
                        continue
                    bad_rounds += 1
                    decision = policy.on_bad_result(error, now=now, rounds=bad_rounds, rng=self._rng,
                                                    time_scale=self._time_scale)
                else:
                    failures += 1
                    if isinstance(error, ResultGoneError):
                        gone_since = now if gone_since is None else gone_since
                    decision = policy.on_download_error(
                        error, now=now, failures=failures, refetches=refetches, rng=self._rng,
                        time_scale=self._time_scale, gone_for=now - gone_since if gone_since is not None else 0.0)
                if decision.state is not None:
                    self._give_up(job.id, decision.state, decision.reason)
                    return None
                log.info("download of job %s failed (%s); trying again", job.id[:8], decision.reason)
                await self._sleep_until(decision.retry_at or self._clock())
                if decision.refetch:
                    refetches += 1
                    fresh, state, reason = await self._refetch(job)
                    if fresh is None:
                        self._give_up(job.id, state, reason)
                        return None
                    job, index = fresh, 0
        notes = await self._fetch_last_frame(job)
        if notes is None:
            return None
        job = self._store.get(job.id)
        self._overwrite.discard(job.id)
        self._journal.progress(job.id, None)
        self._result_urls.pop(job.id, None)
        now = self._wall()
        final = replace(job, state=JobState.DONE, finished_at=now, error=None)
        try:
            await self._workers.run(write_sidecar, Path(str(job.video_path)), final)
        except OSError as error:
            # The video is complete, checked and in place: a full disk at the sidecar must
            # not turn into a crash-and-recover loop. DONE, with the note.
            notes.append(f"The recipe file (.json) beside the video could not be written "
                         f"({error.strerror or error}); the video itself is complete.")
        reason = " ".join(["Downloaded and checked.", *notes])
        return self._journal.commit(job.id, JobState.DONE, reason, finished_at=now, error=None)

    async def _fetch_last_frame(self, job: Job) -> list[str] | None:
        """The last frame is optional (SPEC section 4): any failure is a note on the DONE job,
        never a failed one. None: cancelled (the job stays DOWNLOADING, to resume)."""
        links = self._result_urls[job.id]
        if not job.last_frame_path:
            return []
        path = Path(job.last_frame_path)
        if not links.last:
            if not path.is_file():
                self._journal.update(job.id, last_frame_path=None)
            return []
        try:
            await self._fetch_file(job.id, links.last, path, (0.9, 0.1), expect_kind="image")
            return []
        except DownloadCancelled:
            return None
        except Exception as error:  # noqa: BLE001 - optional: every failure is only a note
            if isinstance(error, ResultGoneError):
                detail = f"its link answered HTTP {error.status}" if error.status else "its link is gone"
            else:
                detail = getattr(error, "user_message", "") or str(error)
            log.info("last frame of job %s not fetched: %s", job.id[:8], error)
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            discard_partial(path)
            self._journal.update(job.id, last_frame_path=None)
            return [f"The optional last frame could not be fetched ({detail})."]

    async def _refetch(self, job: Job) -> tuple[Job | None, JobState, str]:
        """Ask the task for fresh result URLs (retrying transient errors). Returns the job, or
        None with the state and reason to end in when no link can be had."""
        failures = 0
        while True:
            info, problem = await self._fetch_task(job, failures)
            if info is not None:
                if info.status is not TaskStatus.SUCCESS:
                    return None, JobState.EXPIRED, (
                        f"The result is no longer available: Modellix now reports the task as "
                        f"'{info.raw_status or info.status.value}'. " + policy.DOWNLOAD_AGAIN_HINT)
                if info.video is None and info.unsafe:
                    return None, JobState.FAILED, policy.unsafe_result_reason(info.unsafe[0])
                if not info.candidates:
                    return None, JobState.EXPIRED, ("The result is no longer available: Modellix's answer holds no "
                                                    "result link. " + policy.DOWNLOAD_AGAIN_HINT)
                previous = self._result_urls.get(job.id)
                links = ResultLinks.of(info)
                if links.last is None and previous is not None and previous.last:
                    links = replace(links, last=previous.last)
                self._result_urls[job.id] = links
                fields: dict[str, Any] = {"remote_video_url": links.videos[0], "remote_last_frame_url": links.last,
                                          "raw_task": scrub_urls(info.raw)}
                if links.last and not job.last_frame_path and job.video_path:
                    fields["last_frame_path"] = str(Path(job.video_path).with_suffix("")) + LAST_FRAME_SUFFIX
                return self._journal.update(job.id, **fields), JobState.EXPIRED, ""
            failures += 1
            assert problem is not None
            if problem.state is not None:
                return None, JobState.EXPIRED, (f"The result could not be fetched: {problem.reason} "
                                                + policy.DOWNLOAD_AGAIN_HINT)
            await self._sleep_until(problem.retry_at or self._clock())

    async def _sleep_until(self, when: float) -> None:
        delay = when - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)


def _reserve(video: Path) -> bool:
    """Claim ``video`` for one job by creating its empty ``.part`` exclusively (O_EXCL).

    ``unique_path`` only looks at the disk, so two jobs choosing names at the same moment (or
    two whose long prompts truncate to the same stem) could be handed the same path; the second
    job's "already final" check would then see the first job's file and call itself DONE with a
    video that is not its own, or find it gone when the first is removed. The exclusive create
    makes the choice atomic, across processes too."""
    video.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(str(video) + PART_SUFFIX, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


__all__ = ["JobRunner", "LAST_FRAME_SUFFIX", "ResultLinks", "SIGNED_QUERY_MARK", "expected_seconds",
           "request_with_urls", "sendable_upload_url", "stored_upload_url", "upload_source"]
