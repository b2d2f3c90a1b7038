"""Polling benchmark: the engine's poll policy against a fixed 2-second poller, in the same run.

    python tests/benchmarks/polling.py              # 200 jobs, 30-120 s each, time compressed x2 (~70 s)
    python tests/benchmarks/polling.py --smoke      # 10 jobs, compressed harder: a quick check

The simulator (in a child process) runs 200 jobs whose durations are spread
evenly over 30-120 s (2 s pending + 28-118 s processing), compressed by ``--time-scale``. The
engine submits them all at once (``max_in_flight`` = job count) and polls with
``core.policy``; a fixed poller (another child process, so its load does not slow the engine
being measured) polls every same task every 2 s (compressed alike) from the moment the task id
is known. Reported, in uncompressed seconds:

* polls per job (GET /api/v1/tasks/{id} requests, retries included);
* detection lag: from the moment the task turned ``success`` on the server (the simulator's
  exact ``succeeded_at``) to the poller noticing it.

Targets: the engine needs at most a third of the fixed poller's requests, with a median lag of
at most 2 s. Each target prints PASS or MISS; the exit status is non-zero only when the run
itself breaks (an exception, or jobs that did not finish).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.store import JobStore
from seedance_desktop.media.synth import make_clip
from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.server import SimulatorConfig

MODEL = "bytedance/seedance-2.0-fast-v2v"
FIXED_INTERVAL = 2.0   # service seconds
PENDING = 2.0
PROCESSING = (28.0, 118.0)
#: Few connections: httpcore's pool scans every connection per queued request.
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)


class FixedPoller:
    """GET every tracked task every FIXED_INTERVAL (compressed) until it succeeds. Runs in its
    own process (``--fixed-poller``) so its load does not slow the engine being measured."""

    def __init__(self, base_url: str, api_key: str, time_scale: float) -> None:
        self.base_url, self.api_key = base_url, api_key
        self.interval = FIXED_INTERVAL / time_scale
        self.requests: Counter[str] = Counter()
        self.noticed: dict[str, float] = {}
        self.errors = 0

    async def poll(self, http: httpx.AsyncClient, task_id: str, known_at: float) -> None:
        url = f"{self.base_url}/api/v1/tasks/{task_id}"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        n = 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, known_at + n * self.interval - time.time()))
            try:
                answer = await http.get(url, headers=headers)
                status = answer.json()["data"]["status"]
            except Exception:  # noqa: BLE001 - counted; a fixed poller just tries again
                self.errors += 1
                status = None
            self.requests[task_id] += 1
            if status == "success":
                self.noticed[task_id] = time.time()
                return

    async def serve(self) -> None:
        """Read "task_id known_at" lines from stdin until "done"; print the results as JSON."""
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(timeout=30.0, limits=LIMITS) as http:
            while True:
                line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
                if not line or line == "done":
                    break
                task_id, known_at = line.split()
                tasks.append(asyncio.create_task(self.poll(http, task_id, float(known_at))))
            await asyncio.gather(*tasks)
        print(json.dumps({"requests": self.requests, "noticed": self.noticed, "errors": self.errors}), flush=True)


def serve_simulator(time_scale: float) -> None:
    """``--serve-simulator``: run the simulator in this child process; on "dump" print every
    task's submitted/succeeded times as JSON, then exit."""
    config = SimulatorConfig(time_scale=time_scale, pending_seconds=PENDING, processing_seconds=PROCESSING,
                             upload_quota=10_000)
    with SimulatorThread(config) as sim:
        print(sim.base_url, sim.api_key, flush=True)
        sys.stdin.readline()
        assert sim.simulator is not None
        records = {t: {"submitted_at": r.submitted_at, "succeeded_at": r.succeeded_at}
                   for t, r in sim.simulator.tasks().items()}
        print(json.dumps(records), flush=True)


def _request(prompt: str, video_url: str) -> dict[str, Any]:
    return {"prompt": prompt, "video_urls": [video_url], "resolution": "480p", "duration": 5, "ratio": "16:9"}


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


