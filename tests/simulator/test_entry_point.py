"""``python -m seedance_desktop.simulator`` and the two launchers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from seedance_desktop.simulator.launcher import SimulatorProcess, SimulatorThread
from seedance_desktop.simulator.server import SimulatorConfig

pytestmark = pytest.mark.timeout(60)


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen([sys.executable, "-m", "seedance_desktop.simulator", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    url_line, key_line = process.stdout.readline().strip(), process.stdout.readline().strip()
    assert url_line.startswith("SIMULATOR_URL=http://127.0.0.1:"), url_line
    assert key_line.startswith("SIMULATOR_KEY="), key_line
    return process, url_line.split("=", 1)[1], key_line.split("=", 1)[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_module_prints_url_and_key_serves_and_stops_cleanly(tmp_path: Path, signum: int) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    process, url, key = _start(["--port", "0", "--time-scale", "60", "--key", "k-123",
                                "--fault", "models:status=503,times=1"], env)
    try:
        assert key == "k-123"
        assert any(scratch.iterdir()), "the simulator keeps its data in a temp dir"
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url}/api/v1/models", headers=headers).status_code == 503
        assert httpx.get(f"{url}/api/v1/models", headers=headers).status_code == 200
        assert httpx.get(f"{url}/api/v1/models").status_code == 401
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert out == ""  # nothing after the two lines
    assert list(scratch.iterdir()) == []  # its temp data dir is gone


def test_module_keeps_a_given_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, url, key = _start(["--port", "0", "--data-dir", str(data)], dict(os.environ))
    try:
        response = httpx.post(f"{url}/api/v1/media/files", headers={"Authorization": f"Bearer {key}"},
                              files={"file": ("a.mp4", b"0123456789", "video/mp4")})
        assert response.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert any((data / "uploads").iterdir())


def test_help_explains_the_options() -> None:
    result = subprocess.run([sys.executable, "-m", "seedance_desktop.simulator", "--help"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for word in ("--port", "--time-scale", "--key", "--fault", "--data-dir", "retry_after", "html="):
        assert word in result.stdout


def test_bad_fault_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "seedance_desktop.simulator", "--fault", "nowhere:drop"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "unknown endpoint" in result.stderr


def test_simulator_process_launcher() -> None:
    with SimulatorProcess(["--time-scale", "60"]) as sim:
        assert sim.running and sim.base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{sim.base_url}/api/v1/apikey/validate",
                             headers={"Authorization": f"Bearer {sim.api_key}"})
        assert response.json()["data"]["is_valid"] is True
        process = sim.process
    assert not sim.running
    assert process is not None and process.returncode == 0  # stopped gracefully (stdin EOF), not killed


def test_bad_time_scale_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "seedance_desktop.simulator", "--time-scale", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "time_scale must be positive" in result.stderr


def test_simulator_process_reports_a_failed_start() -> None:
    with pytest.raises(RuntimeError, match="exited early.*time_scale must be positive"):
        SimulatorProcess(["--time-scale", "-1"]).start()


def test_simulator_thread_stops_without_leaks() -> None:
    before = {t.ident for t in threading.enumerate()}
    thread = SimulatorThread(SimulatorConfig(time_scale=60))
    with thread:
        sim = thread.simulator
        assert sim is not None
        data_dir = sim.data_dir
        assert data_dir.exists()
        assert httpx.get(f"{thread.base_url}/api/v1/team/balance",
                         headers={"Authorization": f"Bearer {thread.api_key}"}).status_code == 200
    assert not data_dir.exists()
    assert {t.ident for t in threading.enumerate()} <= before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{thread.base_url}/api/v1/team/balance")
    thread.stop()  # idempotent


def test_start_is_idempotent_inside_with() -> None:
    before = threading.active_count()
    with SimulatorThread(SimulatorConfig()).start() as thread:
        assert threading.active_count() == before + 1  # one server thread (the render pool starts lazily)
    assert threading.active_count() == before


def test_access_log_never_shows_signed_queries_or_the_key(tmp_path: Path) -> None:
    process, url, key = _start(["--port", "0", "--access-log", "--time-scale", "600"], dict(os.environ))
    try:
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url}/api/v1/team/balance", headers=headers).status_code == 200
        assert httpx.get(f"{url}/files/results/task-x/output.mp4?expires=1&signature=SECRETSIG").status_code == 404
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "GET /api/v1/team/balance -> 200" in err
    assert "/files/results/task-x/output.mp4 -> 404" in err
    assert "SECRETSIG" not in err and key not in err


def test_simulator_process_cleans_up_and_dies_with_its_parent_pipe(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    sim = SimulatorProcess(env={**os.environ, "TMPDIR": str(scratch)}).start()
    try:
        assert any(scratch.iterdir())
        process = sim.process
        assert process is not None and process.stdin is not None
        process.stdin.close()  # what the OS does when the parent dies
        assert process.wait(15) == 0
        assert list(scratch.iterdir()) == []  # it still removed its temp dir
    finally:
        sim.stop()


def test_config_repr_hides_the_key() -> None:
    config = SimulatorConfig(api_key="very-secret-key")
    assert "very-secret-key" not in repr(config)
    with pytest.raises(ValueError, match="processing_seconds"):
        SimulatorConfig(processing_seconds=(10.0, 5.0))


def test_dirs_of_killed_simulators_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from seedance_desktop.simulator.server import Simulator, sweep_stale_data_dirs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / "seedance-sim-stale"
    (stale / "renders").mkdir(parents=True)
    (stale / "owner.pid").write_text(str(dead.pid))
    alive = tmp_path / "seedance-sim-alive"
    alive.mkdir()
    (alive / "owner.pid").write_text(str(os.getppid()))
    foreign = tmp_path / "seedance-sim-foreign"
    foreign.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sim = Simulator(SimulatorConfig())
    try:
        assert not stale.exists()
        assert alive.exists() and foreign.exists()
        assert sim.data_dir.parent == tmp_path and (sim.data_dir / "owner.pid").read_text() == str(os.getpid())
        assert sweep_stale_data_dirs(tmp_path) == 0  # its own dir is never swept
    finally:
        sim.close()
    assert not sim.data_dir.exists()
