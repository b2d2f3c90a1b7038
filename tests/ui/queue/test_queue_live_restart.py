"""Issue 9 item 1, in live mode (a key and a base URL, no demo banner): after a restart the
queue shows the jobs already in the store, and new jobs appear, without the window being
resized. The model used to wait for the view to ask for the first page, which only a relayout
(the demo banner, a resize) ever did."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings, SettingsStore
from seedance_desktop.core.store import JobStore
from tests.ui.live_app import QT_NOISE


def _finished_jobs(db: Path, count: int) -> list[str]:
    with JobStore(db) as store:
        ids = []
        for n in range(count):
            job = store.add(Job(request={"prompt": f"earlier job {n}", "seed": n}))
            store.transition(job.id, JobState.CANCELLED, "cancelled before the restart")
            ids.append(job.id)
    return ids


@QT_NOISE
@pytest.mark.timeout(60)
def test_live_restart_shows_existing_and_new_jobs_without_a_resize(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.ui import app as appmod

    paths = AppPaths.from_env(tmp_path / "home").ensure()
    SettingsStore(paths.settings_file).save(Settings(base_url=simulator.base_url, output_dir=tmp_path / "out"))
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    earlier = _finished_jobs(paths.db_file, 3)

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths)
    qtbot.addWidget(desktop.window)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 20)
        assert desktop.runtime is not None and not desktop.runtime.demo
        view_model = desktop.panel.view.model()
        for _ in range(50):  # the first page arrives within a few loop turns, no relayout needed
            if view_model.rowCount() >= 3:
                break
            await asyncio.sleep(0.05)
        seen["rows_after_restart"] = view_model.rowCount()
        seen["banner"] = desktop.window.banner.isVisible()
        desktop.controller.submit(desktop.runtime.store.get(earlier[0]).model, {"prompt": "a new one", "seed": 9}, [])
        for _ in range(50):
            if view_model.rowCount() >= 4:
                break
            await asyncio.sleep(0.05)
        seen["rows_after_add"] = view_model.rowCount()
        newest = desktop.runtime.store.list(limit=10)[-1]
        seen["new_row_shown"] = newest.prompt == "a new one" and desktop.model.row_of(newest.id) is not None
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        seen["exit"] = await asyncio.wait_for(run, 20)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()
    assert seen["banner"] is False  # live mode, not demo
    assert seen["rows_after_restart"] == 3
    assert seen["rows_after_add"] == 4 and seen["new_row_shown"]
    assert seen["exit"] == 0
