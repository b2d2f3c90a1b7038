"""``download ID``: fetch a finished job's result again.

Two cases the engine does not cover on its own, because they need a person's decision:

* a ``done`` job whose video was deleted or moved (or ``--force``): fetch it again into the
  same place, asking Modellix for a fresh link first (result URLs are signed and expire);
* a ``failed`` job that *had* a task id (the task may well have succeeded and only the download
  failed): ``failed -> downloading -> done`` is an allowed transition for exactly this.

Jobs still in progress are left to the engine (the caller waits for them). The result is
downloaded in a worker thread (``api.download.download_file`` is synchronous), resuming a
``.part`` file when one exists, and the JSON sidecar is (re)written beside the video.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance_desktop.api.download import download_file
from seedance_desktop.api.errors import ModellixError, ResultGoneError
from seedance_desktop.api.tasks import TaskStatus
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE, render_name, unique_path, write_sidecar
from seedance_desktop.core.store import JobStore


class DownloadRefused(Exception):
    """This job has nothing that could be downloaded; ``str()`` says why and what to do."""


def _destination(runtime: Any, job: Job) -> Path:
    if job.video_path:
        previous = Path(job.video_path)
        if previous.parent.is_dir():
            return previous
    folder = Path(runtime.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    template = getattr(runtime.settings, "naming_template", None) or DEFAULT_TEMPLATE
    return unique_path(folder, render_name(template, job, time.time()), ".mp4")


async def download_job(runtime: Any, job_id: str, *, force: bool = False,
                       say: Callable[[str], None] = lambda _line: None) -> Job:
    """Bring ``job_id``'s result onto disk if it can be had; returns the job afterwards.

    Raises :class:`DownloadRefused` when there is nothing to download (never sent, cancelled,
    outcome unknown) and :class:`ModellixError` subclasses for network/API failures.
    """
    store: JobStore = runtime.store
    job: Job = store.get(job_id)
    if job.state is JobState.DONE and job.video_path and Path(job.video_path).is_file() and not force:
        say(f"Already downloaded: {job.video_path}")
        return job
    if not job.state.is_final:
        return job  # the engine is on it; the caller waits
    if not job.task_id or job.state in (JobState.CANCELLED, JobState.OUTCOME_UNKNOWN):
        raise DownloadRefused(
            f"job {job.id[:12]} is {job.state.value} and has no result on Modellix to download"
            + ("; if it is not on your Modellix dashboard, use 'submit-again'" if job.state is JobState.OUTCOME_UNKNOWN
               else "; run it again with 'retry'")
        )
    if job.state is JobState.EXPIRED:
        raise DownloadRefused(f"job {job.id[:12]}'s result has expired on Modellix; run it again with 'retry'")

    if job.state is JobState.FAILED and job.remote_video_url:
        # The task succeeded and only the download failed: the engine resumes it (with its
        # .part file, fresh links on 403/404/410, the last frame and the sidecar).
        say(f"[{job.id[:8]}] Resuming the download")
        resumed: Job = runtime.engine.retry(job.id)
        return resumed

    say(f"[{job.id[:8]}] Asking Modellix for a fresh result link…")
    info = await runtime.client.get_task(job.task_id, job.result_url)
    if info.status is not TaskStatus.SUCCESS or info.video is None:
        raise DownloadRefused(
            f"Modellix reports task {job.task_id} as {info.raw_status or info.status.value}"
            + (f" ({info.error_message})" if info.error_message else "") + "; there is no video to download"
        )
    was_failed = job.state is JobState.FAILED
    if was_failed:
        job = store.transition(job.id, JobState.DOWNLOADING, "download requested from the command line",
                               remote_video_url=info.video.url, error=None)
    dest = _destination(runtime, job)
    say(f"[{job.id[:8]}] Downloading to {dest}")
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        if total and now - last[0] >= 0.5:
            last[0] = now
            say(f"[{job.id[:8]}] Downloading {done * 100 // total:3d}%")

    try:
        await asyncio.to_thread(download_file, info.video.url, dest, progress=progress)
    except ResultGoneError as exc:
        if was_failed:
            store.transition(job.id, JobState.EXPIRED, "the result link no longer works", error=exc.user_message)
        raise
    except ModellixError as exc:
        if was_failed:
            store.transition(job.id, JobState.FAILED, "download failed", error=exc.user_message)
        raise
    fields: dict[str, Any] = {"video_path": str(dest), "remote_video_url": info.video.url}
    if info.billing_amount is not None:
        fields["cost"] = info.billing_amount
    if was_failed:
        job = store.transition(job.id, JobState.DONE, "downloaded from the command line",
                               finished_at=time.time(), **fields)
    else:
        job = store.update(job.id, **fields)
    write_sidecar(dest, job)
    return store.get(job.id)
