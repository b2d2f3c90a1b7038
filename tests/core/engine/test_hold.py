"""Issue 8, case 7 in the engine: a job queued by a command-line process that died before sending
it is *held* by the next engine start (any face), skipped by the scheduler, and sent only by
``Engine.send``. Jobs of the window (no ``queued_by``) and of a live process are never held."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedance_desktop.core.engine import Action, Engine, EngineError
from seedance_desktop.core.engine.owner import HELD_REASON, process_alive, process_tag
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.store import JobStore


def _dead_tag() -> str:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    tag = process_tag("cli", child.pid)
    child.wait(30)
    return tag


def test_process_tags_tell_a_live_process_from_a_dead_or_reused_one() -> None:
    me = process_tag("cli")
    assert me.startswith(f"cli:{os.getpid()}:") and process_alive(me)
    assert not process_alive(_dead_tag())
    pid, started = me.split(":")[1:]
    if started != "?":  # a reused pid: same number, another start time
        assert not process_alive(f"cli:{pid}:{int(started) + 1}")
    assert not process_alive("garbage") and not process_alive("cli:x:1")


@pytest.mark.timeout(30)
def test_start_holds_only_unsent_jobs_of_dead_cli_processes(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    dead = _dead_tag()
    orphan = store.add(Job(request={"prompt": "orphan"}, queued_by=dead, position=1))
    uploading = store.add(Job(request={"prompt": "uploading"}, queued_by=dead, position=2))
    store.transition(uploading.id, JobState.UPLOADING, "test")
    window = store.add(Job(request={"prompt": "window"}, position=3))
    alive = store.add(Job(request={"prompt": "alive"}, queued_by=process_tag("cli"), position=4))
    sent = store.add(Job(request={"prompt": "sent"}, queued_by=dead, position=5))
    store.transition(sent.id, JobState.SUBMITTING, "test")
    store.transition(sent.id, JobState.SUBMITTED, "test", task_id="t-1")

    async def scenario() -> None:
        engine = Engine(store, None, output_dir=tmp_path / "out")  # the window's engine: no tag
        await engine.start()
        try:
            for job_id in (orphan.id, uploading.id):
                job = store.get(job_id)
                assert job.state is JobState.QUEUED and job.held == HELD_REASON
                assert job.history[-1].reason == HELD_REASON
                assert Action.SEND in engine.allowed_actions(job_id)
            for job_id in (window.id, alive.id):
                assert store.get(job_id).held is None
                assert Action.SEND not in engine.allowed_actions(job_id)
                with pytest.raises(EngineError):
                    engine.send(job_id)
            assert store.get(sent.id).held is None
            assert engine.hold_orphans() == []  # idempotent
            released = engine.send(orphan.id)
            assert released.held is None and released.state is JobState.QUEUED
            assert released.queued_by is None  # now the window's (an untagged engine)
        finally:
            await engine.stop()

    asyncio.run(scenario())
    store.close()


@pytest.mark.timeout(30)
def test_a_tagged_engine_stamps_the_jobs_it_queues(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    tag = process_tag("cli")
    engine = Engine(store, None, output_dir=tmp_path / "out", queued_by=tag)
    job = engine.enqueue("bytedance/seedance-2.0-fast-v2v", {"prompt": "x", "video_urls": ["https://e.x/a.mp4"]}, [])
    assert store.get(job.id).queued_by == tag
    cancelled = engine.cancel(job.id)
    again = engine.retry(cancelled.id)
    assert again.id != job.id and store.get(again.id).queued_by == tag
    store.close()
