"""The generated MP4: real H.264 at the requested size/ratio/duration, audio iff asked,
last-frame PNG iff asked, deterministic per seed, cached, and rendered off the event loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from simtest_helpers import submit, v2v_body, video_url, wait_final

from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.render import Look, RenderParams, output_size, render

pytestmark = pytest.mark.timeout(60)


def _probe(path: Path) -> tuple[int, int, float, bool, str]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        has_audio = len(container.streams.audio) > 0
        assert container.duration is not None
        return video.width, video.height, container.duration / 1e6, has_audio, video.codec_context.name


@pytest.mark.parametrize(("ratio", "resolution", "size"), [
    ("16:9", "480p", (854, 480)), ("9:16", "480p", (480, 854)), ("1:1", "720p", (720, 720)),
    ("4:3", "480p", (640, 480)), ("3:4", "720p", (720, 960)), ("21:9", "480p", (1120, 480)),
    ("16:9", "1080p", (1920, 1080)),
])
def test_output_sizes_keep_the_short_side_and_the_ratio(ratio: str, resolution: str, size: tuple[int, int]) -> None:
    width, height = output_size(ratio, resolution)
    assert (width, height) == size
    assert width % 2 == 0 and height % 2 == 0
    a, b = (int(x) for x in ratio.split(":"))
    assert abs(width / height - a / b) < 0.01


@pytest.mark.parametrize(("ratio", "duration", "audio", "last"), [
    ("16:9", 4, True, True), ("9:16", 5, False, False), ("1:1", 6, True, False),
])
def test_render_produces_the_requested_video(clip: Path, tmp_path: Path, ratio: str, duration: int,
                                             audio: bool, last: bool) -> None:
    result = render(clip, RenderParams(ratio, "480p", duration, 42, audio, last), tmp_path / "out.mp4")
    width, height, seconds, has_audio, codec = _probe(result.video_path)
    assert (width, height) == output_size(ratio, "480p") == (result.width, result.height)
    assert codec == "h264"
    assert seconds == pytest.approx(duration, abs=0.1)
    assert has_audio is audio
    assert result.size == result.video_path.stat().st_size
    if last:
        assert result.last_frame_path is not None
        with av.open(str(result.last_frame_path)) as container:
            frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (width, height)
    else:
        assert result.last_frame_path is None
    assert not list(tmp_path.glob("*.tmp"))


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)


def test_render_is_deterministic_per_seed_and_visibly_transformed(clip: Path, tmp_path: Path) -> None:
    params = RenderParams("16:9", "480p", 4, 7, False, False)
    a = render(clip, params, tmp_path / "a.mp4")
    b = render(clip, params, tmp_path / "b.mp4")
    assert a.sha256 == b.sha256
    other_seed = next(s for s in range(8, 100) if Look.from_seed(s) != Look.from_seed(7))
    c = render(clip, RenderParams("16:9", "480p", 4, other_seed, False, False), tmp_path / "c.mp4")
    assert c.sha256 != a.sha256
    frame_a, frame_c, source = _first_frame(a.video_path), _first_frame(c.video_path), _first_frame(clip)
    assert np.abs(frame_a - frame_c).mean() > 10          # seeds look different
    assert np.abs(frame_a - source).mean() > 10           # and differ from the input
    band = frame_a[-40:-10]                               # the dark "SIMULATED" band with white text
    assert (band < 60).mean() > 0.5 and (band > 200).any()


def test_simulator_result_decodes_at_requested_size_and_duration(api: httpx.Client, clip_url: str, tmp_path: Path) -> None:
    data = wait_final(api, submit(api, v2v_body(clip_url, ratio="9:16", duration=5, generate_audio=False,
                                                return_last_frame=True)))
    out = tmp_path / "result.mp4"
    out.write_bytes(httpx.get(video_url(data)).content)
    width, height, seconds, has_audio, _ = _probe(out)
    assert (width, height) == (480, 854)
    assert seconds == pytest.approx(5, abs=0.1)
    assert not has_audio
    png = next(r for r in data["result"]["resources"] if r["type"] == "image")
    body = httpx.get(png["url"])
    assert body.headers["content-type"] == "image/png" and body.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_identical_jobs_render_once(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    ids = [submit(api, v2v_body(clip_url, seed=5)) for _ in range(20)]
    finals = [wait_final(api, task_id) for task_id in ids]
    sim = simulator.simulator
    assert sim is not None and sim.render_count == 1
    hashes = {sim.tasks()[task_id].video_sha256 for task_id in ids}
    assert len(hashes) == 1 and all(f["status"] == "success" for f in finals)
    submit(api, v2v_body(clip_url, seed=6))
    deadline = time.monotonic() + 20
    while sim.render_count < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.render_count == 2


def test_task_waits_for_its_render(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    """Timers of zero: the task still only succeeds once the (slow) render is done."""
    sim_thread = simulator_factory(pending_seconds=0.0, processing_seconds=(0.0, 0.0))
    sim = sim_thread.simulator
    gate = threading.Event()
    real_get = sim.cache.get

    def slow_get(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(10)
        return real_get(*args, **kwargs)

    sim.cache.get = slow_get
    with httpx.Client(base_url=sim_thread.base_url, headers={"Authorization": f"Bearer {sim_thread.api_key}"}) as client:
        from simtest_helpers import upload
        task_id = submit(client, v2v_body(upload(client, clip)["url"]))
        time.sleep(0.3)
        assert client.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] == "processing"
        released = time.time()
        gate.set()
        data = wait_final(client, task_id)
    assert data["status"] == "success"
    assert sim.tasks()[task_id].succeeded_at >= released


def test_event_loop_stays_responsive_during_a_render(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    sim_thread = simulator_factory(pending_seconds=0.0, processing_seconds=(0.0, 0.0))
    sim = sim_thread.simulator
    with httpx.Client(base_url=sim_thread.base_url, headers={"Authorization": f"Bearer {sim_thread.api_key}"}) as client:
        from simtest_helpers import upload
        url = upload(client, clip)["url"]
        task_id = submit(client, v2v_body(url, resolution="720p", ratio="16:9", duration=8))
        worst, samples = 0.0, 0
        while sim.task(task_id).render_done_at is None:
            started = time.perf_counter()
            assert client.get("/api/v1/team/balance").status_code == 200
            worst = max(worst, time.perf_counter() - started)
            samples += 1
            time.sleep(0.01)
    record = sim.task(task_id)
    render_time = record.render_done_at - record.submitted_at
    assert samples >= 5, "the render finished too fast to measure anything"
    # A render on the loop would stall one request for the whole render; allow scheduling noise
    # on a busy machine, but far less than that.
    assert worst < min(1.0, render_time / 3), (worst, render_time)
