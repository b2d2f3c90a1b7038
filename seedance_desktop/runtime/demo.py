"""Demo mode: the simulator child that stands in for Modellix, and what a demo session leaves.

Demo mode starts the simulator as a *child process* (never in-process: a crash or a stuck render
in the fake must not take the app down or block its event loop) on 127.0.0.1 with a random port
and key. Demo jobs live in their own data folder (``<data>/demo``) and their videos in a
``Demo (simulated)`` subfolder of the output folder, so simulated results never mix with paid
ones. Each demo session gets a fresh simulator that knows nothing of the previous session's
tasks: :func:`retire_orphaned_demo_jobs` says so on the jobs it left behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from seedance_desktop.core.job import FINAL_STATES, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore

if TYPE_CHECKING:
    from seedance_desktop.simulator.launcher import SimulatorProcess

log = logging.getLogger(__name__)

#: Simulated seconds per real second in demo mode. The simulator's tasks take 2 s pending plus
#: 30-90 s processing (simulated); at 6x a demo job finishes in roughly 6-16 s of real time.
DEMO_TIME_SCALE = 6.0
#: Overrides :data:`DEMO_TIME_SCALE` (tests set it high so a demo job takes a second or two).
DEMO_TIME_SCALE_ENV = "SEEDANCE_DEMO_TIME_SCALE"
#: Subfolder of the output folder for simulated results.
DEMO_OUTPUT_SUBDIR = "Demo (simulated)"


def demo_paths(paths: AppPaths) -> AppPaths:
    """Demo jobs get their own data folder (and so their own job database); config, cache and
    logs are shared."""
    return replace(paths, data_dir=paths.data_dir / "demo")


def demo_time_scale(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    raw = env.get(DEMO_TIME_SCALE_ENV)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
        log.warning("ignoring %s=%r (not a positive number)", DEMO_TIME_SCALE_ENV, raw)
    return DEMO_TIME_SCALE


def start_simulator(time_scale: float | None = None) -> SimulatorProcess:
    """Start the demo simulator child on 127.0.0.1 (random port and key). Blocking: call it
    through ``asyncio.to_thread`` from a running loop. Returns the started SimulatorProcess."""
    from seedance_desktop.simulator.launcher import SimulatorProcess

    scale = time_scale if time_scale is not None else demo_time_scale()
    process = SimulatorProcess(("--time-scale", f"{scale:g}"))
    process.start()
    pid = process.process.pid if process.process is not None else None
    log.info("demo simulator started: pid=%s url=%s time_scale=%g", pid, process.base_url, scale)
    return process


def stop_simulator(process: SimulatorProcess) -> None:
    """Stop the child (blocking; never raises: shutting down must go on)."""
    pid = process.process.pid if process.process is not None else None
    try:
        process.stop()
        log.info("demo simulator stopped: pid=%s", pid)
    except Exception:
        log.exception("stopping the demo simulator failed")


def retire_orphaned_demo_jobs(store: JobStore) -> int:
    """Unfinished demo jobs that reached the previous (stopped) simulator are marked failed
    with a reason; queued ones forget their uploads so they are uploaded again. Returns how
    many jobs were retired."""
    retired = 0
    for job in store.unfinished():
        if job.state is JobState.QUEUED:
            if any(i.uploaded_url for i in job.inputs):
                inputs = [replace(i, uploaded_url=None) for i in job.inputs]
                store.update(job.id, inputs=inputs)
            continue
        if job.state in FINAL_STATES:
            continue
        if job.state.is_local:  # PREPARING / UPLOADING: nothing reached the server
            store.transition(job.id, JobState.QUEUED, "the demo session that was preparing this job ended",
                             inputs=[replace(i, uploaded_url=None) for i in job.inputs])
            continue
        store.transition(
            job.id,
            JobState.FAILED,
            "the demo simulator that ran this job has stopped (demo jobs end with their session)",
            error="Demo session ended before this job finished. Retry it to run it again.",
        )
        retired += 1
    return retired


__all__ = ["DEMO_OUTPUT_SUBDIR", "DEMO_TIME_SCALE", "DEMO_TIME_SCALE_ENV", "demo_paths", "demo_time_scale",
           "retire_orphaned_demo_jobs", "start_simulator", "stop_simulator"]
