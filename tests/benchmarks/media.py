"""Media benchmark: probing, preparing a clip against the ffmpeg command line, filmstrips.

    python tests/benchmarks/media.py            # the issue's sizes (~3-6 minutes on two busy cores)
    python tests/benchmarks/media.py --smoke    # small clips, one round: a quick check

Measured, each against its target (PASS/MISS; the exit status is non-zero only when the run
itself breaks):

* probing (``media.probe.probe``) per file, median of 5, on the clip matrix: <= 100 ms a file;
* preparing a 15 s 1080p clip (H.264 + AAC, like a phone clip) into a valid upload
  (``media.conform.conform_video``: 1280x720, H.264 veryfast at the bitrate that lands under
  16 MiB, AAC 128 kbit/s) against its own duration (<= 1x) and against the ``ffmpeg`` command
  line doing the same trim, scale and encode with the same encoder settings (<= 1.2x); ffmpeg
  and ours alternate, medians of the rounds. The full ``pipeline.conform`` (with the check of
  the copy against every limit and its decode to the end) is reported beside it;
* a filmstrip (10 thumbnails, ``media.contact_sheet.filmstrip``) of a 30 s 1080p clip: <= 1 s,
  with keyframes every second (phone-like) and every ~10 s (x264's default).
* the GUI thread while a preparation runs (``--only gui``): the app's engine in live mode
  (a loopback simulator child, as in demo mode) with the real controller and queue panel on a
  qasync loop, one queued job whose reference video is the 15 s 1080p clip; the engine's
  PREPARING step conforms it in a worker thread, progress relayed to the panel. A 10 ms
  precise QTimer on the GUI thread (``gui_lateness``, shared with the UI benchmark) records
  its lateness while the job is PREPARING, and for a baseline the same app idle just before,
  in the same run: p99 <= 8 ms, max <= 25 ms, each.

ffmpeg comes from the ``imageio-ffmpeg`` wheel (the test extra), else the system's ``ffmpeg``.
The machine's load average is printed first: on two shared cores it moves every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "media"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports PySide6 (gui part)
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false;qt.qpa.*=false")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from clipbank import indexed_clip, truncated_faststart, write_clip  # noqa: E402

from seedance_desktop.media.conform import AUDIO_BITRATE, MAX_VIDEO_BITRATE, MIN_VIDEO_BITRATE, conform_video  # noqa: E402
from seedance_desktop.media.contact_sheet import filmstrip  # noqa: E402
from seedance_desktop.media.pipeline import conform, plan_video  # noqa: E402
from seedance_desktop.media.probe import UPLOAD_MAX_BYTES, check_reference_video, probe  # noqa: E402
from seedance_desktop.media.synth import make_clip  # noqa: E402


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def make_matrix(folder: Path, smoke: bool) -> dict[str, Path]:
    """The issue's awkward clips (small where the property allows)."""
    clips = {
        "1080p clip": make_clip(folder / "p1080.mp4", duration=3.0 if smoke else 15.0, width=1920, height=1080),
        "4K 60 fps": indexed_clip(folder / "uhd.mp4", duration=1.0, width=3840, height=2160, fps=60),
        "VP9 WebM": indexed_clip(folder / "vp9.webm", duration=2.0, width=640, height=360, codec="libvpx-vp9"),
        "portrait, rotated": indexed_clip(folder / "phone.mp4", duration=2.0, width=640, height=360, rotation=90),
        "21:9": indexed_clip(folder / "wide.mp4", duration=2.0, width=1260, height=540),
        "30 s": indexed_clip(folder / "long.mp4", duration=30.0, width=640, height=360),
        "truncated": truncated_faststart(folder / "truncated.mp4"),
    }
    try:
        clips["HEVC MOV"] = indexed_clip(folder / "hevc.mov", duration=2.0, width=640, height=360, codec="libx265")
    except Exception:  # noqa: BLE001 - an FFmpeg build without libx265: leave it out
        pass
    return clips


def bench_probe(clips: dict[str, Path], rounds: int) -> list[float]:
    print("\nprobe (median of %d)" % rounds)
    worst = []
    for name, path in clips.items():
        probe(path)  # warm the page cache: the first open of a fresh file is not what is measured
        median = statistics.median(timed(lambda: probe(path)) for _ in range(rounds)) * 1000
        worst.append(median)
        print(f"  {name:<18} {median:7.1f} ms  (target <= 100 ms): {verdict(median <= 100)}")
    return worst


