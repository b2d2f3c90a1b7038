"""Issue 8, case 7: a ``submit --wait`` stopped before it sent anything must not leave a job
that the next command sends (running the command again would pay twice).

Real processes over real loopback HTTP: ``python -m seedance_desktop.cli ... submit --wait``
against a simulator started here, in live mode (key from the environment, ``--base-url``). The
simulator holds the upload answer back (a SLOW fault that never creates the file), so the
command is reliably stopped while nothing has been sent: the job is UPLOADING.

* SIGHUP (a closed terminal) and SIGTERM stop it like Ctrl+C: the job is cancelled, the exit
  code is the interrupted one, and the next command POSTs nothing.
* SIGKILL leaves the job queued but *held*: ``list`` shows it held, ``wait --all`` does not POST
  it, and ``send ID`` sends it exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.cli.parser import EXIT_INTERRUPTED, EXIT_OK
from seedance_desktop.simulator.faults import Fault


def _env(simulator: Any) -> dict[str, str]:
    return dict(os.environ, MODELLIX_API_KEY=simulator.api_key, PYTHONUNBUFFERED="1")


def _common(tmp_path: Path, simulator: Any) -> list[str]:
    return [sys.executable, "-m", "seedance_desktop.cli", "--home", str(tmp_path / "home"),
            "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]


def _run(tmp_path: Path, simulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_common(tmp_path, simulator), *args], capture_output=True, text=True,
                          timeout=90, env=_env(simulator), stdin=subprocess.DEVNULL)


def _start_submit_stuck_in_upload(tmp_path: Path, simulator: Any, clip: Path) -> subprocess.Popen[str]:
    """A ``submit --wait`` whose upload answer never comes: stopped there, nothing was sent."""
    simulator.simulator.inject(Fault.parse("upload:slow,delay=60,create_task=false,times=-1"))
    err = (tmp_path / "submit.err").open("w")
    proc = subprocess.Popen(
        [*_common(tmp_path, simulator), "submit", "--wait", "--video", str(clip), "--prompt", "[Video 1] at night",
         "--duration", "4", "--resolution", "480p"],
        stdout=subprocess.PIPE, stderr=err, text=True, env=_env(simulator), stdin=subprocess.DEVNULL,
    )
    err.close()
    deadline = time.monotonic() + 60
    while simulator.simulator.request_counts().get("upload", 0) < 1:
        assert proc.poll() is None, (tmp_path / "submit.err").read_text()
        assert time.monotonic() < deadline, "the upload never started: " + (tmp_path / "submit.err").read_text()
        time.sleep(0.05)
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)
    if proc.stdout is not None:
        proc.stdout.close()


def _jobs(tmp_path: Path, simulator: Any) -> list[dict[str, Any]]:
    result = _run(tmp_path, simulator, "list", "--json")
    assert result.returncode == EXIT_OK, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_submit_wait_stopped_by_hup_or_term_before_sending_cancels_its_job(
        sig: signal.Signals, tmp_path: Path, clip: Path, simulator: Any) -> None:
    proc = _start_submit_stuck_in_upload(tmp_path, simulator, clip)
    try:
        proc.send_signal(sig)
        assert proc.wait(40) == EXIT_INTERRUPTED, (tmp_path / "submit.err").read_text()
    finally:
        _stop(proc)
    err = (tmp_path / "submit.err").read_text()
    assert "has been cancelled (nothing was charged)" in err, err
    assert "Traceback" not in err, err
    simulator.simulator.clear_faults()

    (job,) = _jobs(tmp_path, simulator)
    assert job["state"] == "cancelled"
    result = _run(tmp_path, simulator, "wait", "--all")
    assert result.returncode == EXIT_OK, result.stderr
    assert simulator.simulator.request_counts().get("submit", 0) == 0  # nothing was ever POSTed


@pytest.mark.timeout(150)
def test_submit_wait_killed_before_sending_leaves_a_held_job_that_send_sends_once(
        tmp_path: Path, clip: Path, simulator: Any) -> None:
    proc = _start_submit_stuck_in_upload(tmp_path, simulator, clip)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        _stop(proc)
    simulator.simulator.clear_faults()

    # The next command that runs the engine does not send it: it holds it, and says so.
    result = _run(tmp_path, simulator, "wait", "--all")
    assert result.returncode == EXIT_OK, result.stderr
    assert "held: the command that queued it stopped before sending it" in result.stderr, result.stderr
    assert simulator.simulator.request_counts().get("submit", 0) == 0

    (job,) = _jobs(tmp_path, simulator)
    assert job["state"] == "queued" and job["held"], job
    table = _run(tmp_path, simulator, "list")
    assert table.returncode == EXIT_OK and "held" in table.stdout
    assert f"seedance-desktop-cli send {job['id'][:12]}" in table.stdout, table.stdout
    shown = _run(tmp_path, simulator, "show", job["id"][:10])
    assert "held: the command that queued it stopped before sending it" in shown.stdout, shown.stdout

    # A second engine start (another command) still does not send it.
    result = _run(tmp_path, simulator, "wait", "--all")
    assert result.returncode == EXIT_OK, result.stderr
    assert simulator.simulator.request_counts().get("submit", 0) == 0

    # One command sends it, exactly once, and waits for the result.
    result = _run(tmp_path, simulator, "send", job["id"][:10], "--json")
    assert result.returncode == EXIT_OK, result.stderr
    (done,) = json.loads(result.stdout)
    assert done["state"] == "done" and Path(done["video_path"]).is_file()
    assert done["held"] is None
    assert simulator.simulator.request_counts()["submit"] == 1

    # Sending it again is refused (it is no longer held), and nothing is posted again.
    again = _run(tmp_path, simulator, "send", job["id"][:10])
    assert again.returncode != EXIT_OK and "only a held job" in again.stderr, again.stderr
    assert simulator.simulator.request_counts()["submit"] == 1


@pytest.mark.timeout(90)
def test_wait_naming_a_held_job_sends_it_once(tmp_path: Path, simulator: Any, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``wait ID`` is the other documented way to send a held job (naming it is the decision)."""
    from seedance_desktop import cli
    from seedance_desktop.core.job import Job
    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.core.store import JobStore

    hosted_clip = tmp_path / "hosted.mp4"
    from seedance_desktop.media.synth import make_clip
    import httpx

    make_clip(hosted_clip, duration=4.0)
    with httpx.Client() as http, hosted_clip.open("rb") as handle:
        hosted = http.post(f"{simulator.base_url}/api/v1/media/files", files={"file": ("clip.mp4", handle, "video/mp4")},
                           headers={"Authorization": f"Bearer {simulator.api_key}"}).json()["data"]["url"]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    store = JobStore(AppPaths.from_env(tmp_path / "home").ensure().db_file)
    job = store.add(Job(request={"prompt": "[Video 1] at dawn", "video_urls": [hosted], "duration": 4,
                                 "resolution": "480p"}, queued_by=f"cli:{dead.pid}:1"))
    store.close()
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    common = ["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]
    assert cli.main([*common, "wait", "--all"]) == EXIT_OK
    assert "held:" in capsys.readouterr().err
    assert simulator.simulator.request_counts().get("submit", 0) == 0
    assert cli.main([*common, "wait", job.id[:10]]) == EXIT_OK
    captured = capsys.readouterr()
    assert "Sending held job" in captured.err and Path(captured.out.strip()).is_file()
    assert simulator.simulator.request_counts()["submit"] == 1
