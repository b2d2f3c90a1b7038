"""The controller: engine callbacks become signals, actions reach the engine, errors become
one message, tasks are owned and cancelled. Against the real engine and store: with no client
(no key yet) the engine sends nothing, which keeps these fast and exact without a fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.api.errors import AuthenticationError
from seedance_desktop.core.engine import Action, Engine
from seedance_desktop.core.engine.allowed import refusal_message
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.store import JobStore
from seedance_desktop.ui.controller import Controller, summarize_counts, user_message


def make_job(store: JobStore, state: JobState, **fields: Any) -> Job:
    """A job put into ``state`` through the store's own transitions (the real state machine)."""
    paths = {
        JobState.QUEUED: [],
        JobState.FAILED: [JobState.FAILED],
        JobState.DONE: [JobState.SUBMITTING, JobState.SUBMITTED, JobState.DOWNLOADING, JobState.DONE],
        JobState.DOWNLOADING: [JobState.SUBMITTING, JobState.SUBMITTED, JobState.DOWNLOADING],
    }
    job = store.add(Job(request=fields.pop("request", {"prompt": "p", "seed": 1}),
                        position=fields.pop("position", store.next_position())))
    for step in paths[state]:
        extra = {"task_id": "task-1"} if step is JobState.SUBMITTED else {}
        job = store.transition(job.id, step, "test", **extra)
    return job


def drive(loop: asyncio.AbstractEventLoop, signal: Any, action: Any, timeout: float = 5.0) -> tuple[Any, ...]:
    """Trigger ``action`` and run the (qasync) loop until ``signal`` fires; return its args.

    ``qtbot.waitSignal`` spins Qt but asyncio sees no *running* loop, so coroutines that use
    ``asyncio.to_thread`` or ``get_running_loop`` need the loop driven like this."""
    future: asyncio.Future[tuple[Any, ...]] = loop.create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(fire)
    try:
        action()
        return loop.run_until_complete(asyncio.wait_for(future, timeout))
    finally:
        signal.disconnect(fire)


