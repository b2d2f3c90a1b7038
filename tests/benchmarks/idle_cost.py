"""Idle cost benchmark: what the app costs while jobs wait on the server, and what history costs.

Part 1, waiting: the app's GUI side (controller + engine + queue model and panel on a qasync loop,
as ``ui_responsiveness.py`` composes them) with N jobs that stay ``processing`` on the simulator
(a child process, as in demo mode) for a span of simulated time. Measured in this process only
(the simulator's CPU is not counted): CPU time from ``time.process_time()`` over the span, and
RSS from ``/proc/self/status`` at the start and the end of the span. With ``--time-scale S`` the
simulator and the engine's poll schedule both run S times faster, so the same polls happen in
1/S of the time; the average is then CPU seconds over the *simulated* span (the work is the same,
only squeezed), which slightly under-counts per-real-second costs (the panel's 1 s timer). The
full run uses scale 1 (10 real minutes): compressed, the dense polls (1.75 s apart) come closer
than the loaded simulator's latency allows and fewer of them happen (x10 here: 2,810 polls
instead of ~6,100), which flatters the figure.
Targets: at most 2 % of one core on average, RSS growth at most 5 MB.

Part 2, history: in a fresh child process each, the runtime (store + engine), the controller and
the queue model + panel (first page shown) are opened on an empty store and on one holding
10,000 finished jobs; RSS after opening is compared. Target: at most +60 MB.

    python tests/benchmarks/idle_cost.py                 # 100 jobs, 10 simulated minutes, scale 1
    python tests/benchmarks/idle_cost.py --time-scale 5  # the same 10 minutes in 2 real minutes
    python tests/benchmarks/idle_cost.py --smoke         # tiny sizes, seconds
    python tests/benchmarks/idle_cost.py --json out.json

Each target prints PASS or MISS; the exit status is non-zero only when the run itself breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false;qt.qpa.*=false")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MODEL = "bytedance/seedance-2.0-fast-v2v"
CPU_TARGET = 2.0        # % of one core, on average
RSS_FLAT_TARGET = 5.0   # MB over the waiting span
HISTORY_TARGET = 60.0   # MB for 10,000 jobs over an empty store


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; 0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# ------------------------------------------------------------------ part 1: waiting jobs

def waiting_run(jobs: int, simulated_seconds: float, time_scale: float, workdir: Path) -> dict[str, Any]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.core.settings import Settings
    from seedance_desktop.media.synth import make_clip
    from seedance_desktop.runtime.compose import build_runtime
    from seedance_desktop.simulator.launcher import SimulatorProcess
    from seedance_desktop.ui.app import install_io_executor, tune_interpreter
    from queue_rig import start_queue_ui

    qapp = QApplication.instance() or QApplication([])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    clip = make_clip(workdir / "in.mp4", duration=4.0)
    hold = simulated_seconds * 10 + 3600  # every task stays "processing" past the span
    sim = SimulatorProcess(("--time-scale", str(time_scale), "--pending-seconds", "1",
                            "--processing-seconds", str(hold), str(hold),
                            "--upload-quota", "10000", "--balance", "1000000"))
    result: dict[str, Any] = {}
    sim.start()
    try:
        paths = AppPaths.from_env(workdir / "home").ensure()
        settings = Settings(output_dir=workdir / "out", max_in_flight=jobs)

        async def scenario() -> None:
            install_io_executor(asyncio.get_running_loop())
            # The engine's poll schedule follows the simulator's clock.
            runtime = await build_runtime(paths, settings, api_key=sim.api_key, demo=False,
                                          base_url=sim.base_url, start_engine=False, time_scale=time_scale)
            ui = await start_queue_ui(runtime)
            controller, panel = ui.controller, ui.panel
            uploaded = await runtime.client.upload_file(clip)
            request = {"prompt": "idle benchmark [Video 1]", "duration": 4, "resolution": "480p",
                       "ratio": "16:9", "video_urls": [uploaded.url]}
            for _ in range(jobs):
                controller.submit(MODEL, dict(request), [])
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                counts = runtime.store.count_by_state()
                if sum(n for s, n in counts.items() if s.value == "processing") >= jobs:
                    break
                await asyncio.sleep(0.2)
            by_state = {s.value: n for s, n in runtime.store.count_by_state().items()}
            polls = [0]
            get_task = runtime.client.get_task

            async def counted_get_task(*args: Any, **kwargs: Any) -> Any:
                polls[0] += 1
                return await get_task(*args, **kwargs)

            runtime.client.get_task = counted_get_task  # type: ignore[method-assign]
            tune_interpreter()
            await asyncio.sleep(0.5)  # settle: the submissions' last replies
            real_span = simulated_seconds / time_scale
            rss_start, cpu_start, wall_start = rss_mb(), time.process_time(), time.monotonic()
            samples = [rss_start]
            end = wall_start + real_span
            while time.monotonic() < end:
                await asyncio.sleep(min(5.0, max(0.0, end - time.monotonic())))
                samples.append(rss_mb())
            cpu = time.process_time() - cpu_start
            wall = time.monotonic() - wall_start
            rss_end = rss_mb()
            result.update(
                jobs=jobs, processing_at_start=by_state.get("processing", 0),
                simulated_seconds=simulated_seconds, time_scale=time_scale,
                real_seconds=round(wall, 1), cpu_seconds=round(cpu, 3), polls=polls[0],
                cpu_ms_per_poll=round(cpu * 1000 / polls[0], 3) if polls[0] else None,
                # the same work spread over the simulated span: the average a user's machine sees
                cpu_percent=round(100 * cpu / max(1e-9, wall * time_scale), 3),
                cpu_percent_of_real_time=round(100 * cpu / max(1e-9, wall), 3),
                rss_start_mb=round(rss_start, 1), rss_end_mb=round(rss_end, 1),
                rss_max_mb=round(max(samples + [rss_end]), 1),
                rss_growth_mb=round(rss_end - rss_start, 2),
                load_average=round(os.getloadavg()[0], 2),
            )
            panel.close()
            await controller.shutdown()
            await runtime.aclose()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            runner.run(scenario())
    finally:
        sim.stop()
    return result


# ------------------------------------------------------------------ part 2: history

OPEN_CHILD = r"""
import asyncio, json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication
import qasync
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings
from seedance_desktop.runtime.compose import build_runtime
from seedance_desktop.ui.controller import Controller
from seedance_desktop.ui.queue.queue_model import QueueModel
from seedance_desktop.ui.queue.queue_panel import QueuePanel

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