def ffmpeg_command(exe: str, src: Path, dst: Path, width: int, height: int, fps: float, seconds: float,
                   video_bits: int) -> list[str]:
    """The same trim, scale, frame rate and encoder settings as ``conform_video``."""
    return [exe, "-v", "error", "-y", "-i", str(src), "-t", f"{seconds:.3f}",
            "-vf", f"scale={width}:{height}", "-r", f"{fps:g}", "-pix_fmt", "yuv420p",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", str(video_bits),
            "-maxrate", str(int(video_bits * 1.2)), "-bufsize", str(int(video_bits * 2)),
            "-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ar", "48000", "-ac", "2",
            "-movflags", "+faststart", str(dst)]


def bench_prepare(src: Path, folder: Path, rounds: int) -> None:
    info = probe(src)
    plan = plan_video(info)
    assert plan is not None
    seconds = plan.max_seconds
    budget = int(UPLOAD_MAX_BYTES * 8 * 0.90 / seconds)
    video_bits = max(MIN_VIDEO_BITRATE, min(MAX_VIDEO_BITRATE, budget - AUDIO_BITRATE))
    print(f"\nprepare {info.duration:.0f} s {info.width}x{info.height} -> {plan.width}x{plan.height} "
          f"@ {float(plan.fps):g} fps, {video_bits / 1e6:.2f} Mbit/s (rounds: {rounds}, alternating)")
    exe = ffmpeg_exe()
    ours: list[float] = []
    theirs: list[float] = []
    out = folder / "ours.mp4"
    for _ in range(rounds):
        if exe:
            command = ffmpeg_command(exe, src, folder / "ffmpeg.mp4", plan.width, plan.height, float(plan.fps),
                                     seconds, video_bits)
            theirs.append(timed(lambda: subprocess.run(command, check=True)))
        out.unlink(missing_ok=True)
        ours.append(timed(lambda: conform_video(src, out, max_seconds=seconds)))
    mine = statistics.median(ours)
    result = probe(out)
    assert check_reference_video(result) == [], check_reference_video(result)
    print(f"  ours (PyAV, conform_video)   {mine:6.2f} s  = {mine / seconds:.2f}x the clip's {seconds:g} s "
          f"(target <= 1x): {verdict(mine <= seconds)}   [{result.size_bytes / 1e6:.1f} MB]")
    if exe:
        base = statistics.median(theirs)
        size = (folder / "ffmpeg.mp4").stat().st_size
        print(f"  ffmpeg command line          {base:6.2f} s  [{size / 1e6:.1f} MB]")
        print(f"  ours / ffmpeg = {mine / base:.2f} (target <= 1.2): {verdict(mine <= 1.2 * base)}")
    else:
        print("  ffmpeg command line          not found (pip install imageio-ffmpeg, or install ffmpeg)")
    cache = folder / "cache"
    full = timed(lambda: conform(src, plan, cache))
    print(f"  the whole preparing step (encode + check of the copy + decode to its end): {full:.2f} s")
    shutil.rmtree(cache, ignore_errors=True)


def bench_filmstrip(folder: Path, smoke: bool, rounds: int) -> None:
    seconds = 6.0 if smoke else 30.0
    print(f"\nfilmstrip: 10 thumbnails of a {seconds:g} s 1920x1080 clip (median of {rounds})")
    for label, gop in (("keyframe every 1 s", 24), ("keyframe every ~10 s", 250)):
        clip = folder / f"strip-{gop}.mp4"
        write_clip(clip, duration=seconds, width=1920, height=1080, gop=gop)
        filmstrip(clip, 10)  # warm the page cache
        median = statistics.median(timed(lambda: filmstrip(clip, 10)) for _ in range(rounds))
        print(f"  {label:<22} {median:6.2f} s  (target <= 1 s): {verdict(median <= 1.0)}")