@pytest.fixture
def parts(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[tuple[Controller, Engine, JobStore]]:
    """The real engine and store; with no client (no key) the engine sends nothing."""
    store = JobStore(tmp_path / "jobs.sqlite3")
    engine = Engine(store, None, output_dir=tmp_path / "out")
    yield Controller(store, engine, demo=True), engine, store
    loop.run_until_complete(engine.stop())
    store.close()


def test_summarize_counts_and_messages() -> None:
    counts = summarize_counts({JobState.QUEUED: 2, JobState.PROCESSING: 1, JobState.DOWNLOADING: 1,
                               JobState.DONE: 5, JobState.OUTCOME_UNKNOWN: 1, JobState.FAILED: 2})
    assert counts == {"queued": 2, "running": 2, "done": 5, "failed": 3}
    assert user_message(AuthenticationError()).startswith("The API key was rejected")
    assert user_message(ValueError("boom"), "saving the settings") == "Saving the settings failed: boom"


def test_start_emits_mode_counts_and_started(qtbot: Any, loop: asyncio.AbstractEventLoop, parts: Any) -> None:
    controller, engine, store = parts
    modes: list[str] = []
    controller.mode_changed.connect(modes.append)
    counts: list[dict[str, int]] = []
    controller.counts_changed.connect(counts.append)
    drive(loop, controller.started, controller.start)
    assert engine.running and modes == ["Demo"] and counts
    loop.run_until_complete(controller.shutdown())
    assert not engine.running


def test_engine_callbacks_become_signals_and_latest_job_is_kept(qtbot: Any, parts: Any) -> None:
    controller, engine, store = parts
    with qtbot.waitSignal(controller.job_added) as added:
        controller.submit("bytedance/seedance-2.0-fast-v2v", {"prompt": "x"}, [])
    job_id = added.args[0]
    changed: list[str] = []
    finished: list[str] = []
    controller.job_changed.connect(changed.append)
    controller.job_finished.connect(finished.append)
    on_job = controller._on_engine_job  # the listener the controller gave the engine
    downloading = replace(store.get(job_id), state=JobState.DOWNLOADING, progress=0.5)
    on_job(downloading)
    assert controller.job(job_id).progress == 0.5  # transient progress survives for the model
    on_job(replace(downloading, state=JobState.DONE, progress=None))
    on_job(replace(downloading, state=JobState.DONE, progress=None))
    assert changed == [job_id] * 3 and finished == [job_id]


def test_queue_actions_reach_the_engine(qtbot: Any, parts: Any) -> None:
    controller, engine, store = parts
    failed = make_job(store, JobState.FAILED)
    with qtbot.waitSignal(controller.job_added) as added:
        controller.retry(failed.id)
    again = store.get(added.args[0])
    assert again.attempt_of == failed.id and again.state is JobState.QUEUED
    with qtbot.waitSignal(controller.recipe_ready) as recipe:
        controller.duplicate(failed.id)
    assert recipe.args[0] == failed.model and recipe.args[1] == {"prompt": "p", "seed": 1}
    q1 = make_job(store, JobState.QUEUED, position=10.0)
    q2 = make_job(store, JobState.QUEUED, position=20.0)
    store.move(again.id, 30.0)
    with qtbot.waitSignal(controller.order_changed):
        controller.move(again.id, 0)  # first: before q1
    assert store.get(again.id).position == 9.0
    controller.move(again.id, 1)  # between q1 and q2
    assert store.get(again.id).position == 15.0
    controller.move(q1.id, 5)  # past the end
    assert store.get(q1.id).position == 21.0
    with qtbot.waitSignal(controller.paused_changed) as paused:
        controller.pause()
    assert paused.args == [True] and engine.paused
    controller.resume()
    assert not engine.paused
    with qtbot.waitSignal(controller.job_removed) as removed:
        controller.remove(again.id)
    assert removed.args == [again.id] and store.find(again.id) is None
    assert store.get(q2.id).state is JobState.QUEUED


def test_refused_action_becomes_one_error_message(qtbot: Any, parts: Any, tmp_path: Path) -> None:
    """The person sees the engine's refusal, worded by the allowed-actions table."""
    controller, engine, store = parts
    done = make_job(store, JobState.DONE)
    video = tmp_path / "result.mp4"
    video.write_bytes(b"\0")
    done = store.update(done.id, video_path=str(video))
    with qtbot.waitSignal(controller.error) as error:
        controller.retry(done.id)
    assert error.args[0] == refusal_message(done, Action.RETRY)


def test_failing_task_is_routed_to_error_and_tasks_are_cancelled_on_shutdown(
    qtbot: Any, loop: asyncio.AbstractEventLoop, parts: Any
) -> None:
    controller, engine, store = parts

    async def boom() -> None:
        raise AuthenticationError()

    never = asyncio.Event()
    with qtbot.waitSignal(controller.error) as error:
        controller.spawn(boom(), "fetching the balance")
    assert error.args[0].startswith("The API key was rejected")
    pending = controller.spawn(never.wait(), "waiting")
    assert pending in controller.tasks
    loop.run_until_complete(controller.shutdown())
    assert pending.cancelled() and not controller.tasks
    assert controller.spawn(never.wait(), "late") is None  # no new work while quitting


def test_check_key_reports_ok_balance_and_failures(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    async def checker(base_url: str, key: str) -> tuple[bool, float]:
        if key == "bad":
            return False, 0.0
        if key == "down":
            raise AuthenticationError()
        return True, 12.34

    controller = Controller(key_checker=checker)
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "good"))
    assert result == (True, 12.34, "Key accepted. Balance: $12.34")
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "bad"))
    assert result[0] is False and "rejected" in result[2]
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "down"))
    assert result[0] is False and result[2].startswith("The API key was rejected")


