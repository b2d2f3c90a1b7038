"""Qt-free helpers of the controller: bounded waits, status-bar counts, user messages and the
key check. Kept apart so the controller module stays about the async/Qt seam itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from seedance_desktop.core.job import Job, JobState

log = logging.getLogger("seedance_desktop.ui.controller")

_RUNNING_STATES = (JobState.UPLOADING, JobState.SUBMITTING, JobState.SUBMITTED,
                   JobState.PROCESSING, JobState.DOWNLOADING)
_ATTENTION_STATES = (JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED)


#: Quitting never waits longer than this for the engine: every job is persisted before each
#: externally visible step, so an engine that does not stop in time loses nothing.
STOP_TIMEOUT = 10.0


async def bounded(coro: Coroutine[Any, Any, Any], timeout: float, what: str) -> bool:
    """Await ``coro`` for at most ``timeout`` s; unlike ``wait_for`` never waits on a task that
    ignores its cancellation. False (and a log line) when it failed or took too long."""
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        log.warning("%s took longer than %.0f s; going on without it", what, timeout)
        return False
    if task.exception() is not None:
        log.warning("%s failed: %s", what, task.exception())
        return False
    return True


def summarize_counts(by_state: dict[JobState, int]) -> dict[str, int]:
    """The four numbers the status bar shows."""
    return {
        "queued": by_state.get(JobState.QUEUED, 0),
        "running": sum(by_state.get(s, 0) for s in _RUNNING_STATES),
        "done": by_state.get(JobState.DONE, 0),
        "failed": sum(by_state.get(s, 0) for s in _ATTENTION_STATES),
    }


def user_message(exc: BaseException, what: str = "") -> str:
    """What to tell the person: the typed error's own words, else a generic sentence."""
    message = getattr(exc, "user_message", None)
    if isinstance(message, str) and message:
        return message
    prefix = f"{what[:1].upper()}{what[1:]} failed" if what else "Something went wrong"
    return f"{prefix}: {exc}" if str(exc) else f"{prefix} ({type(exc).__name__})."


async def check_key_with_client(base_url: str, key: str) -> tuple[bool, float]:
    """Ask the server whether ``key`` works and what the balance is (a throw-away client)."""
    import httpx

    from seedance_desktop.api.client import ModellixClient

    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)) as http:
        client = ModellixClient(http, base_url, key)
        if not await client.validate_key():
            return False, 0.0
        return True, await client.balance()


def removal_message(job: Job) -> str:
    """What the Undo notice says after a removal: which job, and that no file was deleted."""
    prompt = " ".join(job.prompt.split())
    name = f"“{prompt[:40]}…”" if len(prompt) > 40 else (f"“{prompt}”" if prompt else "The job")
    if job.state is JobState.DONE and job.video_path:
        kept = f"The video is kept at {job.video_path}."
    else:
        kept = "No file was deleted."
    return f"{name} was removed from the list. {kept}"
