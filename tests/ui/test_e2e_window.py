"""End to end under a real X display: the app window in demo mode, two jobs, a played result.

The scenario runs in a child process because the test session's QApplication uses the
offscreen platform, and a process can only ever have one platform. The child is the real app
(``app.Shell`` + ``app.DesktopApp``, demo mode with the simulator child process the app starts
itself), driven in-process through its widgets:

* the form opens with the sample clip; Submit is pressed twice;
* both jobs go through their states in the queue panel's model until Done;
* the first result plays: frames arrive in the player's ``QVideoSink``;
* ``QScreen.grabWindow(0)`` saves a screenshot with the player showing a frame.

An Xvfb server is started for the test when ``Xvfb`` exists and no DISPLAY is set; without
either the test is skipped. The same file can write a screenshot of that run (the README's
comes from ``tests/tools/screenshots.py``)::

    python tests/ui/test_e2e_window.py --screenshot /tmp/e2e.png
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCREEN = (1440, 900)


# ------------------------------------------------------------------ display handling

def start_xvfb() -> tuple[subprocess.Popen[bytes], str] | None:
    """Start ``Xvfb`` on a free display number; None when the binary is missing."""
    binary = shutil.which("Xvfb")
    if binary is None:
        return None
    for number in range(90, 140):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen([binary, f":{number}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                                 "-nolisten", "tcp", "-noreset"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return proc, f":{number}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        stop_xvfb(proc)
    return None


def stop_xvfb(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_child(display: str, screenshot: Path, home: Path, timeout: float = 150) -> dict[str, Any]:
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "SEEDANCE_HOME": str(home),
        "SEEDANCE_DEMO_TIME_SCALE": "60",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "QT_LOGGING_RULES": "qt.multimedia.*=false;qt.qpa.*=false",
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.pop("MODELLIX_API_KEY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scenario", str(screenshot)],
                          env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(f"scenario failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len("RESULT "):]))


# ------------------------------------------------------------------ the test

try:
    import pytest
except ImportError:  # script mode without pytest installed
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def display() -> Iterator[str]:
        existing = os.environ.get("DISPLAY")
        if existing:
            yield existing
            return
        started = start_xvfb()
        if started is None:
            pytest.skip("no X display: Xvfb is not installed (CI installs it via .ci/run)")
        proc, name = started
        try:
            yield name
        finally:
            stop_xvfb(proc)

    @pytest.mark.xvfb
    @pytest.mark.slow
    @pytest.mark.timeout(180)
    def test_demo_window_two_jobs_play_and_screenshot(display: str, tmp_path: Path) -> None:
        shot = tmp_path / "window.png"
        result = run_child(display, shot, tmp_path / "home")
        assert result["demo_banner"] and "Demo mode" in result["banner_text"]
        assert result["sample_in_form"].endswith("sample_clip.mp4")
        assert len(result["jobs"]) == 2
        for states in result["jobs"].values():
            assert states[0] == "queued" and states[-1] == "done"
            assert {"submitted", "downloading"} & set(states) or "processing" in states, states
        assert result["frames"] >= 5 and result["frame_width"] > 0
        assert result["counts"].startswith("Queued 0 · Running 0 · Done 2")
        assert result["mode"] == "Demo"
        assert shot.is_file() and shot.stat().st_size > 10_000
        from PySide6.QtGui import QImage

        image = QImage(str(shot))
        assert (image.width(), image.height()) == tuple(result["screenshot_size"])
        # The player's picture is in the grab: the video area is not a single flat colour.
        x, y, w, h = result["video_rect"]
        colours = {image.pixel(x + dx * w // 8, y + dy * h // 8) for dx in range(1, 8) for dy in range(1, 8)}
        assert len(colours) > 4


# ------------------------------------------------------------------ the child: the real app

def scenario(screenshot: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from seedance_desktop.ui import app as appmod
    from seedance_desktop.core.paths import AppPaths
    from tests.ui.live_app import until  # the child has the repository on PYTHONPATH

    qapp = QApplication(sys.argv[:1])
    qapp.setQuitOnLastWindowClosed(False)
    paths = AppPaths.from_env().ensure()
    shell = appmod.Shell(paths)
    shell.window.setGeometry(0, 0, *SCREEN)
    shell.show_and_paint(qapp)
    import asyncio

    import qasync

    result: dict[str, Any] = {}

    async def drive(desktop: Any) -> None:
        from seedance_desktop.core.job import JobState
        from seedance_desktop.ui.queue.queue_model import StateRole

        await asyncio.wait_for(desktop.ready.wait(), 60)
        win, form, panel, player = desktop.window, desktop.form, desktop.panel, desktop.player
        result["demo_banner"] = win.banner.isVisible()
        result["banner_text"] = win.banner.label.text()
        _, _, inputs = form.recipe()
        result["sample_in_form"] = inputs[0].local_path if inputs else ""
        await until(lambda: form.submit_action.isEnabled(), 30, "the form to become valid")

        seen: dict[str, list[str]] = {}

        def record(*_args: Any) -> None:  # what the queue panel shows, row by row
            model = panel.model
            for row in range(model.rowCount()):
                job = model.job_at(row)
                state = model.data(model.index(row, 3), StateRole)
                if job is not None and state is not None:
                    states = seen.setdefault(job.id, [])
                    if not states or states[-1] != state.value:
                        states.append(state.value)

        panel.model.dataChanged.connect(record)
        panel.model.rowsInserted.connect(record)
        form.submit_action.trigger()  # job 1: the sample request the app put in the form
        await asyncio.sleep(0.3)
        # Job 2: fill the form ourselves (the sample clip again, another prompt, a fixed seed).
        from seedance_desktop.core.job import InputFile
        from seedance_desktop.core.package_data import sample_clip

        form.set_recipe(appmod.SAMPLE_MODEL, {
            "prompt": "A paper boat drifts through [Video 1] at dusk, lanterns reflected in the water.",
            "duration": 4, "resolution": "480p", "ratio": "16:9", "seed": 42,
        }, [InputFile("video_urls", 0, str(sample_clip(paths.cache_dir)))])
        await until(lambda: form.submit_action.isEnabled(), 30, "the refilled form to become valid")
        form.submit_action.trigger()
        await until(lambda: len(seen) == 2 and all(s[-1] == "done" for s in seen.values()), 90,
                    "both jobs to finish")
        result["jobs"] = seen
        await until(lambda: win.counts_label.text().startswith("Queued 0 · Running 0 · Done 2"), 5, "counts")
        result["counts"] = win.counts_label.text()
        result["mode"] = win.mode_label.text()

        frames: list[int] = []
        player.video_sink.videoFrameChanged.connect(
            lambda frame: frames.append(frame.width()) if frame.isValid() else None)
        first = next(iter(seen))
        panel.select_job(first)
        assert panel.model.data(panel.model.index(panel.model.row_of(first), 3), StateRole) == JobState.DONE
        panel.job_actions["play"].trigger()
        await until(lambda: len(frames) >= 24, 30, "video frames")
        await asyncio.sleep(0.5)
        player.media.pause()
        await asyncio.sleep(0.5)
        result["frames"] = len(frames)
        result["frame_width"] = frames[-1]
        panel.view.clearSelection()  # no highlight over the first row in the picture
        panel.select_job(first)
        await asyncio.sleep(0.3)
        image = qapp.primaryScreen().grabWindow(0)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(screenshot), "PNG", 9)
        result["screenshot_size"] = [image.width(), image.height()]
        top_left = player.video.mapTo(win, player.video.rect().topLeft())
        origin = win.geometry().topLeft()
        result["video_rect"] = [origin.x() + top_left.x(), origin.y() + top_left.y(),
                                player.video.width(), player.video.height()]
        win.close()

    async def main() -> None:
        desktop = appmod.DesktopApp(qapp, paths, force_demo=True, shell=shell, tune=True)
        driver = asyncio.ensure_future(drive(desktop))
        exit_code = await desktop.run()
        await driver  # raises what the driver raised
        result["exit_code"] = exit_code

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(main())
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the demo window end to end and save a screenshot.")
    parser.add_argument("--screenshot", type=Path, help="write the README screenshot here")
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.scenario:
        return scenario(args.scenario)
    target = args.screenshot or Path("screenshot.png")
    started = None if os.environ.get("DISPLAY") else start_xvfb()
    display = os.environ.get("DISPLAY") or (started[1] if started else None)
    if display is None:
        print("no X display and no Xvfb: cannot take a screenshot", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="seedance-e2e-") as home:
            result = run_child(display, target.resolve(), Path(home))
    finally:
        if started is not None:
            stop_xvfb(started[0])
    print(json.dumps(result, indent=2))
    print(f"screenshot: {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
