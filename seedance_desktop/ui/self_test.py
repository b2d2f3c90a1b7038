"""``seedance-desktop --self-test``: one whole job through the real window, then quit.

A hidden option for checking an installed app or a frozen bundle where nobody can look at it
(CI, ``QT_QPA_PLATFORM=offscreen``): the app starts as usual (normally in demo mode), and this
driver waits for the sample request in the form, presses Submit, waits for the job to be done
(upload, submit, polling, download, verification), plays the result until a frame reaches the
player's ``QVideoSink``, prints one ``SELF-TEST`` line of JSON (also written to
``self-test.json`` in the log folder: a windowed Windows build has no stdout) and closes the
window the normal way. The exit code says whether it all worked.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TIMEOUT = 240.0


async def _until(predicate: Callable[[], bool], deadline: float, what: str,
                 why: Callable[[], str] = lambda: "") -> None:
    """Wait (polling the widgets, which is all a user sees) until ``predicate`` holds; on
    timeout, ``why`` says what the window showed instead."""
    while not predicate():
        if time.monotonic() > deadline:
            shown = why()
            raise TimeoutError(f"timed out waiting for {what}" + (f" (it says: {shown})" if shown else ""))
        await asyncio.sleep(0.05)


async def drive(desktop: Any, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Run the job; returns what was seen (raises on failure)."""
    deadline = time.monotonic() + timeout
    result: dict[str, Any] = {}
    await asyncio.wait_for(desktop.ready.wait(), timeout)
    form, controller = desktop.form, desktop.controller
    _model, _request, inputs = form.recipe()
    result["sample_in_form"] = inputs[0].local_path if inputs else ""
    await _until(lambda: bool(form.submit_action.isEnabled()), deadline, "the form to accept its request",
                 form.invalid_reason)
    added: list[str] = []
    controller.job_added.connect(added.append)
    form.submit_action.trigger()
    await _until(lambda: bool(added), deadline, "the job to be queued")
    job_id = added[0]

    def final() -> bool:
        job = controller.job(job_id)
        return job is not None and job.state.is_final

    await _until(final, deadline, "the job to finish")
    job = controller.job(job_id)
    result["state"] = job.state.value
    if job.state.value != "done":
        raise RuntimeError(f"the job ended {job.state.value}: {job.error or ''}")
    frames: list[tuple[int, int]] = []
    desktop.player.video_sink.videoFrameChanged.connect(
        lambda frame: frames.append((frame.width(), frame.height())) if frame.isValid() else None)
    if not job.video_path:
        raise RuntimeError("the job is done but names no video file")
    desktop.player.play_file(job.video_path)  # the downloaded result, not an input
    await _until(lambda: bool(frames), deadline, "a video frame in the player")
    desktop.player.stop()
    result["frame"] = list(frames[0])
    result["output"] = job.video_path
    return result


async def run(desktop: Any, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Drive one job, report on stdout, close the window; 0 when everything worked."""
    try:
        result = await drive(desktop, timeout)
        code = 0
    except Exception as exc:  # noqa: BLE001 - reported as the test's outcome
        result = {"error": f"{type(exc).__name__}: {exc}"}
        code = 1
    result["ok"] = code == 0
    line = "SELF-TEST " + json.dumps(result)
    if sys.stdout is not None:  # a windowed build on Windows has no stdout at all
        print(line, flush=True)
    try:  # ...so the outcome is also left beside the log
        (desktop.paths.log_dir / "self-test.json").write_text(line + "\n", encoding="utf-8")
    except OSError:
        pass
    desktop.request_close()
    return code


__all__ = ["drive", "run"]
