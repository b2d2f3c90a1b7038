"""One window per user and config dir: a second launch hands its files to the running window
(which adds them to its form by kind) and exits; a stale socket from a crash is recovered."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.core.paths import AppPaths
from seedance_desktop.ui import single_instance
from seedance_desktop.ui.single_instance import InstanceServer, claim, decode_request, encode_request, server_name

QT_NOISE = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device",
    "does not support raise", "does not support requestActivate", r"QBackingStore::flush\(\) called for",
)


@pytest.fixture
def released() -> Any:
    """Servers made by a test leave the (session-wide) QApplication when it ends."""
    servers: list[InstanceServer] = []
    yield servers.append
    for server in servers:
        server.release()
    gc.collect()


def second_launch(home: Path, *files: Path) -> subprocess.Popen[str]:
    """A real second ``seedance-desktop`` process, offscreen, with files on its command line."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("MODELLIX_API_KEY", None)
    return subprocess.Popen([sys.executable, "-m", "seedance_desktop", "--home", str(home), *map(str, files)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def outcome(launch: subprocess.Popen[str]) -> tuple[int, str]:
    """Exit code and stderr of a finished launch (its pipes closed)."""
    _, err = launch.communicate(timeout=30)
    return launch.returncode, err


def test_names_are_per_config_dir_and_requests_round_trip(tmp_path: Path) -> None:
    one, two = AppPaths.from_env(tmp_path / "one"), AppPaths.from_env(tmp_path / "two")
    assert server_name(one) != server_name(two) and server_name(one) == server_name(AppPaths.from_env(tmp_path / "one"))
    assert len(server_name(one)) < 40  # Unix socket paths are short
    assert decode_request(encode_request(["a.mp4", "/x/b.png"])) == [os.path.abspath("a.mp4"), "/x/b.png"]
    assert decode_request(b"garbage\n") == [] and decode_request(b'{"files": [1, "c.wav"]}\n') == ["c.wav"]


@QT_NOISE
@pytest.mark.timeout(90)
def test_second_launch_hands_files_to_the_running_live_window(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, media_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch, released: Any,
) -> None:
    from seedance_desktop.runtime import compose as composition
    from seedance_desktop.ui import app as appmod

    home = tmp_path / "home"
    paths = AppPaths.from_env(home).ensure()
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)  # live mode: a key ...
    modes: list[bool] = []

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        modes.append(kw["demo"])
        # ... and a base URL pointing at the simulator.
        return await composition.build_runtime(paths, settings, **{**kw, "base_url": simulator.base_url},
                                               output_dir=tmp_path / "out")

    server = claim(paths, [])  # what __main__ does before building the window
    assert server is not None and server.server.isListening()
    released(server)
    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder)
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        result["banner"] = desktop.window.banner.isVisible()
        result["before"] = [i.local_path for i in desktop.form.recipe()[2]]
        launch = second_launch(home, media_files["video"], media_files["image"])
        while launch.poll() is None:  # the event loop keeps running: the server answers
            await asyncio.sleep(0.05)
        result["exit"], result["stderr"] = outcome(launch)
        for _ in range(200):
            if len(desktop.form.recipe()[2]) >= 1:
                break
            await asyncio.sleep(0.05)
        result["after"] = desktop.form.recipe()[2]
        result["visible"] = desktop.window.isVisible()
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()
    assert modes == [False] and result["banner"] is False  # live mode, no demo banner
    assert result["before"] == []
    assert result["exit"] == 0, result["stderr"]
    # Routed by kind: the clip is a reference video, the still goes to an image field.
    by_path = {i.local_path: i.field for i in result["after"]}
    assert by_path[str(media_files["video"])] == "video_urls"
    assert by_path[str(media_files["image"])] in ("first_frame_image", "reference_images")
    assert result["visible"]


@QT_NOISE
@pytest.mark.timeout(60)
def test_requests_before_the_window_is_ready_wait_for_it(qtbot: Any, qapp: Any, tmp_path: Path,
                                                         released: Any) -> None:
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QWidget

    class Ready(QObject):
        fired = Signal()

    paths = AppPaths.from_env(tmp_path / "home").ensure()
    server = claim(paths, [str(tmp_path / "own.mp4")])  # this launch's own files
    assert server is not None
    released(server)
    got: list[list[str]] = []
    window = QWidget()
    qtbot.addWidget(window)
    ready = Ready()
    assert single_instance.serve_window(window, got.append, ready.fired) is server
    launch = second_launch(tmp_path / "home", tmp_path / "other.mp4")
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=30_000)
    assert outcome(launch) == (0, "")
    assert got == []  # start-up is not finished: nothing is added yet
    ready.fired.emit()
    assert got == [[str(tmp_path / "own.mp4")], [str(tmp_path / "other.mp4")]]
    assert window.isVisible()


@pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files")
@pytest.mark.timeout(60)
def test_a_stale_socket_after_a_crash_does_not_block_the_next_start(qtbot: Any, qapp: Any, tmp_path: Path,
                                                                    released: Any) -> None:
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    name = server_name(paths)
    stale = Path(tempfile.gettempdir()) / name
    stale.unlink(missing_ok=True)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(stale))
    crashed.listen(1)
    crashed.close()  # the file stays behind, as after a SIGKILL; connecting is refused
    assert stale.exists()

    server = claim(paths, [])
    assert server is not None and server.server.isListening()
    released(server)
    got: list[list[str]] = []
    server.attach(got.append)
    launch = second_launch(tmp_path / "home", tmp_path / "x.png")
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=30_000)
    assert outcome(launch) == (0, "") and got == [[str(tmp_path / "x.png")]]


def test_window_command_line_splits_files_from_options(capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.__main__ import main, split_window_args

    assert split_window_args(["--demo", "a.mp4", "--home", "/h", "b.png"]) == (["--demo", "--home", "/h"],
                                                                             ["a.mp4", "b.png"], "/h")
    assert split_window_args(["a.mp4", "--demo", "c.wav"]) == (["--demo"], ["a.mp4", "c.wav"], None)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--demo" in out and "FILE ..." in out
