"""Plain helpers for the simulator's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

V2V = "/api/v1/bytedance/seedance-2.0-fast-v2v/async"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(client: httpx.Client, path: Path, content_type: str = "video/mp4") -> dict[str, Any]:
    with path.open("rb") as handle:
        response = client.post("/api/v1/media/files", files={"file": (path.name, handle, content_type)})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def v2v_body(video_url: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": "Make [Video 1] look like a watercolour", "video_urls": [video_url],
                            "resolution": "480p", "ratio": "16:9", "duration": 4}
    body.update(overrides)
    return body


def submit(client: httpx.Client, body: dict[str, Any], path: str = V2V) -> str:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["task_id"]


def wait_final(client: httpx.Client, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/api/v1/tasks/{task_id}").json()["data"]
        if data["status"] in ("success", "failed"):
            return data
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


def video_url(data: dict[str, Any]) -> str:
    return next(r["url"] for r in data["result"]["resources"] if r["type"] == "video")