def test_save_settings_runs_in_a_worker_thread(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    import threading

    controller = Controller()
    seen: list[bool] = []
    after: list[bool] = []
    main = threading.get_ident()
    drive(loop, controller.settings_saved,
          lambda: controller.save_settings(lambda: seen.append(threading.get_ident() != main),
                                           then=lambda: after.append(threading.get_ident() == main)))
    assert seen == [True] and after == [True]


def test_account_mode_shows_balance(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    async def balance() -> float:
        return 12.345

    controller = Controller(demo=False, balance=balance)
    assert drive(loop, controller.mode_changed, controller.refresh_mode) == ("Account · $12.345",)  # a tenth of a cent is shown, not rounded away


# -- against the real engine and the loopback simulator -------------------------------------------

@pytest.mark.timeout(60)
def test_queue_actions_with_real_engine(qtbot: Any, loop: asyncio.AbstractEventLoop, simulator: Any,
                                        clip: Any, tmp_path: Any) -> None:
    import httpx

    from seedance_desktop.api.client import ModellixClient
    from seedance_desktop.simulator.faults import Fault, FaultKind

    store = JobStore(tmp_path / "jobs.sqlite3")
    http = httpx.AsyncClient(timeout=10)
    client = ModellixClient(http, simulator.base_url, simulator.api_key)
    engine = Engine(store, client, output_dir=tmp_path / "out", max_in_flight=2)
    controller = Controller(store, engine, demo=True)
    errors: list[str] = []
    controller.error.connect(errors.append)
    drive(loop, controller.started, controller.start)
    controller.pause()
    assert engine.paused

    added: list[str] = []
    controller.job_added.connect(added.append)
    request = {"prompt": "a paper boat on [Video 1]", "duration": 4, "resolution": "480p", "ratio": "16:9",
               "video_urls": [None]}  # the form marks local inputs with a placeholder
    inputs = [InputFile("video_urls", 0, str(clip))]
    controller.submit("bytedance/seedance-2.0-fast-v2v", request, inputs)
    controller.submit("bytedance/seedance-2.0-fast-v2v", request, inputs)
    first, second = added
    assert [j.state for j in store.list()] == [JobState.QUEUED, JobState.QUEUED]  # paused: nothing sent

    controller.move(second, 0)  # reorder: the second job now runs first
    assert [j.id for j in store.list()] == [second, first]

    recipe: list[tuple[Any, ...]] = []
    controller.recipe_ready.connect(lambda *args: recipe.append(args))
    controller.duplicate(first)
    assert recipe[0][1]["prompt"] == request["prompt"] and recipe[0][2][0].local_path == str(clip)

    controller.cancel(first)
    assert store.get(first).state == JobState.CANCELLED

    simulator.simulator.inject(Fault("submit", FaultKind.FAIL_TASK, message="simulated failure"))
    controller.resume()
    failed = loop.run_until_complete(asyncio.wait_for(engine.wait_for(second), 30))
    assert failed.state == JobState.FAILED and controller.job(second).state == JobState.FAILED

    controller.retry(second)
    retried = added[-1]
    assert store.get(retried).attempt_of == second
    done = loop.run_until_complete(asyncio.wait_for(engine.wait_for(retried), 30))
    assert done.state == JobState.DONE and done.video_path
    from pathlib import Path

    assert Path(done.video_path).read_bytes()[4:8] == b"ftyp"

    loop.run_until_complete(controller.shutdown())
    loop.run_until_complete(http.aclose())
    store.close()
    assert errors == []


@pytest.mark.timeout(30)
def test_check_key_against_the_simulator(loop: asyncio.AbstractEventLoop, simulator: Any) -> None:
    controller = Controller()  # default checker: a throw-away ModellixClient over loopback HTTP
    ok = drive(loop, controller.key_checked, lambda: controller.check_key(simulator.base_url, simulator.api_key))
    assert ok[0] is True and ok[1] == simulator.simulator.config.balance and ok[2].startswith("Key accepted")
    bad = drive(loop, controller.key_checked, lambda: controller.check_key(simulator.base_url, "sk-wrong"))
    assert bad[0] is False and "rejected" in bad[2]
    insecure = drive(loop, controller.key_checked, lambda: controller.check_key("http://example.com", "k"))
    assert insecure[0] is False and insecure[2]  # https required unless loopback: a message, no crash
    loop.run_until_complete(controller.shutdown())


def test_submit_before_the_engine_exists_is_kept_until_it_starts(qtbot: Any, loop: asyncio.AbstractEventLoop,
                                                                  tmp_path: Path) -> None:
    controller = Controller()
    added: list[str] = []
    controller.job_added.connect(added.append)
    controller.submit("bytedance/seedance-2.0-fast-v2v", {"prompt": "early"}, [])
    assert added == []  # the window is up, the runtime is not
    store = JobStore(tmp_path / "jobs.sqlite3")
    engine = Engine(store, None, output_dir=tmp_path / "out")
    controller.attach_runtime(store, engine, demo=True)
    drive(loop, controller.started, controller.start)
    assert len(added) == 1 and store.get(added[0]).request == {"prompt": "early"}
    loop.run_until_complete(controller.shutdown())
    store.close()


def test_open_recipe_reads_a_sidecar_in_a_worker_and_fills_the_form(
    qtbot: Any, loop: asyncio.AbstractEventLoop, parts: Any, tmp_path: Any
) -> None:
    from seedance_desktop.core.job import InputFile
    from seedance_desktop.core.outputs import write_sidecar

    controller, _engine, _store = parts
    video = tmp_path / "result.mp4"
    video.write_bytes(b"\0")
    job = Job(request={"prompt": "[Video 1] at dusk", "video_urls": [None], "seed": 11, "duration": 6},
              inputs=[InputFile("video_urls", 0, "/clips/a.mp4", uploaded_url="https://h/u.mp4?sig=x")],
              state=JobState.DONE)
    sidecar = write_sidecar(video, job)
    model, request, inputs = drive(loop, controller.recipe_ready, lambda: controller.open_recipe(str(sidecar)))
    assert model == job.model
    assert request["prompt"] == "[Video 1] at dusk" and request["seed"] == 11 and request["duration"] == 6
    assert [(i.field, i.index, i.local_path) for i in inputs] == [("video_urls", 0, "/clips/a.mp4")]


def test_open_recipe_of_a_broken_file_says_what_is_wrong(qtbot: Any, loop: asyncio.AbstractEventLoop,
                                                         parts: Any, tmp_path: Any) -> None:
    controller, _engine, _store = parts
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    (message,) = drive(loop, controller.error, lambda: controller.open_recipe(str(broken)))
    assert message