qapp = QApplication([])
qapp.setQuitOnLastWindowClosed(False)
home, base_url = Path(sys.argv[1]), sys.argv[2]
async def main():
    before = rss()
    paths = AppPaths.from_env(home).ensure()
    runtime = await build_runtime(paths, Settings(output_dir=home / "out"), api_key="sk-bench",
                                  demo=False, base_url=base_url, start_engine=False)
    controller = Controller()
    model = QueueModel(runtime.store)
    controller.attach_runtime(runtime.store, runtime.engine, demo=False)
    model.set_source(runtime.store, lookup=controller.job)
    panel = QueuePanel(model)
    panel.resize(1000, 700)
    panel.show()
    started = asyncio.Event()
    controller.started.connect(started.set)
    controller.start()
    await started.wait()
    for _ in range(20):  # let the view fetch and paint its first page
        await asyncio.sleep(0.05)
    import gc
    gc.collect()
    print(json.dumps({"rss_mb": rss(), "rss_before_mb": before, "rows": model.rowCount(),
                      "total": model.total}), flush=True)
    panel.close()
    await controller.shutdown()
    await runtime.aclose()
with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
    runner.run(main())
"""


def make_history(home: Path, jobs: int) -> None:
    from seedance_desktop.core.job import Job, JobState
    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.core.store import JobStore

    paths = AppPaths.from_env(home).ensure()
    store = JobStore(paths.db_file)
    states = [JobState.DONE, JobState.FAILED, JobState.CANCELLED]
    now = time.time()
    store.add_many(Job(request={"prompt": f"history job {i}: a watercolour of a harbour at dawn, slow drift",
                                "duration": 5, "resolution": "480p", "ratio": "16:9"},
                       state=states[i % len(states)], position=float(i), created_at=now - 10_000 + i)
                   for i in range(jobs))
    store.close()


def open_rss(home: Path, base_url: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", OPEN_CHILD, str(home), base_url, str(REPO)],
                          capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"opening {home} failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def history_run(jobs: int, runs: int, workdir: Path) -> dict[str, Any]:
    from seedance_desktop.simulator.launcher import SimulatorProcess

    empty, full = workdir / "empty-home", workdir / "history-home"
    make_history(empty, 0)
    make_history(full, jobs)
    sim = SimulatorProcess()
    sim.start()
    try:
        empty_rss: list[float] = []
        full_rss: list[float] = []
        rows = 0
        for _ in range(runs):  # alternate, in case the machine's state drifts
            empty_rss.append(open_rss(empty, sim.base_url)["rss_mb"])
            opened = open_rss(full, sim.base_url)
            full_rss.append(opened["rss_mb"])
            rows = opened["rows"]
    finally:
        sim.stop()
    import statistics

    e, f = statistics.median(empty_rss), statistics.median(full_rss)
    return {"jobs_in_store": jobs, "runs": runs, "rows_shown": rows,
            "empty_rss_mb": round(e, 1), "history_rss_mb": round(f, 1), "added_mb": round(f - e, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, finishes in seconds")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--part", choices=("all", "waiting", "history"), default="all")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--simulated-seconds", type=float, default=None)
    parser.add_argument("--time-scale", type=float, default=None,
                        help="simulated seconds per real second for the simulator and the poll schedule")
    args = parser.parse_args(argv)
    jobs = args.jobs or (5 if args.smoke else 100)
    span = args.simulated_seconds or (20.0 if args.smoke else 600.0)
    scale = args.time_scale or (10.0 if args.smoke else 1.0)
    history_jobs, runs = (300, 1) if args.smoke else (10_000, 3)
    figures: dict[str, Any] = {"mode": "smoke" if args.smoke else "full"}
    with tempfile.TemporaryDirectory(prefix="seedance-idle-") as tmp:
        workdir = Path(tmp)
        if args.part in ("all", "waiting"):
            w = figures["waiting"] = waiting_run(jobs, span, scale, workdir)
            print(f"{jobs} jobs processing for {span:g} simulated s (x{scale:g}, {w['real_seconds']} s real, "
                  f"{w['processing_at_start']} processing at start): {w['polls']} polls, "
                  f"{w['cpu_seconds']} s CPU ({w['cpu_ms_per_poll']} ms a poll); machine load {w['load_average']}")
            print(f"average CPU: {w['cpu_percent']:.2f} % of one core (target <= {CPU_TARGET:g} %): "
                  f"{verdict(w['cpu_percent'] <= CPU_TARGET)}")
            print(f"RSS growth: {w['rss_growth_mb']:+.2f} MB, {w['rss_start_mb']} -> {w['rss_end_mb']} MB, "
                  f"max {w['rss_max_mb']} MB (target <= +{RSS_FLAT_TARGET:g} MB): "
                  f"{verdict(w['rss_growth_mb'] <= RSS_FLAT_TARGET)}")
        if args.part in ("all", "history"):
            h = figures["history"] = history_run(history_jobs, runs, workdir)
            print(f"history: {history_jobs} jobs in the store add {h['added_mb']:+.1f} MB RSS "
                  f"({h['empty_rss_mb']} -> {h['history_rss_mb']} MB, median of {runs}, {h['rows_shown']} rows shown) "
                  f"(target <= +{HISTORY_TARGET:g} MB): {verdict(h['added_mb'] <= HISTORY_TARGET)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
