"""The crash test (issue 3 and issue 8, "Done when"): an engine in a child process is SIGKILLed
at chosen moments (during upload, submit, polling and download), and stopped with SIGHUP and
SIGTERM during submit and download (handled exactly as the CLI handles them: the worker installs
the CLI's own signal handlers), at least 30 times in all, restarted each time, and still every
job ends DONE exactly once:

* every one of the recipes ends with a DONE job whose file decodes as video of the requested
  duration (``media.verify.check_result_video``) and matches the simulator's record (size and
  SHA-256);
* a SIGHUP or SIGTERM stops the worker cleanly with the CLI's interrupted exit code;
* the simulator saw exactly one submit POST per job, except jobs left OUTCOME_UNKNOWN (a kill
  while SUBMITTING: zero or one), and never two for the same job. Jobs are identified by their
  prompt; an OUTCOME_UNKNOWN job is "submitted again" the way a person would, as a new linked
  attempt with its own prompt.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine_harness import MODEL, local_input, request_for, sha256
from seedance_desktop.cli.parser import EXIT_INTERRUPTED
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.store import JobStore
from seedance_desktop.media.verify import check_result_video

TIME_SCALE = 20.0
JOBS = 16
MIN_KILLS = 30
#: Stops the CLI handles gracefully, and the phases each must hit at least once.
GRACEFUL: dict[signal.Signals, tuple[str, ...]] = {signal.SIGHUP: ("submit", "download"),
                                                   signal.SIGTERM: ("submit", "download")}
WORKER = Path(__file__).with_name("crash_worker.py")
PHASES: dict[str, set[str]] = {
    "upload": {"uploading"},
    "submit": {"submitting"},
    "poll": {"submitted", "processing"},
    "download": {"downloading"},
}


def _states(db: Path) -> dict[str, tuple[str, str]]:
    """id -> (state, prompt), read by a separate connection while the child writes (WAL)."""
    con = sqlite3.connect(db, timeout=5.0)
    try:
        rows = con.execute("SELECT id, state, request FROM jobs").fetchall()
    finally:
        con.close()
    import json

    return {row[0]: (row[1], json.loads(row[2]).get("prompt", "")) for row in rows}


def _spawn(sim: Any, db: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    ready = log.with_name("worker.ready")
    ready.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
               CRASH_READY_FILE=str(ready))
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, str(WORKER), sim.base_url, sim.api_key, str(db), str(out), str(TIME_SCALE)],
            stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env,
        )


def _plan() -> list[tuple[str, signal.Signals]]:
    """20 SIGKILLs across the four phases, with SIGHUP and SIGTERM (during submit and during
    download, three of each) interleaved: 32 stops in all."""
    kills = [(phase, signal.SIGKILL) for phase in PHASES] * 5
    graceful = [(phase, sig) for _ in range(3) for sig, phases in GRACEFUL.items() for phase in phases]
    plan: list[tuple[str, signal.Signals]] = []
    for i, step in enumerate(kills):
        plan.append(step)
        if i % 2 == 1 and graceful:
            plan.append(graceful.pop(0))
    return plan + graceful


def _submit_again_unknown(db: Path) -> int:
    """What a person does with OUTCOME_UNKNOWN jobs: 'Submit again' (a new linked attempt).
    The attempt gets its own prompt so the simulator's records tell the two apart."""
    store = JobStore(db)
    added = 0
    try:
        jobs = store.list()
        retried = {j.attempt_of for j in jobs if j.attempt_of}
        for job in jobs:
            if job.state is JobState.OUTCOME_UNKNOWN and job.id not in retried:
                request = dict(job.request, prompt=f"{job.prompt} / again")
                store.add(Job(model=job.model, request=request, attempt_of=job.id, inputs=[
                    type(i)(field=i.field, index=i.index, local_path=i.local_path) for i in job.inputs
                ], position=store.next_position()))
                added += 1
    finally:
        store.close()
    return added


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_engine_survives_sigkill_sighup_and_sigterm_at_any_moment(tmp_path: Path, simulator_factory: Any, clip: Path) -> None:
    sim = simulator_factory(time_scale=TIME_SCALE, pending_seconds=6.0, processing_seconds=(50.0, 90.0),
                            upload_quota=1000)
    rng = random.Random(20260824)
    db, out, log = tmp_path / "jobs.sqlite3", tmp_path / "out", tmp_path / "worker.log"

    # A hosted copy of the clip for the jobs that use a URL instead of a local file.
    with httpx.Client() as http:
        with clip.open("rb") as handle:
            answer = http.post(f"{sim.base_url}/api/v1/media/files", files={"file": ("clip.mp4", handle, "video/mp4")},
                               headers={"Authorization": f"Bearer {sim.api_key}"})
        hosted = answer.json()["data"]["url"]
    store = JobStore(db)
    for i in range(JOBS):
        if i % 3 == 2:
            store.add(Job(model=MODEL, request=request_for(f"crash job {i}", hosted), position=i))
        else:
            store.add(Job(model=MODEL, request=request_for(f"crash job {i}"), inputs=local_input(clip), position=i))
    store.close()

    kills: list[tuple[str, signal.Signals, set[str]]] = []
    plan = _plan()
    assert len(plan) >= MIN_KILLS
    started = time.monotonic()
    while len(kills) < len(plan):
        assert time.monotonic() - started < 240, f"too slow: {len(kills)} kills so far; see {log.read_text()[-2000:]}"
        target, sig = plan[len(kills)]
        child = _spawn(sim, db, out, log)
        try:
            deadline = time.monotonic() + 3.0
            hit: set[str] = set()
            while time.monotonic() < deadline and child.poll() is None:
                hit = {state for state, _ in _states(db).values()} & PHASES[target]
                if target == "download" and not any(p.stat().st_size for p in out.glob("*.part")):
                    hit = set()  # wait until bytes are on disk, so the kill leaves a .part to resume
                if hit:
                    break
                time.sleep(0.005)
            assert child.poll() is None, f"the worker ended early (all done after {len(kills)} kills?): {log.read_text()[-2000:]}"
            time.sleep(rng.uniform(0.0, 0.06))
            present = {state for state, _ in _states(db).values()}
            if sig is not signal.SIGKILL:  # the worker (like the CLI) handles it once it runs
                ready_by = time.monotonic() + 20
                while not log.with_name("worker.ready").exists():
                    assert time.monotonic() < ready_by and child.poll() is None, log.read_text()[-2000:]
                    time.sleep(0.01)
            os.kill(child.pid, sig)
            if sig is not signal.SIGKILL:  # a clean stop, with the CLI's exit code
                code = child.wait(30)
                assert code == EXIT_INTERRUPTED, f"{sig.name} -> exit {code}: {log.read_text()[-2000:]}"
        finally:
            if child.poll() is None:
                child.kill()
            child.wait(10)
        kills.append((target if hit else "random", sig, present))
        _submit_again_unknown(db)

    # Let it finish: restart until nothing is unfinished (attempts for new unknowns included).
    for _ in range(5):
        child = _spawn(sim, db, out, log)
        try:
            assert child.wait(120) == 0, log.read_text()[-3000:]
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        if not _submit_again_unknown(db):
            break

    # ---- verdicts -------------------------------------------------------------------------
    hit_phases = Counter(target for target, sig, _ in kills if sig is signal.SIGKILL)
    hit_graceful = Counter((sig.name, target) for target, sig, _ in kills if sig is not signal.SIGKILL)
    assert len(kills) >= MIN_KILLS
    for phase in PHASES:
        assert hit_phases[phase] >= 1, f"no kill landed during {phase}: {hit_phases}"
    for sig, phases in GRACEFUL.items():
        for phase in phases:
            assert hit_graceful[(sig.name, phase)] >= 1, f"no {sig.name} landed during {phase}: {hit_graceful}"
        assert log.read_text().count(f"STOPPED by {sig.name}") == sum(1 for _, s, _ in kills if s is sig)

    store = JobStore(db)
    try:
        jobs = store.list()
    finally:
        store.close()
    by_id = {j.id: j for j in jobs}
    tasks = sim.simulator.tasks()
    posts_per_prompt = Counter(record.body["prompt"] for record in tasks.values())
    assert sim.simulator.request_counts()["submit"] == len(tasks)  # nothing was refused
    assert all(n == 1 for n in posts_per_prompt.values()), posts_per_prompt  # never two for a job
    unknown = [j for j in jobs if j.state is JobState.OUTCOME_UNKNOWN]
    for job in jobs:
        assert job.state in (JobState.DONE, JobState.OUTCOME_UNKNOWN), (job.prompt, job.state, job.error)
        if job.state is JobState.DONE:
            assert posts_per_prompt[job.prompt] == 1
            record = tasks[job.task_id]
            assert record.body["prompt"] == job.prompt
            assert Path(job.video_path).stat().st_size == record.video_size
            assert sha256(job.video_path) == record.video_sha256
            check_result_video(job.video_path, expected_seconds=float(job.request["duration"]))  # it decodes
            assert Path(job.video_path).with_suffix(".json").exists()
    for job in unknown:
        assert posts_per_prompt[job.prompt] in (0, 1)
    # Every recipe ends DONE: follow each original job's chain of attempts.
    originals = [j for j in jobs if j.attempt_of is None]
    assert len(originals) == JOBS
    children = {j.attempt_of: j for j in jobs if j.attempt_of}
    for job in originals:
        while job.state is JobState.OUTCOME_UNKNOWN:
            job = children[job.id]
        assert job.state is JobState.DONE
    # No stray files: one video per DONE job, no .part left behind.
    videos = sorted(p.name for p in out.glob("*.mp4"))
    assert len(videos) == sum(1 for j in jobs if j.state is JobState.DONE)
    assert not list(out.glob("*.part"))
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    resumed = log.read_text().count("RESUMED ")
    assert resumed >= 1  # a download cut by a kill continued from its .part
    print(f"stops: {len(kills)}; SIGKILL {dict(hit_phases)}; graceful {dict(hit_graceful)}; outcome-unknown: {len(unknown)}; jobs: {len(by_id)}; "
          f"downloads resumed from a .part: {resumed}")
