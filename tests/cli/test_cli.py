"""The command line: parsing and friendly validation (exit 2 naming the option), the missing-key
error (exit 3), list/show output, no Qt on the CLI path, and the whole demo flow end to end in a
child process (simulator child on loopback, real upload/submit/poll/download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from seedance_desktop import cli
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_OK, build_parser
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore


#: Runs the CLI like its console script does, then fails (exit 99) if anything imported Qt.
_NO_QT_MAIN = (
    "import sys\n"
    "from seedance_desktop.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
    "if qt:\n"
    "    print('Qt was imported: ' + ', '.join(qt), file=sys.stderr)\n"
    "    sys.exit(99)\n"
    "sys.exit(code)\n"
)


def run_cli(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with no display and no key (unless ``env`` sets one)."""
    drop = ("MODELLIX_API_KEY", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", _NO_QT_MAIN, "--home", str(home), *args],
        capture_output=True, text=True, timeout=timeout, env=full_env,
    )


def make_job_store(home: Path) -> tuple[JobStore, Job]:
    paths = AppPaths.from_env(home).ensure()
    store = JobStore(paths.db_file)
    job = store.add(Job(request={"prompt": "a cat in [Video 1]", "duration": 4, "resolution": "480p"}))
    store.transition(job.id, JobState.SUBMITTING, "sending")
    store.transition(job.id, JobState.SUBMITTED, "accepted", task_id="task-xyz",
                     result_url="https://api.example/api/v1/tasks/task-xyz?sig=SECRET")
    return store, job


# ----------------------------------------------------------------------------- parsing


def test_global_options_work_before_and_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--demo", "--json", "list"])
    after = parser.parse_args(["list", "--demo", "--json"])
    assert before.demo and before.json and after.demo and after.json
    neither = parser.parse_args(["list"])
    assert not neither.demo and not neither.json
    sub = parser.parse_args(["submit", "--no-generate-audio", "--camera-fixed", "--video", "a", "--video", "b"])
    assert sub.generate_audio is False and sub.camera_fixed is True and sub.video == ["a", "b"]


