"""Worker threads the engine can wait for: a thread outliving the awaiting task is drained
before the engine's loop goes away (under qasync a late post into a dead loop crashed Qt)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from seedance_desktop.core.engine.workers import WorkerThreads


@pytest.mark.timeout(30)
def test_a_cancelled_call_is_still_waited_for_until_its_thread_returns() -> None:
    release = threading.Event()
    returned = threading.Event()

    def blocking() -> str:
        release.wait(10)
        returned.set()
        return "done"

    async def scenario() -> tuple[int, bool, int]:
        workers = WorkerThreads()
        task = asyncio.ensure_future(workers.run(blocking))
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        busy_after_cancel = workers.busy          # the task is gone, the thread is not
        asyncio.get_running_loop().call_later(0.1, release.set)
        drained = await workers.drain(10)
        return busy_after_cancel, drained, workers.busy

    busy_after_cancel, drained, busy_after_drain = asyncio.run(scenario())
    assert busy_after_cancel == 1
    assert drained and returned.is_set() and busy_after_drain == 0


@pytest.mark.timeout(30)
def test_drain_gives_up_after_its_timeout_and_says_so() -> None:
    release = threading.Event()

    async def scenario() -> bool:
        workers = WorkerThreads()
        task = asyncio.ensure_future(workers.run(release.wait, 10))
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        try:
            return await workers.drain(0.2)
        finally:
            release.set()

    assert asyncio.run(scenario()) is False


@pytest.mark.timeout(30)
def test_a_low_priority_call_runs_in_its_own_lowered_thread_and_leaves_the_executor_alone() -> None:
    from seedance_desktop.core.priority import BACKGROUND_NICENESS, thread_niceness

    seen: dict[str, object] = {}

    def heavy(word: str, *, times: int) -> str:
        seen["thread"] = threading.current_thread().name
        seen["niceness"] = thread_niceness()
        return word * times

    def failing() -> None:
        raise ValueError("bad input")

    async def scenario() -> tuple[str, object, object]:
        workers = WorkerThreads()
        answer = await workers.run_low_priority(heavy, "ab", times=2)
        with pytest.raises(ValueError, match="bad input"):
            await workers.run_low_priority(failing)
        # The executor's own thread (used next for a download, say) keeps its priority.
        executor_niceness = await workers.run(thread_niceness)
        assert workers.busy == 0
        return answer, executor_niceness, thread_niceness()

    answer, executor_niceness, loop_niceness = asyncio.run(scenario())
    assert answer == "abab" and seen["thread"] == "seedance-prepare"
    if thread_niceness() is not None:   # Linux: the conform's thread is lowered, nothing else
        assert isinstance(seen["niceness"], int) and seen["niceness"] >= BACKGROUND_NICENESS
        assert executor_niceness == loop_niceness
