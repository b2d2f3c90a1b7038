"""Child process for ``test_crash.py``: run the engine over the store until every job is final.

Usage: ``python crash_worker.py BASE_URL API_KEY DB_PATH OUTPUT_DIR TIME_SCALE``

The test SIGKILLs this process at chosen moments, and also stops it with SIGHUP and SIGTERM,
which this worker handles exactly as the real CLI does: it installs the CLI's own handlers
(``cli.signals.install_stop_signals``: the first signal cancels the main task, worker threads
are daemons), stops the engine the way ``Runtime.aclose()`` does (``Engine.stop()``: a POST on
the wire gets its grace period, everything else stays resumable) and exits with the CLI's
``EXIT_INTERRUPTED``. To make the chosen moments observable, the steps are
slowed down (only here, never in the product): an upload waits before it starts, a submit waits
both before the POST leaves and after its answer arrives (so a kill can land on either side of
the wire while the job is SUBMITTING), and downloads trickle their bytes so a kill leaves a
``.part`` file to resume.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.download import download_file
from seedance_desktop.cli.parser import EXIT_INTERRUPTED
from seedance_desktop.cli.signals import install_stop_signals
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.store import JobStore

UPLOAD_DELAY = 0.25
SUBMIT_DELAY = 0.08
CHUNK_DELAY = 0.03


class SlowClient:
    """Delegates to a real ModellixClient, slowing the steps a kill should land in."""

    def __init__(self, inner: ModellixClient) -> None:
        self._inner = inner

    async def upload_file(self, path: Path, **kwargs: Any) -> Any:
        await asyncio.sleep(UPLOAD_DELAY)
        return await self._inner.upload_file(path, **kwargs)

    async def submit(self, spec: Any, body: dict[str, Any]) -> Any:
        await asyncio.sleep(SUBMIT_DELAY)        # SUBMITTING committed, POST not yet sent
        result = await self._inner.submit(spec, body)
        await asyncio.sleep(SUBMIT_DELAY)        # POST accepted, task id not yet committed
        return result

    async def get_task(self, task_id: str, url: str | None = None) -> Any:
        return await self._inner.get_task(task_id, url)

    async def delete_file(self, file_id: str) -> None:
        await self._inner.delete_file(file_id)


class _SlowStream(httpx.SyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            for start in range(0, len(chunk), 32 * 1024):
                time.sleep(CHUNK_DELAY)
                yield chunk[start:start + 32 * 1024]

    def close(self) -> None:
        self._inner.close()


class _SlowTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_SlowStream(response.stream), extensions=response.extensions)


def logged_download(url: str, dest: Path, **kwargs: Any) -> Any:
    """download_file, noting on stderr when it resumed a .part left by a kill."""
    result = download_file(url, dest, **kwargs)
    if result.resumed_from:
        print(f"RESUMED {dest.name} from byte {result.resumed_from}", file=sys.stderr, flush=True)
    return result


async def main(base_url: str, api_key: str, db: Path, out: Path, time_scale: float) -> int:
    signal_received = install_stop_signals()  # SIGTERM/SIGHUP: exactly the CLI's handling
    ready = os.environ.get("CRASH_READY_FILE")
    if ready:  # the test sends SIGHUP/SIGTERM only after this (before it, a signal kills, as in the CLI)
        Path(ready).touch()
    store = JobStore(db)
    download_client = httpx.Client(transport=_SlowTransport(), timeout=30.0)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
            client = ModellixClient(http, base_url, api_key)
            engine = Engine(store, SlowClient(client), output_dir=out, time_scale=time_scale,
                            downloader=functools.partial(logged_download, client=download_client))
            try:
                await engine.start()
                while store.unfinished():
                    await asyncio.sleep(0.05)
            finally:  # as Runtime.aclose(): stop the engine, leaving every job resumable
                await engine.stop()
                sig = signal_received()
                if sig is not None:
                    print(f"STOPPED by {sig.name}", file=sys.stderr, flush=True)
    finally:
        download_client.close()
        store.close()
    return 0


if __name__ == "__main__":
    url, key, db_path, out_dir, scale = sys.argv[1:6]
    try:
        sys.exit(asyncio.run(main(url, key, Path(db_path), Path(out_dir), float(scale))))
    except asyncio.CancelledError:  # as cli.commands.run: a stop signal is EXIT_INTERRUPTED
        sys.exit(EXIT_INTERRUPTED)
