"""Demo mode: the simulator child that stands in for Modellix, and what a demo session leaves.

Demo mode starts the simulator as a *child process* (never in-process: a crash or a stuck render
in the fake must not take the app down or block its event loop) on 127.0.0.1 with a random port
and key. Demo jobs live in their own data folder (``<data>/demo``) and their videos in a
``Demo (simulated)`` subfolder of the output folder, so simulated results never mix with paid
ones. Each demo session starts the simulator child again on the same state folder
(``<data>/demo/simulator``, :func:`simulator_dir`): it keeps its tasks across sessions, so a demo
job that was processing when the app quit is polled and downloaded after the next start, as a
real Modellix task would be. Only jobs whose task the simulator no longer knows (its state was
deleted) are retired by :func:`retire_orphaned_demo_jobs`, with a reason.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
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
#: Subfolder of the demo data folder where the simulator keeps its tasks, uploads and renders.
SIMULATOR_SUBDIR = "simulator"


def demo_paths(paths: AppPaths) -> AppPaths:
    """Demo jobs get their own data folder (and so their own job database); config, cache and
    logs are shared."""
    return replace(paths, data_dir=paths.data_dir / "demo")


def simulator_dir(paths: AppPaths) -> Path:
    """The demo simulator's state folder for the (non-demo) app paths."""
    return demo_paths(paths).data_dir / SIMULATOR_SUBDIR


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


def start_simulator(time_scale: float | None = None, state_dir: Path | None = None) -> SimulatorProcess:
    """Start the demo simulator child on 127.0.0.1 (random port and key). With ``state_dir`` it
    keeps its tasks there and continues the previous session's. Blocking: call it through
    ``asyncio.to_thread`` from a running loop. Returns the started SimulatorProcess."""
    from seedance_desktop.simulator.launcher import SimulatorProcess

    scale = time_scale if time_scale is not None else demo_time_scale()
    args: tuple[str, ...] = ("--time-scale", f"{scale:g}")
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        args += ("--data-dir", str(state_dir), "--persist")
    process = SimulatorProcess(args)
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


def known_demo_tasks(state_dir: Path) -> set[str]:
    """The task ids the demo simulator kept in ``state_dir`` (blocking: reads its state file)."""
    from seedance_desktop.simulator.persist import known_task_ids

    return known_task_ids(state_dir)


def retire_orphaned_demo_jobs(store: JobStore, known_tasks: Collection[str] = ()) -> int:
    """Unfinished demo jobs whose task the simulator does not know (``known_tasks``: the ones
    it kept) are marked failed with a reason; queued ones forget their uploads (the URLs named
    the previous session's port; they are uploaded again). Jobs with a kept task are left to
    the engine, which polls and downloads them. Returns how many jobs were retired."""
    retired = 0
    known = set(known_tasks)
    for job in store.unfinished():
        if job.task_id and job.task_id in known:
            continue
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
            "the demo simulator no longer knows this job's task (its saved state is gone)",
            error="The demo server no longer knows this job (its saved state was removed). Retry it to run it again.",
        )
        retired += 1
    return retired


__all__ = ["DEMO_OUTPUT_SUBDIR", "DEMO_TIME_SCALE", "DEMO_TIME_SCALE_ENV", "SIMULATOR_SUBDIR", "demo_paths",
           "demo_time_scale", "known_demo_tasks", "retire_orphaned_demo_jobs", "simulator_dir", "start_simulator",
           "stop_simulator"]
