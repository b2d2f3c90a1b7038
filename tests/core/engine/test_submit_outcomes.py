"""Submit outcomes the engine carries out (SPEC section 5), over real loopback HTTP: a refusal
that names a task is tracked, never posted again; two unknown outcomes in a row pause new
submissions with the reason; a 429 reaches the shared budget exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine_harness import MODEL, engine_rig, hosted_url, request_for
from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.errors import RateLimitedError
from seedance_desktop.api.spec import ModelSpec
from seedance_desktop.api.tasks import SubmitResult, TaskInfo
from seedance_desktop.api.upload import UploadedFile
from seedance_desktop.core.job import JobState
from seedance_desktop.simulator.faults import Fault, FaultKind

S = JobState
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hosted(simulator: Any, clip: Path) -> str:
    return hosted_url(simulator.base_url, simulator.api_key, clip)


class RefusesNamingTheTask:
    """The real client, except that its first submit is answered like a hostile server would:
    the task IS created, but the answer is a 429 that carries the task id."""

    def __init__(self, inner: ModellixClient) -> None:
        self._inner = inner
        self.refused = 0

    async def submit(self, spec: ModelSpec, body: dict[str, Any]) -> SubmitResult:
        result = await self._inner.submit(spec, body)
        if self.refused == 0:
            self.refused += 1
            error = RateLimitedError("Concurrent limit exceeded", retry_after=1.0)
            error.task_id = result.task_id
            raise error
        return result

    async def get_task(self, task_id: str, url: str | None = None) -> TaskInfo:
        return await self._inner.get_task(task_id, url)

    async def delete_file(self, file_id: str) -> None:
        await self._inner.delete_file(file_id)

    async def upload_file(self, path: Path, **kwargs: Any) -> UploadedFile:
        return await self._inner.upload_file(path, **kwargs)


def test_a_refusal_naming_a_task_is_tracked_and_never_posted_again(tmp_path: Path, simulator: Any,
                                                                   hosted: str) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, start=False) as rig:
            rig.engine.set_client(RefusesNamingTheTask(rig.client))
            await rig.engine.start()
            job = rig.engine.enqueue(MODEL, request_for("refused but created", hosted), [])
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 30)
            assert done.state is S.DONE and done.task_id in simulator.simulator.tasks()
            assert simulator.simulator.request_counts()["submit"] == 1  # tracked, not re-posted
            assert rig.engine.budget.rate_limited_count == 1  # the 429, noted once

    asyncio.run(main())


def test_a_429_reaches_the_shared_budget_exactly_once(tmp_path: Path, simulator: Any, hosted: str) -> None:
    simulator.simulator.inject(Fault("submit", FaultKind.STATUS, status=429, headers={"Retry-After": "1"}))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = rig.engine.enqueue(MODEL, request_for("limited once", hosted), [])
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 30)
            assert done.state is S.DONE
            assert simulator.simulator.request_counts()["submit"] == 2
            assert rig.engine.budget.rate_limited_count == 1

    asyncio.run(main())


def test_two_unknown_outcomes_in_a_row_pause_new_submissions(tmp_path: Path, simulator: Any, hosted: str) -> None:
    simulator.simulator.inject(Fault("submit", FaultKind.DROP, times=2, create_task=True))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=1) as rig:
            paused = asyncio.Event()
            reasons: list[str | None] = []

            def on_pause(is_paused: bool, reason: str | None) -> None:
                reasons.append(reason)
                if is_paused:
                    paused.set()

            rig.engine.add_pause_listener(on_pause)
            jobs = [rig.engine.enqueue(MODEL, request_for(f"unknown {i}", hosted), []) for i in range(3)]
            first = await asyncio.wait_for(rig.engine.wait_for(jobs[0].id), 20)
            second = await asyncio.wait_for(rig.engine.wait_for(jobs[1].id), 20)
            assert first.state is S.OUTCOME_UNKNOWN and second.state is S.OUTCOME_UNKNOWN
            await asyncio.wait_for(paused.wait(), 5)
            assert "unknown outcome" in (rig.engine.pause_reason or "") and "dashboard" in (rig.engine.pause_reason or "")
            assert rig.store.get(jobs[2].id).state is S.QUEUED
            assert simulator.simulator.request_counts()["submit"] == 2  # nothing more was sent

            rig.engine.resume()  # the person has looked
            third = await asyncio.wait_for(rig.engine.wait_for(jobs[2].id), 20)
            assert third.state is S.DONE
            assert simulator.simulator.request_counts()["submit"] == 3
            assert rig.store.get(jobs[0].id).state is S.OUTCOME_UNKNOWN  # never re-posted

    asyncio.run(main())