def test_help_documents_exit_codes_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["submit", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for needle in ("exit codes:", "--no-generate-audio", "--expires-after", "--reference-image", "examples:", "--wait"):
        assert needle in text


@pytest.mark.timeout(30)
def test_bad_input_exits_2_and_names_each_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main([
        "--home", str(tmp_path), "submit", "--demo", "--prompt", "x",
        "--video", "https://example.com/a.mp4", "--duration", "99", "--resolution", "1080p",
        "--first-frame", "https://example.com/f.png", "--reference-image", str(tmp_path / "missing.png"),
    ])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--duration:" in err and "4 to 15" in err
    assert "--resolution:" in err and "1080p" in err
    assert "--reference-image" in err and "no such file" in err
    assert "not both" in err


def test_argparse_type_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--home", str(tmp_path), "submit", "--duration", "five"])
    assert info.value.code == 2
    assert "--duration" in capsys.readouterr().err


def test_no_key_and_no_demo_explains_how_to_set_one(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    code = cli.main(["--home", str(tmp_path), "submit", "--prompt", "x", "--video", "https://example.com/a.mp4"])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "MODELLIX_API_KEY" in err and "--demo" in err and "keyring" in err


# --------------------------------------------------------------------------- list/show


def test_list_and_show_json_parse_and_hide_signed_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, job = make_job_store(tmp_path)
    store.close()
    assert cli.main(["--home", str(tmp_path), "list", "--json"]) == EXIT_OK
    listed = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in listed] == [job.id]
    assert listed[0]["state"] == "submitted" and listed[0]["task_id"] == "task-xyz"

    assert cli.main(["--home", str(tmp_path), "show", job.id[:6], "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    shown = json.loads(out)
    assert shown["id"] == job.id
    assert [h["to"] for h in shown["history"]] == ["queued", "submitting", "submitted"]
    assert "SECRET" not in out

    assert cli.main(["--home", str(tmp_path), "show", job.id[:6]]) == EXIT_OK
    text = capsys.readouterr().out
    assert "task-xyz" in text and "accepted" in text and f"wait {job.id[:12]}" in text

    assert cli.main(["--home", str(tmp_path), "list"]) == EXIT_OK
    assert job.id[:12] in capsys.readouterr().out


def test_demo_list_does_not_show_paid_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = make_job_store(tmp_path)
    store.close()
    assert cli.main(["--home", str(tmp_path), "--demo", "list", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []


def test_unknown_job_id_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--home", str(tmp_path), "show", "ffff"]) == EXIT_BAD_INPUT
    assert "no job 'ffff'" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_cli_path_never_imports_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from seedance_desktop import cli\n"
        "from seedance_desktop.runtime import compose as composition\n"
        "import seedance_desktop.cli.submit, seedance_desktop.cli.output\n"
        f"rc = cli.main(['--home', {str(tmp_path)!r}, 'list'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "assert rc == 0 and not bad, (rc, bad)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------- end to end


def _simulator_pids(log_file: Path) -> list[int]:
    pids = []
    for line in log_file.read_text(encoding="utf-8").splitlines():
        if "demo simulator started: pid=" in line:
            pids.append(int(line.split("pid=")[1].split()[0]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent, the CLI, has exited; init reaps it).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(60)
def test_demo_submit_wait_makes_a_playable_mp4_and_sidecar(tmp_path: Path, clip: Path) -> None:
    home = tmp_path / "home"
    started = time.monotonic()
    result = run_cli(
        "submit", "--demo", "--wait", "--json", "--video", str(clip),
        "--prompt", "[Video 1] as a watercolour", "--duration", "4", "--resolution", "480p",
        home=home, env={"SEEDANCE_DEMO_TIME_SCALE": "60"},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "done"
    video = Path(job["video_path"])
    assert video.is_file() and video.suffix == ".mp4"
    assert video.is_relative_to(home)  # --home keeps outputs away from the real Videos folder
    sidecar = video.with_suffix(".json")
    recipe = json.loads(sidecar.read_text(encoding="utf-8"))
    assert recipe["model"] == "bytedance/seedance-2.0-fast-v2v"
    assert recipe["request"]["duration"] == 4 and recipe["request"]["resolution"] == "480p"
    assert recipe["task_id"] == job["task_id"]
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(container.duration / av.time_base) if container.duration else frames / float(stream.average_rate)
    assert frames > 0
    assert abs(duration - 4.0) < 0.6
    # Progress went to stderr, the result alone to stdout.
    assert "Done" in result.stderr or "done" in result.stderr
    pids = _simulator_pids(AppPaths.from_env(home).log_file)
    assert len(pids) == 1
    deadline = time.monotonic() + 5
    while _alive(pids[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids[0]), "the demo simulator child outlived the CLI"
    assert elapsed < 45, f"demo flow took {elapsed:.1f} s"  # ~8 s with both cores busy: a hang, not noise

    # The demo job is in the demo store only, and list/show read it.
    listed = run_cli("--demo", "list", "--json", home=home)
    assert [j["id"] for j in json.loads(listed.stdout)] == [job["id"]]
    assert json.loads(run_cli("list", "--json", home=home).stdout) == []


def test_recipe_fills_options_and_explicit_options_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.core.outputs import write_sidecar

    job = Job(request={"prompt": "[Video 1] in snow", "video_urls": ["https://example.com/v.mp4?sig=abc"],
                       "duration": 6, "resolution": "480p"})
    sidecar = write_sidecar(tmp_path / "old.mp4", job)
    code = cli.main(["--home", str(tmp_path), "submit", "--demo", "--recipe", str(sidecar), "--duration", "99"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--duration:" in err
    assert "--prompt" not in err and "--video" not in err  # both came from the recipe

    code = cli.main(["--home", str(tmp_path), "submit", "--demo", "--recipe", str(tmp_path / "nope.json")])
    assert code == EXIT_BAD_INPUT
    assert "--recipe:" in capsys.readouterr().err


# ------------------------------------------------------------------------- local media


def _submit_args(*extra: str) -> object:
    return build_parser().parse_args(["submit", "--prompt", "[Video 1] at dusk", *extra])


@pytest.mark.timeout(60)
def test_local_video_breaking_a_fixable_limit_is_queued_as_given_with_the_shared_note(tmp_path: Path) -> None:
    """The CLI no longer conforms by itself: the file is queued as given (the engine's
    PREPARING step conforms it) and the note uses the words the window shows."""
    from seedance_desktop.cli.submit import prepare_request
    from seedance_desktop.core.prepare import assess_inputs
    from seedance_desktop.media.synth import make_clip

    small = make_clip(tmp_path / "small.mp4", duration=2.5, width=320, height=240, fps=24, audio=False)
    prepared = prepare_request(_submit_args("--video", str(small)))
    (item,) = prepared.inputs
    assert Path(item.local_path) == small.resolve() and item.prepared_path is None
    assert prepared.request["video_urls"] == [None]  # filled with the uploaded URL by the engine
    (assessment,) = assess_inputs(prepared.model, prepared.inputs)
    assert prepared.notes[0] == f"--video: {assessment.line}"
    assert "Will be conformed before upload: scaled to 768x576" in prepared.notes[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.mp4"]  # nothing written


def test_unfixable_local_media_exits_2_naming_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.media.synth import make_clip

    short = make_clip(tmp_path / "short.mp4", duration=1.0, audio=False)
    not_media = tmp_path / "notes.txt"
    not_media.write_text("hello")
    code = cli.main(["--home", str(tmp_path / "home"), "--demo", "submit", "--prompt", "x",
                     "--video", str(short), "--reference-image", str(not_media)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--video:" in err and "at least 2 s" in err
    assert "--reference-image" in err and "notes.txt" in err


# ---------------------------------------------------------------------- interruption


@pytest.mark.timeout(60)
def test_sigterm_while_waiting_stops_cleanly_and_kills_the_simulator(tmp_path: Path, clip: Path) -> None:
    import signal

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "MODELLIX_API_KEY"}
    env["SEEDANCE_DEMO_TIME_SCALE"] = "1"  # a real-time job: it is still processing when we stop
    process = subprocess.Popen(
        [sys.executable, "-m", "seedance_desktop.cli", "--home", str(home), "submit", "--demo", "--wait",
         "--video", str(clip), "--prompt", "[Video 1] slowly", "--duration", "4", "--resolution", "480p"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert process.stderr is not None
    seen = ""
    try:
        for line in process.stderr:
            seen += line
            if "Submitted" in line or "Processing" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == cli.EXIT_INTERRUPTED, seen + rest
    assert "retry" in rest  # tells what to do next (a demo job dies with its simulator)
    (pid,) = _simulator_pids(AppPaths.from_env(home).log_file)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    demo_db = AppPaths.from_env(home).data_dir / "demo" / "jobs.sqlite3"
    store = JobStore(demo_db)
    try:
        (job,) = store.list()
        assert job.task_id and job.state in (JobState.SUBMITTED, JobState.PROCESSING)  # never lost mid-way
    finally:
        store.close()


def test_python_m_seedance_desktop_cli_delegates_without_qt(tmp_path: Path) -> None:
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['seedance_desktop', 'cli', '--home', {str(tmp_path)!r}, 'list', '--json']\n"
        "try:\n"
        "    runpy.run_module('seedance_desktop', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_frozen_entry_script_dispatches_the_simulator_and_the_cli() -> None:
    """A frozen build has no ``python -m``: its entry script must route ``-m
    seedance_desktop.simulator`` (how demo mode starts its child) to the simulator."""
    entry = Path(__file__).resolve().parents[2] / "packaging" / "entry_cli.py"
    sim = subprocess.run([sys.executable, str(entry), "-m", "seedance_desktop.simulator", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert sim.returncode == 0 and "--time-scale" in sim.stdout
    own = subprocess.run([sys.executable, str(entry), "--help"], capture_output=True, text=True, timeout=60)
    assert own.returncode == 0 and "exit codes:" in own.stdout
    spec = Path(__file__).resolve().parents[2] / "packaging" / "seedance-desktop.spec"
    compile(spec.read_text(encoding="utf-8"), str(spec), "exec")  # at least valid Python


def test_cost_note_is_labelled_as_an_estimate() -> None:
    from seedance_desktop.cli.output import cost_note
    from seedance_desktop.core.settings import Settings

    live = cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {"duration": 4, "resolution": "480p"}, demo=False)
    assert "$0.276" in live and "Estimated" in live
    default = cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {}, demo=False)  # server defaults: 720p, 5 s
    assert "$0.69" in default
    custom = Settings(prices={"bytedance/seedance-2.0-fast-v2v": {"480p": 0.1, "720p": 0.2}})
    assert "$0.40" in cost_note(custom, "bytedance/seedance-2.0-fast-v2v", {"duration": 4, "resolution": "480p"}, demo=False)
    assert "nothing" in cost_note(Settings(), "bytedance/seedance-2.0-fast-v2v", {}, demo=True).lower()


def test_prompt_placeholder_without_an_input_is_a_warning() -> None:
    from seedance_desktop.cli.submit import placeholder_notes

    assert placeholder_notes({"prompt": "[Video 1] meets [Video 2]", "video_urls": ["https://a.example/v.mp4"]}) == [
        "warning: --prompt mentions [Video 2], but there is no such input (inputs are numbered 1, 2, 3 in the order given)"
    ]
    assert placeholder_notes({"prompt": "[Video 1] with [Image 1]", "video_urls": ["u"], "first_frame_image": "i"}) == []


def test_list_table_shows_the_latest_jobs_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedance_desktop.cli.parser import LIST_DEFAULT_LIMIT

    store = JobStore(AppPaths.from_env(tmp_path).ensure().db_file)
    jobs = [Job(request={"prompt": f"job {n}"}, position=float(n)) for n in range(LIST_DEFAULT_LIMIT + 5)]
    store.add_many(jobs)
    store.close()
    assert cli.main(["--home", str(tmp_path), "list"]) == EXIT_OK
    captured = capsys.readouterr()
    assert jobs[-1].id[:12] in captured.out and jobs[0].id[:12] not in captured.out
    assert f"of {LIST_DEFAULT_LIMIT + 5} jobs" in captured.err
    assert cli.main(["--home", str(tmp_path), "list", "--json"]) == EXIT_OK
    assert len(json.loads(capsys.readouterr().out)) == LIST_DEFAULT_LIMIT + 5
