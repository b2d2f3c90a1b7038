"""A simulator with ``persist`` keeps its tasks, uploads and balance across a restart on the same
data folder (demo mode's restart safety): a task submitted just before the stop (its render cut
short) is rendered again and ends ``success`` on the next simulator, downloadable; finished
tasks are forgotten (with their renders) after two weeks; a fresh folder knows nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from simtest_helpers import auth, submit, upload, v2v_body, video_url, wait_final

from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.persist import KEEP_FINISHED_FOR, known_task_ids
from seedance_desktop.simulator.server import SimulatorConfig

V2V_FULL = "/api/v1/bytedance/seedance-2.0-v2v/async"


def _config(data_dir: Path, clock: Callable[[], float] = time.time) -> SimulatorConfig:
    return SimulatorConfig(api_key="sim-persist-key", time_scale=60.0, pending_seconds=6.0,
                           processing_seconds=(30.0, 60.0), data_dir=data_dir, persist=True, clock=clock)


def test_tasks_uploads_and_balance_survive_a_restart(tmp_path: Path, clip: Path) -> None:
    data_dir = tmp_path / "sim"
    with SimulatorThread(_config(data_dir)) as first:
        with httpx.Client(base_url=first.base_url, headers=auth(first.api_key), timeout=10.0) as api:
            uploaded = upload(api, clip)
            # A render of a few seconds, stopped at once: the restart renders it again.
            task_id = submit(api, v2v_body(uploaded["url"], resolution="720p", duration=8), path=V2V_FULL)
            balance = api.get("/api/v1/team/balance").json()["data"]["balance"]
    assert task_id in known_task_ids(data_dir)

    with SimulatorThread(_config(data_dir)) as second:
        with httpx.Client(base_url=second.base_url, headers=auth(second.api_key), timeout=10.0) as api:
            assert api.get("/api/v1/team/balance").json()["data"]["balance"] == balance  # not refunded
            data = wait_final(api, task_id, timeout=120)
            assert data["status"] == "success", data
            video = httpx.get(video_url(data), timeout=30)
            assert video.status_code == 200 and len(video.content) > 10_000
            assert uploaded["file_id"] in {f.file_id for f in second.simulator.files().values()}

    assert list((data_dir / "renders").glob("*.mp4"))
    # Two weeks later the finished task is forgotten, with its render.
    later = lambda: time.time() + KEEP_FINISHED_FOR + 3600  # noqa: E731
    with SimulatorThread(_config(data_dir, clock=later)) as much_later:
        with httpx.Client(base_url=much_later.base_url, headers=auth(much_later.api_key), timeout=10.0) as api:
            assert api.get(f"/api/v1/tasks/{task_id}").status_code == 404
    assert not list((data_dir / "renders").glob("*.mp4")) and task_id not in known_task_ids(data_dir)

    with SimulatorThread(_config(tmp_path / "fresh")) as other:
        with httpx.Client(base_url=other.base_url, headers=auth(other.api_key), timeout=10.0) as api:
            assert api.get(f"/api/v1/tasks/{task_id}").status_code == 404
