"""The same engine runs unchanged on qasync's loop (the GUI's), not only a plain asyncio loop."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest

from engine_harness import MODEL, engine_rig, local_input, request_for, sha256
from seedance_desktop.core.job import Job, JobState


@pytest.mark.timeout(60)
def test_engine_runs_under_qasync(qapp: Any, tmp_path: Path, simulator: Any, clip: Path) -> None:
    import threading

    import qasync

    seen_threads: set[int] = set()

    async def main() -> Job:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            rig.engine.add_listener(lambda job: seen_threads.add(threading.get_ident()))
            job = rig.engine.enqueue(MODEL, request_for("under qasync"), local_input(clip))
            return await asyncio.wait_for(rig.engine.wait_for(job.id), 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        done = runner.run(main())
    # The closed loop's QObjects (qasync's signaller and timer) sit in a reference cycle: free
    # them here on the GUI thread. Left to a later cyclic GC, they may be destroyed on the
    # in-process simulator's thread while Qt dispatches events here: a segfault once in a full run.
    gc.collect()
    assert done.state is JobState.DONE
    assert sha256(done.video_path) == simulator.simulator.tasks()[done.task_id].video_sha256
    # Every listener call (state changes and worker-thread progress) arrived on the GUI thread.
    assert seen_threads == {threading.get_ident()}
