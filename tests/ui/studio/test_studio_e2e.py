"""Acceptance of the media studio in the window, the end to end of issue 10, in both modes the
app runs in:

* **live**: a key and a base URL pointing at a simulator started here (no demo banner); every
  upload is copied the moment the simulator registers it (``record_uploads``);
* **demo**: the real ``DesktopApp`` with no key anywhere, so it starts its own demo simulator
  child (its state folder is ``simulator_dir(paths)``) and shows the demo banner; the uploads are
  read back from that folder, the bytes the child received checked against the SHA-256 it
  recorded for them.

The scenario: a 30 s 1080p clip is trimmed to seconds 10-16 in the trim editor and cropped to
9:16, prepared, uploaded, submitted and downloaded; the simulator receives a 6 s upload of 9:16
shape that passes every limit; the result is compared A/B with its reference (frames of both, a
frame step, a contact sheet); a second job continues from its last frame (the exact frame as
first_frame_image, the result as the reference video), submitted from the form and done; and a
duplicate of the first job sends the same prepared clip again without uploading it again."""


from __future__ import annotations

import asyncio
import gc
import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
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
from seedance_desktop.runtime.demo import DEMO_OUTPUT_SUBDIR, DEMO_TIME_SCALE_ENV, simulator_dir  # noqa: E402
from seedance_desktop.simulator import persist  # noqa: E402
from tests.ui.live_app import QT_NOISE, until, live_runtime_builder  # noqa: E402

MODEL = "bytedance/seedance-2.0-fast-v2v"
#: Demo time at 60x: a demo task (2 s pending, 30-90 s processing, simulated) takes 0.5-1.5 s.
DEMO_SCALE = "60"
_RECORDED = re.compile(r"^(file-[0-9a-f]+)-")


@dataclass
class Mode:
    """How one mode is set up, and where its simulator's received uploads are read back."""

    name: str
    builder: Callable[..., Any] | None      # None: the app's own composition (demo: its child)
    #: file id -> the bytes the simulator received, in upload order (read after the app quit)
    uploads: Callable[[], dict[str, Path]]
    calls: list[dict[str, Any]] = field(default_factory=list)


