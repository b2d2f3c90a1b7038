"""Shared helpers for the engine tests: a real engine over real loopback HTTP to a simulator."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.store import JobStore

MODEL = "bytedance/seedance-2.0-fast-v2v"


def request_for(prompt: str, video_url: str | None = None, **extra: Any) -> dict[str, Any]:
    """A small valid request; ``video_url=None`` leaves the slot for a local input."""
    return {"prompt": prompt, "video_urls": [video_url], "resolution": "480p", "duration": 4, "ratio": "16:9", **extra}


def local_input(path: Path) -> list[InputFile]:
    return [InputFile(field="video_urls", index=0, local_path=str(path))]


def sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Rig:
    engine: Engine
    store: JobStore
    client: ModellixClient
    http: httpx.AsyncClient
    seen: list[Job] = field(default_factory=list)
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, method, path)

    def submit_count(self) -> int:
        return sum(1 for _, method, path in self.requests if method == "POST" and "/bytedance/" in path)


@asynccontextmanager
async def engine_rig(
    tmp_path: Path,
    base_url: str,
    api_key: str,
    *,
    time_scale: float = 60.0,
    max_in_flight: int = 2,
    start: bool = True,
    timeout: float = 5.0,
    **engine_kwargs: Any,
) -> AsyncIterator[Rig]:
    """Store + httpx + ModellixClient + Engine, torn down in order. Every request the engine's
    client sends is recorded (time, method, path) for assertions."""
    import time

    requests: list[tuple[float, str, str]] = []

    async def record(request: httpx.Request) -> None:
        requests.append((time.time(), request.method, request.url.path))

    store = JobStore(tmp_path / "jobs.sqlite3")
    http = httpx.AsyncClient(timeout=httpx.Timeout(timeout), event_hooks={"request": [record]})
    # One HTTP attempt per call, as composed in runtime.compose: the engine is the retry layer.
    client = ModellixClient(http, base_url, api_key)
    engine = Engine(store, client, output_dir=tmp_path / "out", max_in_flight=max_in_flight,
                    time_scale=time_scale, **engine_kwargs)
    rig = Rig(engine, store, client, http, requests=requests)
    engine.add_listener(rig.seen.append)
    try:
        if start:
            await engine.start()
        yield rig
    finally:
        await engine.stop()
        await http.aclose()
        store.close()


def hosted_url(base_url: str, api_key: str, path: Path) -> str:
    """Upload ``path`` once, outside the engine, and return its hosted URL."""
    with httpx.Client() as http, path.open("rb") as handle:
        answer = http.post(f"{base_url}/api/v1/media/files", files={"file": (path.name, handle, "video/mp4")},
                           headers={"Authorization": f"Bearer {api_key}"})
    answer.raise_for_status()
    return str(answer.json()["data"]["url"])




async def wait_all(engine: Engine, jobs: list[Job], timeout: float = 30.0) -> list[Job]:
    return list(await asyncio.wait_for(asyncio.gather(*(engine.wait_for(j.id) for j in jobs)), timeout))


def states(rig: Rig, job_id: str) -> list[JobState]:
    return [t.new for t in rig.store.get(job_id).history]
