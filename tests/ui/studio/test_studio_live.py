"""Acceptance of the media studio in the window, LIVE mode (a key and a base URL pointing at a
simulator started here; no demo banner), the end to end of issue 10: a 30 s 1080p clip is
trimmed to seconds 10-16 in the trim editor and cropped to 9:16, prepared, uploaded, submitted
and downloaded; the simulator receives a 6 s upload of 9:16 shape that passes every limit; the
result is compared A/B with its reference (frames of both, a frame step, a contact sheet); and a
second job continues from its last frame (the exact frame as first_frame_image, the result as
the reference video), submitted from the form and done."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QDialogButtonBox

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from prepare_live import check_within_limits, record_uploads  # noqa: E402
from clipbank import make  # noqa: E402  (prepare_live puts tests/media on the path)

from seedance_desktop.core.job import JobState  # noqa: E402
from seedance_desktop.core.paths import AppPaths  # noqa: E402
from seedance_desktop.media.edit import Framing  # noqa: E402
from tests.ui.live_app import QT_NOISE, until, live_runtime_builder  # noqa: E402

MODEL = "bytedance/seedance-2.0-fast-v2v"


@QT_NOISE
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_trim_crop_submit_compare_and_continue_in_the_window(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.media.probe import probe
    from seedance_desktop.ui import app as appmod

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    (tmp_path / "clips").mkdir()
    clip = make("30s_1080p", tmp_path / "clips")
    received = record_uploads(simulator, tmp_path / "received")
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    builder = live_runtime_builder(simulator.base_url, tmp_path / "out", calls)

    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=shell)
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        result["banner"] = desktop.window.banner.isVisible()
        form = desktop.form
        form.set_recipe(MODEL, {"prompt": "[Video 1] as a watercolour", "duration": 4, "resolution": "480p",
                                "ratio": "9:16"}, [])
        videos = form.media["video_urls"]
        videos.add_sources([str(clip)])
        await until(lambda: videos.cached_inspection(0) is not None, 60, "the clip to be inspected")
        videos.list.setCurrentRow(0)
        videos.trim_button.click()
        dialog = form.trim_dialog
        await until(lambda: dialog.images_ready, 60, "the filmstrip")
        result["default"] = (dialog.strip.start, dialog.strip.end)
        dialog.start_spin.setValue(10.0)
        dialog.end_spin.setValue(16.0)
        dialog.mode_buttons.button(1).click()   # Crop (centred)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        result["row"] = videos.list.item(0).text()
        await until(form.submit_button.isEnabled, 20, "Submit to be enabled")
        form.submit_button.click()
        store = desktop.runtime.store
        await until(lambda: len(store.list()) == 1 and store.list()[0].state.is_final, 240, "the first job")
        first = store.list()[0]
        result["first"] = first
        # Compare A/B, from the queue panel's action.
        panel = desktop.window.panel
        panel.select_job(first.id)
        panel.update_actions()
        result["compare_enabled"] = panel.job_actions["compare"].isEnabled()
        result["continue_enabled"] = panel.job_actions["continue"].isEnabled()
        panel.job_actions["compare"].trigger()
        compare = desktop.window.compare_dialog
        assert compare is not None
        await until(lambda: all(compare.frames_seen), 30, "frames of both videos")
        await until(lambda: compare.players[0].duration() > 0 and compare.fps_known, 30,
                    "the result's duration and frame rate")
        result["compare_framing"] = compare.view.framing
        compare.step(+1)
        compare.step(+1)
        await until(lambda: compare.players[0].position() > 0, 10, "the frame step")
        result["ref_at"] = (compare.players[0].position(), compare.reference_ms(compare.players[0].position()))
        compare.wipe.setChecked(True)
        compare.export_to(str(tmp_path / "sheet.png"))
        await until(lambda: compare.exported, 60, "the contact sheet")
        compare.close()
        # Continue from this result: the form gets the recipe, then it is submitted.
        panel.job_actions["continue"].trigger()
        await until(lambda: any(i.field == "first_frame_image" for i in form.recipe()[2]), 30,
                    "the continuation in the form")
        result["continued"] = form.recipe()
        await until(form.submit_button.isEnabled, 30, "Submit to be enabled for the continuation")
        form.submit_button.click()
        await until(lambda: len(store.list()) == 2 and all(j.state.is_final for j in store.list()), 240,
                    "the second job")
        # The same prepared clip again (Duplicate into form, submit): no new upload of it.
        panel.select_job(first.id)
        panel.update_actions()
        panel.job_actions["duplicate"].trigger()
        await until(lambda: any(i.trim_start == 10.0 for i in form.recipe()[2]), 30, "the duplicate in the form")
        await until(form.submit_button.isEnabled, 30, "Submit to be enabled for the duplicate")
        form.submit_button.click()
        await until(lambda: len(store.list()) == 3 and all(j.state.is_final for j in store.list()), 240,
                    "the third job")
        result["jobs"] = store.list()
        desktop.window.quit_now()
        result["exit"] = await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert calls and calls[0]["demo"] is False and result["banner"] is False and result["exit"] == 0
    assert result["default"] == (0.0, 15.0)                 # the first seconds that fit
    assert "10.0-16.0 s of 30.0 s" in result["row"] and "crop 9:16" in result["row"]
    first = result["first"]
    assert first.state is JobState.DONE, first.error
    (item,) = first.inputs
    assert (item.trim_start, item.trim_end) == (10.0, 16.0) and Framing.parse(item.framing).ratio == "9:16"
    # The simulator received exactly the selection, cropped to 9:16, within every limit.
    uploads = [p for p in received if p.suffix == ".mp4"]
    info = check_within_limits(uploads[0])
    assert abs(info.duration - 6.0) <= 1 / 24 + 1e-3, info.duration
    width, height = info.display_size
    assert abs(width / height - 9 / 16) < 0.02, (width, height)
    assert result["compare_enabled"] and result["continue_enabled"]
    result_ms, ref_ms = result["ref_at"]
    assert 10_000 <= ref_ms <= 16_000 and result_ms > 0   # the reference follows within its selection
    assert result["compare_framing"] is not None and result["compare_framing"].ratio == "9:16"   # A and B line up
    assert probe(tmp_path / "sheet.png").width > 0
    model, request, inputs = result["continued"]
    assert model == MODEL and request["prompt"] == "[Video 1] as a watercolour"
    fields = {i.field: i for i in inputs}
    assert fields["video_urls"].local_path == first.video_path
    assert Path(fields["first_frame_image"].local_path).name == f"{first.id}-last.png"
    second = [j for j in result["jobs"] if {i.field for i in j.inputs} == {"video_urls", "first_frame_image"}][0]
    assert second.state is JobState.DONE, second.error
    third = [j for j in result["jobs"] if j.id not in (first.id, second.id)][0]
    assert third.state is JobState.DONE, third.error
    assert (third.inputs[0].trim_start, third.inputs[0].trim_end) == (10.0, 16.0)
    # Two videos were uploaded in all: the trimmed clip once (the third job reused its upload by
    # the bytes' SHA-256) and the first result as the continuation's reference.
    assert len([p for p in received if p.suffix == ".mp4"]) == 2, received