def live_mode(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mode:
    simulator = request.getfixturevalue("simulator")
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    received = record_uploads(simulator, tmp_path / "received")
    calls: list[dict[str, Any]] = []

    def uploads() -> dict[str, Path]:
        found: dict[str, Path] = {}
        for copy in received:  # named "<file id>-<file name>" by record_uploads
            match = _RECORDED.match(copy.name)
            assert match, copy.name
            found[match.group(1)] = copy
        return found

    return Mode("live", live_runtime_builder(simulator.base_url, tmp_path / "out", calls), uploads, calls)


def demo_mode(paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> Mode:
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)   # no key anywhere: the app chooses demo
    monkeypatch.setenv(DEMO_TIME_SCALE_ENV, DEMO_SCALE)
    return Mode("demo", None, lambda: held_uploads(simulator_dir(paths)))


def held_uploads(state_dir: Path) -> dict[str, Path]:
    """The files the demo simulator child holds, as its saved state records them (oldest
    first), each checked to be exactly the bytes it received (size and SHA-256 it recorded) and
    the only files in its uploads folder."""
    state = persist.read(persist.state_file(state_dir))
    assert state is not None, f"no simulator state in {state_dir}"
    found: dict[str, Path] = {}
    for record in sorted(state["files"], key=lambda r: float(r["created_at"])):
        path = Path(record["path"])
        assert path.parent == state_dir / "uploads" / record["file_id"], path
        data = path.read_bytes()
        assert len(data) == record["size"] and hashlib.sha256(data).hexdigest() == record["sha256"], path
        found[record["file_id"]] = path
    on_disk = {p for p in (state_dir / "uploads").glob("*/*") if p.is_file()}
    assert on_disk == set(found.values()), (on_disk, found)
    return found


def simulator_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is still the simulator (a reused pid is not)."""
    try:
        return b"seedance_desktop.simulator" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@QT_NOISE
@pytest.mark.slow
@pytest.mark.timeout(400)
@pytest.mark.parametrize("mode_name", ["live", "demo"])
def test_trim_crop_submit_compare_and_continue_in_the_window(
    qtbot: Any, qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
    mode_name: str,
) -> None:
    from seedance_desktop.media.probe import probe
    from seedance_desktop.ui import app as appmod

    (tmp_path / "clips").mkdir()
    clip = make("30s_1080p", tmp_path / "clips")
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    mode = live_mode(request, tmp_path, monkeypatch) if mode_name == "live" else demo_mode(paths, monkeypatch)

    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=mode.builder, shell=shell)
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        runtime = desktop.runtime
        assert runtime is not None, "the runtime did not start"
        result["banner"] = desktop.window.banner.isVisible()
        result["demo"] = runtime.demo
        result["output_dir"] = Path(runtime.output_dir)
        child = runtime.simulator.process if runtime.simulator is not None else None
        result["child_pid"] = child.pid if child is not None else None
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

    assert result["exit"] == 0
    if mode.name == "live":
        assert mode.calls and mode.calls[0]["demo"] is False and result["demo"] is False
        assert result["banner"] is False and result["child_pid"] is None
    else:
        # The app chose demo mode itself, started its own simulator child, said so in the window,
        # and stopped the child on quit; simulated results went to their own subfolder.
        assert result["demo"] is True and result["banner"] is True and result["child_pid"] is not None
        assert not simulator_running(result["child_pid"]), "the demo simulator child outlived the app"
        assert result["output_dir"].name == DEMO_OUTPUT_SUBDIR
    assert result["default"] == (0.0, 15.0)                 # the first seconds that fit
    assert "10.0-16.0 s of 30.0 s" in result["row"] and "crop 9:16" in result["row"]
    first = result["first"]
    assert first.state is JobState.DONE, first.error
    assert Path(first.video_path).parent == result["output_dir"] and Path(first.video_path).is_file()
    (item,) = first.inputs
    assert (item.trim_start, item.trim_end) == (10.0, 16.0) and Framing.parse(item.framing).ratio == "9:16"
    # The simulator received exactly the selection, cropped to 9:16, within every limit.
    uploads = mode.uploads()
    assert item.uploaded_file_id in uploads, (item.uploaded_file_id, uploads)
    info = check_within_limits(uploads[item.uploaded_file_id])
    assert abs(info.duration - 6.0) <= 1 / 24 + 1e-3, info.duration
    width, height = info.display_size
    assert abs(width / height - 9 / 16) < 0.02, (width, height)
    assert result["compare_enabled"] and result["continue_enabled"]
    result_ms, ref_ms = result["ref_at"]
    assert 10_000 <= ref_ms <= 16_000 and result_ms > 0   # the reference follows within its selection
    assert result["compare_framing"] is not None and result["compare_framing"].ratio == "9:16"   # A and B line up
    assert probe(tmp_path / "sheet.png").width > 0
    model, body, inputs = result["continued"]
    assert model == MODEL and body["prompt"] == "[Video 1] as a watercolour"
    fields = {i.field: i for i in inputs}
    assert fields["video_urls"].local_path == first.video_path
    assert Path(fields["first_frame_image"].local_path).name == f"{first.id}-last.png"
    second = [j for j in result["jobs"] if {i.field for i in j.inputs} == {"video_urls", "first_frame_image"}][0]
    assert second.state is JobState.DONE, second.error
    third = [j for j in result["jobs"] if j.id not in (first.id, second.id)][0]
    assert third.state is JobState.DONE, third.error
    assert (third.inputs[0].trim_start, third.inputs[0].trim_end) == (10.0, 16.0)
    # Two videos were uploaded in all: the trimmed clip once (the third job sent the same hosted
    # file, found by the bytes' SHA-256) and the first result as the continuation's reference.
    videos = [file_id for file_id, path in uploads.items() if path.suffix == ".mp4"]
    (reference,) = [i for i in second.inputs if i.field == "video_urls"]
    assert videos == [item.uploaded_file_id, reference.uploaded_file_id], (videos, uploads)
    assert third.inputs[0].uploaded_file_id == item.uploaded_file_id
