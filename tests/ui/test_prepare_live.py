"""Acceptance, the window in live mode (a key and a base URL pointing at a simulator started
here; no demo banner): the 30 s 1080p, 4K 60 fps, VP9 WebM and 320x240 clips added in the form
each show the shared verdict, go through the PREPARING step with progress in the queue panel,
are uploaded conformed and end done; the simulator received only uploads within the limits."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

import pytest
import qasync

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prepare_live import FOUR, check_within_limits, make_four, record_uploads  # noqa: E402

from seedance_desktop.core.job import InputFile, JobState  # noqa: E402
from seedance_desktop.core.paths import AppPaths  # noqa: E402
from seedance_desktop.core.prepare import assess_inputs  # noqa: E402
from tests.ui.live_app import QT_NOISE, until, live_runtime_builder

MODEL = "bytedance/seedance-2.0-fast-v2v"


@QT_NOISE
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_four_clips_added_in_the_window_are_prepared_uploaded_conformed_and_done(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.ui import app as appmod
    from seedance_desktop.ui.queue.queue_model import COL_STATE, JobRole, ProgressRole, StateRole

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    clips = make_four(tmp_path / "clips")
    expected = {name: assess_inputs(MODEL, [InputFile("video_urls", 0, str(clip))])[0] for name, clip in clips.items()}
    received = record_uploads(simulator, tmp_path / "received")
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    builder = live_runtime_builder(simulator.base_url, tmp_path / "out", calls)

    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=shell)
    qtbot.addWidget(desktop.window)
    seen: dict[str, list[tuple[JobState, float | None, str]]] = {}

    def on_rows_changed(first: Any, last: Any, *_: Any) -> None:
        model = desktop.model
        for row in range(first.row(), last.row() + 1):
            index = model.index(row, COL_STATE)
            job = model.data(index, JobRole)
            if job is not None:
                seen.setdefault(job.id, []).append((model.data(index, StateRole), model.data(index, ProgressRole),
                                                    model.data(index)))

    result: dict[str, Any] = {"shown": {}}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        result["banner"] = desktop.window.banner.isVisible()
        desktop.model.dataChanged.connect(on_rows_changed)
        form = desktop.form
        form.set_recipe(MODEL, {"prompt": "[Video 1] as a watercolour", "duration": 4, "resolution": "480p"}, [])
        videos = form.media["video_urls"]
        for name in FOUR:
            videos.clear()
            videos.add_sources([str(clips[name])])
            await until(lambda: "↻" in videos.list.item(0).text(), 30, f"the verdict on {name}")
            result["shown"][name] = videos.list.item(0).text().splitlines()[-1]
            await until(form.submit_button.isEnabled, 10, "Submit to be enabled")
            form.submit_button.click()
        store = desktop.runtime.store
        await until(lambda: len(store.list()) == 4 and all(j.state.is_final for j in store.list()), 240,
                    "the four jobs to finish")
        result["jobs"] = store.list()
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        result["exit"] = await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert calls and calls[0]["demo"] is False and calls[0]["api_key"] == simulator.api_key  # live mode
    assert result["banner"] is False and result["exit"] == 0
    for name in FOUR:  # the form shows exactly the words the CLI prints
        assert result["shown"][name] == f"↻ {expected[name].message}"
    jobs = result["jobs"]
    assert [j.state for j in jobs] == [JobState.DONE] * 4, [(j.state, j.error) for j in jobs]
    by_source = {Path(j.inputs[0].local_path).name: j for j in jobs}
    for name in FOUR:
        job = by_source[clips[name].name]
        states = [t.new for t in job.history]
        # Prepared first (no server slot), then back in the queue for a slot, then uploaded.
        assert states[:2] == [JobState.QUEUED, JobState.PREPARING]
        assert [s for s in states[2:4] if s is not JobState.QUEUED][0] is JobState.UPLOADING
        preparing = [(p, text) for state, p, text in seen.get(job.id, []) if state is JobState.PREPARING]
        assert any(p is not None and text.startswith("Preparing ") and "%" in text for p, text in preparing), preparing
        (item,) = job.inputs
        plan = expected[name].plan
        assert plan is not None and item.prepared_note == plan.describe()
        assert item.prepared_path and Path(item.prepared_path).parent == paths.conform_dir
    assert len(received) == 4
    for upload in received:
        check_within_limits(upload)
    assert simulator.simulator.request_counts()["submit"] == 4