async def run(jobs: int, time_scale: float, workdir: Path) -> dict[str, Any]:
    clip = make_clip(workdir / "clip.mp4", duration=4.0)
    sim = _child("--serve-simulator", str(time_scale))
    fixed: subprocess.Popen[str] | None = None
    try:
        assert sim.stdout is not None and sim.stdin is not None
        base_url, api_key = sim.stdout.readline().split()
        with httpx.Client() as http, clip.open("rb") as handle:
            hosted = http.post(f"{base_url}/api/v1/media/files", files={"file": ("clip.mp4", handle, "video/mp4")},
                               headers={"Authorization": f"Bearer {api_key}"}).json()["data"]["url"]
            # Warm the simulator's render cache with one identical job first, so no measured
            # job waits for the (one-off) render: every job then ends when its timer says.
            auth = {"Authorization": f"Bearer {api_key}"}
            warm = http.post(f"{base_url}/api/v1/bytedance/seedance-2.0-fast-v2v/async", headers=auth,
                             json=_request("warm-up", hosted)).json()["data"]["task_id"]
            while http.get(f"{base_url}/api/v1/tasks/{warm}", headers=auth).json()["data"]["status"] != "success":
                time.sleep(0.2)
        fixed = _child("--fixed-poller", base_url, api_key, str(time_scale))
        assert fixed.stdin is not None and fixed.stdout is not None
        polls: Counter[str] = Counter()

        async def count(request: httpx.Request) -> None:
            if request.method == "GET" and "/api/v1/tasks/" in request.url.path:
                polls[request.url.path.rsplit("/", 1)[-1]] += 1


        store = JobStore(workdir / "jobs.sqlite3")
        noticed: dict[str, float] = {}
        tracked: set[str] = set()
        async with httpx.AsyncClient(timeout=30.0, event_hooks={"request": [count]}, limits=LIMITS) as http:
            client = ModellixClient(http, base_url, api_key)
            engine = Engine(store, client, output_dir=workdir / "out", max_in_flight=jobs, time_scale=time_scale)

            def listen(job: Job) -> None:
                if job.task_id and job.task_id not in tracked:
                    tracked.add(job.task_id)
                    fixed.stdin.write(f"{job.task_id} {time.time()}\n")  # type: ignore[union-attr]
                    fixed.stdin.flush()  # type: ignore[union-attr]
                if job.state is JobState.DOWNLOADING and job.task_id and job.task_id not in noticed:
                    noticed[job.task_id] = time.time()

            engine.add_listener(listen)
            await engine.start()
            started = time.time()
            queued = [engine.enqueue(MODEL, _request(f"benchmark job {i}", hosted), []) for i in range(jobs)]
            finished = await asyncio.wait_for(asyncio.gather(*(engine.wait_for(j.id) for j in queued)),
                                              timeout=PROCESSING[1] / time_scale * 3 + 120)
            wall = time.time() - started
            await engine.stop()
        store.close()
        fixed.stdin.write("done\n")
        fixed.stdin.flush()
        fixed_result = json.loads(await asyncio.to_thread(fixed.stdout.readline))
        sim.stdin.write("dump\n")
        sim.stdin.flush()
        records = json.loads(await asyncio.to_thread(sim.stdout.readline))
    finally:
        for child in (fixed, sim):
            if child is not None:
                try:
                    if child.stdin is not None and not child.stdin.closed:
                        child.stdin.close()  # EOF: the children finish (and clean up) on their own
                except BrokenPipeError:
                    pass
                try:
                    child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                if child.stdout is not None:
                    child.stdout.close()
    not_done = [j for j in finished if j.state is not JobState.DONE]
    if not_done:
        raise RuntimeError(f"{len(not_done)} jobs did not finish: {[(j.state.value, j.error) for j in not_done[:3]]}")

    def lags(seen: dict[str, float]) -> list[float]:
        return [(seen[t] - records[t]["succeeded_at"]) * time_scale for t in seen if records[t]["succeeded_at"]]

    return {
        "jobs": jobs, "time_scale": time_scale, "wall": wall,
        "engine_polls": [polls[j.task_id] for j in finished], "engine_lags": lags(noticed),
        "fixed_polls": [fixed_result["requests"].get(j.task_id, 0) for j in finished],
        "fixed_lags": lags(fixed_result["noticed"]), "fixed_errors": fixed_result["errors"],
        "durations": [(records[j.task_id]["succeeded_at"] - records[j.task_id]["submitted_at"]) * time_scale
                      for j in finished if records[j.task_id]["succeeded_at"]],
    }


def report(result: dict[str, Any]) -> bool:
    """Print the table and the PASS/MISS lines; return True when both targets are met."""

    def row(name: str, polls: list[int], lags: list[float]) -> str:
        quantiles = statistics.quantiles(lags, n=10) if len(lags) >= 2 else [lags[0]] * 9
        return (f"{name:<22}{statistics.mean(polls):>10.2f}{statistics.median(lags):>14.2f}"
                f"{quantiles[8]:>11.2f}{max(lags):>10.2f}{sum(polls):>12d}")

    durations = result["durations"]
    print(f"Polling benchmark: {result['jobs']} jobs lasting {min(durations):.0f}-{max(durations):.0f} s "
          f"(uncompressed), time compressed x{result['time_scale']:g}, {result['wall']:.1f} s wall clock")
    print(f"{'poller':<22}{'polls/job':>10}{'median lag s':>14}{'p90 lag s':>11}{'max lag':>10}{'total polls':>12}")
    print(row("engine policy", result["engine_polls"], result["engine_lags"]))
    print(row(f"fixed {FIXED_INTERVAL:g} s poller", result["fixed_polls"], result["fixed_lags"]))
    engine_mean = statistics.mean(result["engine_polls"])
    fixed_mean = statistics.mean(result["fixed_polls"])
    ratio = engine_mean / fixed_mean
    median_lag = statistics.median(result["engine_lags"])
    ok_polls, ok_lag = ratio <= 1 / 3, median_lag <= 2.0
    print(f"requests: engine/fixed = {ratio:.3f} (target <= 0.333): {'PASS' if ok_polls else 'MISS'}")
    print(f"median detection lag: {median_lag:.2f} s (target <= 2 s): {'PASS' if ok_lag else 'MISS'}")
    if result["fixed_errors"]:
        print(f"(the fixed poller saw {result['fixed_errors']} failed requests)")
    return ok_polls and ok_lag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--time-scale", type=float, default=None,
                        help="simulated seconds per real second (higher: faster, but lag is measured coarser)")
    parser.add_argument("--smoke", action="store_true", help="10 jobs, compressed x40: a quick check")
    parser.add_argument("--serve-simulator", type=float, metavar="SCALE", help=argparse.SUPPRESS)
    parser.add_argument("--fixed-poller", nargs=3, metavar=("URL", "KEY", "SCALE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_simulator:
        serve_simulator(args.serve_simulator)
        return 0
    if args.fixed_poller:
        url, key, scale_text = args.fixed_poller
        asyncio.run(FixedPoller(url, key, float(scale_text)).serve())
        return 0
    jobs = args.jobs or (10 if args.smoke else 200)
    scale = args.time_scale or (40.0 if args.smoke else 2.0)
    with tempfile.TemporaryDirectory(prefix="seedance-bench-") as tmp:
        result = asyncio.run(run(jobs, scale, Path(tmp)))
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
