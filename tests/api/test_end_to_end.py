"""The issue's acceptance path: ``python -m seedance_desktop.simulator --port 0`` as a child
process; the client uploads a clip, submits, polls to success and downloads the MP4, which
decodes with PyAV at the requested resolution and ratio and lasts the requested duration."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av
import httpx
import pytest

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.download import download_with_retries
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import TaskInfo, TaskStatus
from seedance_desktop.api.validate import build_body
from seedance_desktop.simulator.launcher import SimulatorProcess

SPEC = get_model("bytedance/seedance-2.0-fast-v2v")


@pytest.mark.timeout(90)
def test_child_process_simulator_job_to_verified_mp4(clip: Path, tmp_path: Path) -> None:
    args = ("--time-scale", "60", "--pending-seconds", "6", "--processing-seconds", "30", "40")
    with SimulatorProcess(args) as server:

        async def flow() -> TaskInfo:
            async with httpx.AsyncClient(timeout=10.0) as http:
                client = ModellixClient(http, server.base_url, server.api_key)
                assert await client.validate_key()
                uploaded = await client.upload_file(clip)
                body = build_body(SPEC, {"prompt": "Make [Video 1] look like a comic", "video_urls": [uploaded.url],
                                         "resolution": "480p", "ratio": "9:16", "duration": 4, "seed": 7,
                                         "generate_audio": True})
                submitted = await client.submit(SPEC, body)
                deadline = time.monotonic() + 30
                while True:
                    info = await client.get_task(submitted.task_id, submitted.result_url)
                    if info.status.is_final or time.monotonic() > deadline:
                        return info
                    await asyncio.sleep(0.2)

        info = asyncio.run(flow())
        assert info.status is TaskStatus.SUCCESS and info.video is not None, info
        result = download_with_retries(info.video.url, tmp_path / "result.mp4")
    with av.open(str(result.path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (480, 854)  # 480p at 9:16
        assert float(container.duration / av.time_base) == pytest.approx(4.0, abs=0.1)
        assert container.streams.audio, "generate_audio=true should give an audio track"
    assert (info.video.width, info.video.height) == (480, 854)