def bench_gui(src: Path, folder: Path, idle_seconds: float) -> dict[str, Any]:
    """GUI-timer lateness, the app idle and then while its engine prepares ``src``."""
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from gui_lateness import GuiTimerProbe, summary, verdict_line
    from queue_rig import start_queue_ui
    from seedance_desktop.core.job import InputFile, JobState
    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.core.settings import Settings
    from seedance_desktop.runtime.compose import build_runtime
    from seedance_desktop.simulator.launcher import SimulatorProcess

    qapp = QApplication.instance() or QApplication([])
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    print(f"\nGUI timer while the engine prepares the {probe(src).duration:.0f} s 1080p clip "
          f"(idle baseline {idle_seconds:g} s first, same run)")
    # Long processing: once prepared, the job uploads and then just polls until shutdown.
    sim = SimulatorProcess(("--pending-seconds", "1", "--processing-seconds", "3600", "3600"))
    figures: dict[str, Any] = {}

    async def scenario() -> None:
        from seedance_desktop.ui.app import install_io_executor, tune_interpreter

        install_io_executor(asyncio.get_running_loop())  # as the app does before anything else
        paths = AppPaths.from_env(folder / "gui-home").ensure()
        runtime = await build_runtime(paths, Settings(output_dir=folder / "gui-out"), api_key=sim.api_key,
                                      demo=False, base_url=sim.base_url, start_engine=False)
        ui = await start_queue_ui(runtime)
        tune_interpreter()  # what the app does once its runtime has started
        timer = GuiTimerProbe()
        timer.start()
        await asyncio.sleep(idle_seconds)
        figures["idle"] = summary(timer.take())
        phase: dict[str, Any] = {"progress": 0}
        left = asyncio.Event()

        def on_job(job_id: str) -> None:  # Qt signal, on the GUI thread
            job = ui.controller.job(job_id)
            if job is None:
                return
            if job.state is JobState.PREPARING:
                if "start" not in phase:
                    timer.take()  # the idle ticks between the submit and the PREPARING commit
                    phase["start"], phase["cpu"] = time.perf_counter(), time.thread_time()
                elif job.progress is not None:
                    phase["progress"] += 1
            elif "start" in phase and "end" not in phase:
                phase["end"], phase["cpu"] = time.perf_counter(), time.thread_time() - phase["cpu"]
                phase["lateness"], phase["state"] = timer.take(), job.state.value
                phase["prepared"] = all(i.prepared_path for i in job.inputs)
                phase["job"] = job.id
                left.set()

        ui.controller.job_changed.connect(on_job)
        ui.controller.submit("bytedance/seedance-2.0-fast-v2v",
                             {"prompt": "benchmark [Video 1]", "duration": 4, "resolution": "480p", "ratio": "16:9"},
                             [InputFile("video_urls", 0, str(src))])
        await asyncio.wait_for(left.wait(), 300)
        timer.stop()
        seconds = phase["end"] - phase["start"]
        figures["preparing"] = {**summary(phase["lateness"]), "seconds": round(seconds, 2),
                                "left_for": phase["state"], "prepared": phase["prepared"],
                                "progress_updates": phase["progress"],
                                "gui_thread_cpu_share": round(phase["cpu"] / seconds, 3)}
        ui.controller.cancel(phase["job"])  # the upload is not measured: stop it before shutting down
        ui.panel.close()
        await ui.controller.shutdown()
        await runtime.aclose()

    sim.start()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            runner.run(scenario())
    finally:
        sim.stop()
    idle, busy = figures["idle"], figures["preparing"]
    print(verdict_line(f"idle (engine running, nothing queued), {idle['ticks']} ticks",
                       idle["p50_ms"], idle["p99_ms"], idle["max_ms"]))
    print(verdict_line(f"while PREPARING ({busy['seconds']} s, {busy['ticks']} ticks)",
                       busy["p50_ms"], busy["p99_ms"], busy["max_ms"]))
    print(f"  preparing left for {busy['left_for']}, conformed copy made: {busy['prepared']}, "
          f"{busy['progress_updates']} progress updates shown; GUI thread busy "
          f"{busy['gui_thread_cpu_share'] * 100:.1f}% of the time (CPU time)")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small clips, one round: a quick check")
    parser.add_argument("--rounds", type=int, default=None, help="prepare/filmstrip rounds (default 3; smoke 1)")
    parser.add_argument("--only", choices=("probe", "prepare", "filmstrip", "gui"), help="run one part only")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.smoke else 3)
    load = os.getloadavg()
    print(f"media benchmark{' (smoke)' if args.smoke else ''}: {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="media-bench-") as tmp:
        folder = Path(tmp)
        clips = make_matrix(folder, args.smoke) if args.only not in ("filmstrip", "gui") else {}
        if args.only in (None, "probe"):
            bench_probe(clips, 5)
        if args.only in (None, "prepare"):
            bench_prepare(clips["1080p clip"], folder, rounds)
        if args.only in (None, "filmstrip"):
            bench_filmstrip(folder, args.smoke, rounds)
        if args.only in (None, "gui"):
            clip = clips.get("1080p clip") or make_clip(folder / "p1080.mp4", duration=3.0 if args.smoke else 15.0,
                                                        width=1920, height=1080)
            bench_gui(clip, folder, 2.0 if args.smoke else 8.0)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
