"""Screenshots of a whole live-mode session, under Xvfb with openbox, at two window sizes.

    python tests/tools/screenshots.py OUT_DIR [--sizes 1600x1000,1024x700]

For each size it starts an X server of that size with the openbox window manager and runs the
real app in a child process (the same ``Shell`` + ``DesktopApp`` as ``python -m
seedance_desktop``) in **live mode**: a simulator started in that process with its own key, the key
in ``MODELLIX_API_KEY`` and the simulator's URL as the base URL in the settings file, so no demo
banner. The session, driven through the widgets:

1. a job that succeeds; the form then edited for a second request;
2. ``<size>-1-form-queue.png``: the form holding that request and the queue with the result;
   the second request is then sent and the server fails it (the simulator's ``fail_task`` fault);
3. ``<size>-2-failure-selected.png``: the failed row selected, its Details tab brought forward
   (the script checks that selecting it switches from the player to the details);
4. ``<size>-3-player.png``: the successful result playing (paused on a frame);
5. ``<size>-4-fullscreen.png``: the player in full screen;
6. ``<size>-5-trim-decoding.png``: the trim editor opened on a generated 30 s 1080p clip for a
   9:16 output (``tests/media/clipbank.py``), taken while its filmstrip still decodes when the
   session catches it (``trim_caught_decoding`` in the result says whether it did);
7. ``<size>-6-trim.png``: the same editor with the filmstrip loaded, the selection at 10-16 s
   and Crop chosen (the 9:16 box over the preview);
8. ``<size>-7-compare-side.png`` and ``<size>-8-compare-wipe.png``: the compare dialog of the
   finished job against its reference, side by side, then with the wipe on;
9. ``<size>-9-compare-export.png``: the same dialog writing a contact sheet (its progress bar and
   Cancel button), which is then cancelled.

Without ``Xvfb`` or ``openbox`` it prints why and exits 0 (a skip, not a failure). The API key
never appears in a picture: no dialog that shows it is opened.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = "1600x1000,1024x700"
MODEL = "bytedance/seedance-2.0-fast-v2v"
FAIL_MESSAGE = ("InputVideoSensitiveContentDetected.PrivacyInformation: the input video may contain "
                "real human faces")


# ------------------------------------------------------------------ the parent: X server and WM

def start_display(width: int, height: int) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a display number it picks itself (-displayfd), so parallel runs never collide."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_size(out_dir: Path, width: int, height: int, timeout: float) -> dict[str, Any]:
    xvfb, display = start_display(width, height)
    try:
        env = {**os.environ, "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # openbox takes the screen before the window maps (else no frame)
            with tempfile.TemporaryDirectory(prefix="seedance-shots-") as home:
                child_env = {
                    **env, "QT_QPA_PLATFORM": "xcb", "SEEDANCE_HOME": home,
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                    "QT_LOGGING_RULES": "qt.multimedia.*=false;qt.qpa.*=false",
                    "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                }
                child_env.pop("MODELLIX_API_KEY", None)
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scenario", str(out_dir),
                                       "--size", f"{width}x{height}"], env=child_env, capture_output=True,
                                      text=True, timeout=timeout)
        finally:
            stop(wm)
    finally:
        stop(xvfb)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the session at {width}x{height} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len("RESULT "):]))


# ------------------------------------------------------------------ the child: the real app, live

def scenario(out_dir: Path, size: str) -> int:
    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.media.synth import make_clip
    from seedance_desktop.simulator.launcher import SimulatorThread
    from seedance_desktop.simulator.server import SimulatorConfig

    # Compressed time: a task is done in about two seconds (plus its render).
    sim = SimulatorThread(SimulatorConfig(time_scale=30.0, pending_seconds=3.0, processing_seconds=(30.0, 45.0)))
    sim.start()
    paths = AppPaths.from_env().ensure()
    paths.settings_file.write_text(json.dumps({"base_url": sim.base_url}), encoding="utf-8")
    os.environ["MODELLIX_API_KEY"] = sim.api_key
    clip = make_clip(paths.cache_dir / "harbour.mp4", duration=5.0)
    sys.path.insert(0, str(REPO / "tests" / "media"))
    from clipbank import make

    long_clip = make("30s_1080p", paths.cache_dir)   # written before the app starts: no GUI to block
    try:
        return _run_app(paths, out_dir, size, sim, clip, long_clip)
    finally:
        sim.stop()


def _run_app(paths: Any, out_dir: Path, size: str, sim: Any, clip: Path, long_clip: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from seedance_desktop.ui import app as appmod
    from tests.ui.live_app import until  # the child has the repository on PYTHONPATH

    qapp = QApplication(sys.argv[:1])
    qapp.setApplicationName("Seedance Desktop")
    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    shell.window.showMaximized()
    shell.show_and_paint(qapp)
    import asyncio

    import qasync

    result: dict[str, Any] = {"shots": []}
    desktop_ref: list[Any] = []   # the running DesktopApp, for the steps after the main session
    out_dir.mkdir(parents=True, exist_ok=True)

    def shoot(name: str) -> None:
        qapp.processEvents()
        image = qapp.primaryScreen().grabWindow(0)  # the whole screen: the frame and any dialog too
        target = out_dir / f"{size}-{name}.png"
        image.save(str(target), "PNG")
        result["shots"].append(str(target))

    async def drive(desktop: Any) -> None:
        from seedance_desktop.core.job import InputFile, JobState
        from seedance_desktop.simulator.faults import Fault, FaultKind

        await asyncio.wait_for(desktop.ready.wait(), 60)
        win, form, panel, player = desktop.window, desktop.form, desktop.panel, desktop.player
        result["demo_banner"] = win.banner.isVisible()
        store = desktop.runtime.store

        async def submit(prompt: str, seed: int) -> str:
            before = {job.id for job in store.list()}
            form.set_recipe(MODEL, {"prompt": prompt, "duration": 5, "resolution": "480p", "ratio": "16:9",
                                    "seed": seed}, [InputFile("video_urls", 0, str(clip))])
            await until(form.submit_action.isEnabled, 30, "the form to accept the request")
            form.submit_action.trigger()
            await until(lambda: len({job.id for job in store.list()} - before) == 1, 20, "the new job")
            (job_id,) = {job.id for job in store.list()} - before
            return str(job_id)

        good = await submit("A paper boat drifts through [Video 1] at dusk, lanterns reflected in the water.", 7)
        await until(lambda: store.get(good).state is JobState.DONE, 120, "the first job to be done")
        # The next request typed over the first, as a person edits (no "form replaced" notice).
        assert form.prompt is not None
        form.prompt.set_text("Turn the people in [Video 1] into marble statues, museum lighting.")
        form.editors["seed"].set_value(8)
        panel.select_job(good)
        await until(form.submit_action.isEnabled, 30, "the form to accept the edited request")
        await asyncio.sleep(0.5)
        shoot("1-form-queue")

        before = {job.id for job in store.list()}
        sim.simulator.inject(Fault("submit", FaultKind.FAIL_TASK, message=FAIL_MESSAGE))
        form.submit_action.trigger()
        await until(lambda: len({job.id for job in store.list()} - before) == 1, 20, "the second job")
        (bad,) = {job.id for job in store.list()} - before
        await until(lambda: store.get(bad).state is JobState.FAILED, 120, "the second job to fail")
        result["states"] = [store.get(good).state.value, store.get(bad).state.value]

        # The person looks at the result, then picks the failed row: the Details tab comes forward.
        panel.select_job(good)
        assert win.job_tabs is not None
        win.job_tabs.show_player()
        panel.select_job(bad)
        await asyncio.sleep(0.8)
        result["details_shown"] = win.job_tabs.currentWidget() is win.job_tabs.details
        shoot("2-failure-selected")

        frames: list[int] = []
        player.video_sink.videoFrameChanged.connect(lambda frame: frames.append(1) if frame.isValid() else None)
        panel.select_job(good)
        panel.job_actions["play"].trigger()
        await until(lambda: len(frames) >= 24, 30, "video frames")
        player.media.pause()
        await asyncio.sleep(0.5)
        shoot("3-player")

        player.enter_fullscreen()
        await until(lambda: player.is_fullscreen, 10, "full screen")
        await asyncio.sleep(1.5)
        shoot("4-fullscreen")
        result["fullscreen"] = player.is_fullscreen
        player.leave_fullscreen()
        await asyncio.sleep(0.3)
        player.media.stop()

        await trim_shots()
        await compare_shots(good)
        win.quit_now()

    async def trim_shots() -> None:
        """The trim editor on the long 1080p clip, the form asking for 9:16: framing is offered."""
        from seedance_desktop.core.job import InputFile

        form = desktop_ref[0].form
        form.set_recipe(MODEL, {"prompt": "[Video 1] as a paper cut-out theatre.", "duration": 5,
                                "resolution": "480p", "ratio": "9:16", "seed": 9},
                        [InputFile("video_urls", 0, str(long_clip))])
        videos = form.media["video_urls"]
        await until(lambda: videos.cached_inspection(0) is not None, 90, "the long clip's inspection")
        videos.list.setCurrentRow(0)
        dialog = form.open_trim("video_urls", 0)
        assert dialog is not None
        await until(lambda: dialog.strip.images_shown() >= 3 or dialog.images_ready, 120, "the first thumbnails")
        result["trim_caught_decoding"] = not dialog.images_ready
        shoot("5-trim-decoding")
        await until(lambda: dialog.images_ready, 120, "the whole filmstrip")
        dialog.strip.set_selection(10.0, 16.0)
        crop = dialog.mode_buttons.button(1)
        assert crop is not None, "no framing offered for a 16:9 clip and a 9:16 output"
        crop.click()
        assert dialog.crop_view is not None
        await until(dialog.crop_view.has_picture, 60, "the crop preview")
        await asyncio.sleep(0.5)
        shoot("6-trim")
        result["trim"] = {"selection": [dialog.strip.start, dialog.strip.end], "framing": dialog.framing(),
                          "size": [dialog.width(), dialog.height()]}
        dialog.reject()
        await asyncio.sleep(0.3)

    async def compare_shots(job_id: str) -> None:
        """The compare dialog of the finished job: side by side, then the wipe."""
        win = desktop_ref[0].window
        win.compare_job(job_id)
        dialog = win.compare_dialog
        assert dialog is not None
        await until(lambda: min(dialog.frames_seen) > 0, 60, "both pictures in the compare dialog")
        await until(lambda: dialog.players[0].duration() > 0, 30, "the result's duration")
        dialog.seek(dialog.players[0].duration() // 2)   # a moment inside both clips, not their first frame
        await asyncio.sleep(1.0)
        shoot("7-compare-side")
        dialog.wipe.click()
        await asyncio.sleep(0.5)
        shoot("8-compare-wipe")
        # The contact sheet under way: its progress bar and Cancel beside the export button (shot
        # before the worker can finish), then cancelled: no file is left.
        sheet = paths.cache_dir / "contact.png"
        dialog.export_to(str(sheet))
        await until(lambda: dialog.cancel_export_button.isVisible(), 10, "the export's progress")
        shoot("9-compare-export")
        dialog.cancel_export()
        result["compare"] = {"size": [dialog.width(), dialog.height()], "frames_seen": list(dialog.frames_seen)}
        dialog.reject()
        await asyncio.sleep(0.3)

    async def main() -> None:
        desktop = appmod.DesktopApp(qapp, paths, shell=shell, tune=True)
        desktop_ref.append(desktop)
        driver = asyncio.ensure_future(drive(desktop))
        try:
            await desktop.run()
        finally:
            if not driver.done():
                driver.cancel()
        await driver

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(main())
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of a live-mode session under Xvfb + openbox.")
    parser.add_argument("out_dir", type=Path, nargs="?", help="folder for the PNG files (created)")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"screen sizes, WxH,... (default {DEFAULT_SIZES})")
    parser.add_argument("--timeout", type=float, default=480.0, help="seconds per size (default 480)")
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scenario:
        return scenario(args.scenario, args.size)
    if args.out_dir is None:
        parser.error("the output folder is required")
    missing = [tool for tool in ("Xvfb", "openbox") if shutil.which(tool) is None]
    if missing:
        print(f"skipped: {' and '.join(missing)} not installed (apt install xvfb openbox)")
        return 0
    out_dir = args.out_dir.resolve()
    for size in args.sizes.split(","):
        width, height = (int(n) for n in size.lower().split("x"))
        result = run_size(out_dir, width, height, args.timeout)
        print(f"{size}: jobs {result.get('states')}, demo banner {result.get('demo_banner')}, "
              f"failure details shown {result.get('details_shown')}, full screen {result.get('fullscreen')}, "
              f"trim {result.get('trim')} (caught decoding {result.get('trim_caught_decoding')}), "
              f"compare {result.get('compare')}")
        for shot in result["shots"]:
            print(f"  {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
