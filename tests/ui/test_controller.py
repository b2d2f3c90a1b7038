"""The controller: engine callbacks become signals, actions reach the engine, errors become
one message, tasks are owned and cancelled. A fake engine keeps these fast and exact."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from seedance_desktop.api.errors import AuthenticationError
from seedance_desktop.core.job import IllegalTransition, InputFile, Job, JobState
from seedance_desktop.ui.controller import Controller, summarize_counts, user_message


class FakeStore:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def get(self, job_id: str) -> Job:
        return self.jobs[job_id]

    def list(self, states: Any = None, limit: int | None = None, offset: int = 0) -> list[Job]:
        jobs = sorted(self.jobs.values(), key=lambda j: j.position)
        jobs = [j for j in jobs if states is None or j.state in states]
        return jobs[offset: None if limit is None else offset + limit]

    def count_by_state(self) -> dict[JobState, int]:
        counts: dict[JobState, int] = {}
        for job in self.jobs.values():
            counts[job.state] = counts.get(job.state, 0) + 1
        return counts


class FakeEngine:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.listeners: list[Any] = []
        self.paused = False
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def add_listener(self, callback: Any) -> None:
        self.listeners.append(callback)

    def emit(self, job: Job) -> None:
        self.store.jobs[job.id] = job
        for callback in self.listeners:
            callback(job)

    def enqueue(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> Job:
        job = Job(model=model, request=request, inputs=inputs)
        self.store.jobs[job.id] = job
        return job

    def _copy(self, job_id: str, **changes: Any) -> Job:
        old = self.store.jobs[job_id]
        job = replace(old, id=f"{job_id}-again", state=JobState.QUEUED, attempt_of=job_id, **changes)
        self.store.jobs[job.id] = job
        return job

    def retry(self, job_id: str) -> Job:
        self.calls.append(("retry", (job_id,)))
        if self.store.jobs[job_id].state != JobState.FAILED:
            raise IllegalTransition(job_id, self.store.jobs[job_id].state, JobState.QUEUED)
        return self._copy(job_id)

    def submit_again(self, job_id: str) -> Job:
        return self._copy(job_id)

    def rerun_with_new_seed(self, job_id: str) -> Job:
        return self._copy(job_id, request={**self.store.jobs[job_id].request, "seed": 7})

    def recipe(self, job_id: str) -> tuple[str, dict[str, Any], list[InputFile]]:
        job = self.store.jobs[job_id]
        return job.model, dict(job.request), list(job.inputs)

    def remove(self, job_id: str) -> None:
        del self.store.jobs[job_id]

    def move(self, job_id: str, position: float) -> Job:
        self.calls.append(("move", (job_id, position)))
        self.store.jobs[job_id].position = position
        return self.store.jobs[job_id]

    def pause(self, reason: str | None = None) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def cancel(self, job_id: str) -> Job:
        job = replace(self.store.jobs[job_id], state=JobState.CANCELLED)
        self.store.jobs[job_id] = job
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
def parts(loop: asyncio.AbstractEventLoop) -> tuple[Controller, FakeEngine, FakeStore]:
    store = FakeStore()
    engine = FakeEngine(store)
    return Controller(store, engine, demo=True), engine, store


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
    with qtbot.waitSignals([controller.started, controller.counts_changed], timeout=3000):
        controller.start()
    assert engine.started and modes == ["Demo"]
    loop.run_until_complete(controller.shutdown())
    assert engine.stopped


def test_engine_callbacks_become_signals_and_latest_job_is_kept(qtbot: Any, parts: Any) -> None:
    controller, engine, store = parts
    with qtbot.waitSignal(controller.job_added) as added:
        controller.submit("bytedance/seedance-2.0-fast-v2v", {"prompt": "x"}, [])
    job_id = added.args[0]
    changed: list[str] = []
    finished: list[str] = []
    controller.job_changed.connect(changed.append)
    controller.job_finished.connect(finished.append)
    downloading = replace(store.jobs[job_id], state=JobState.DOWNLOADING, progress=0.5)
    engine.emit(downloading)
    assert controller.job(job_id).progress == 0.5  # transient progress survives for the model
    engine.emit(replace(downloading, state=JobState.DONE, progress=None))
    engine.emit(replace(downloading, state=JobState.DONE, progress=None))
    assert changed == [job_id] * 3 and finished == [job_id]
    with qtbot.waitSignal(controller.counts_changed) as counts:
        pass
    assert counts.args[0]["done"] == 1


def test_queue_actions_reach_the_engine(qtbot: Any, parts: Any) -> None:
    controller, engine, store = parts
    failed = Job(id="f", state=JobState.FAILED, request={"prompt": "p", "seed": 1})
    store.jobs["f"] = failed
    with qtbot.waitSignal(controller.job_added) as added:
        controller.retry("f")
    assert added.args == ["f-again"] and store.jobs["f-again"].attempt_of == "f"
    with qtbot.waitSignal(controller.recipe_ready) as recipe:
        controller.duplicate("f")
    assert recipe.args[0] == failed.model and recipe.args[1] == {"prompt": "p", "seed": 1}
    store.jobs["q1"] = Job(id="q1", position=10.0)
    store.jobs["q2"] = Job(id="q2", position=20.0)
    store.jobs["f-again"].position = 30.0
    with qtbot.waitSignal(controller.order_changed):
        controller.move("f-again", 0)  # first: before q1
    assert engine.calls[-1] == ("move", ("f-again", 9.0))
    controller.move("f-again", 1)  # between q1 and q2
    assert engine.calls[-1] == ("move", ("f-again", 15.0))
    controller.move("q1", 5)  # past the end
    assert engine.calls[-1] == ("move", ("q1", 21.0))
    with qtbot.waitSignal(controller.paused_changed) as paused:
        controller.pause()
    assert paused.args == [True] and engine.paused
    controller.resume()
    assert not engine.paused
    with qtbot.waitSignal(controller.job_removed) as removed:
        controller.remove("f-again")
    assert removed.args == ["f-again"] and "f-again" not in store.jobs


def test_refused_action_becomes_one_error_message(qtbot: Any, parts: Any) -> None:
    controller, engine, store = parts
    store.jobs["d"] = Job(id="d", state=JobState.DONE)
    with qtbot.waitSignal(controller.error) as error:
        controller.retry("d")
    assert "job d: done -> queued is not allowed" in error.args[0]


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

    controller = Controller(FakeStore(), key_checker=checker)
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "good"))
    assert result == (True, 12.34, "Key accepted. Balance: $12.34")
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "bad"))
    assert result[0] is False and "rejected" in result[2]
    result = drive(loop, controller.key_checked, lambda: controller.check_key("https://api.example", "down"))
    assert result[0] is False and result[2].startswith("The API key was rejected")


def test_save_settings_runs_in_a_worker_thread(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    import threading

    controller = Controller(FakeStore())
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

    controller = Controller(FakeStore(), demo=False, balance=balance)
    assert drive(loop, controller.mode_changed, controller.refresh_mode) == ("Account · $12.35",)


# -- against the real engine and the loopback simulator -------------------------------------------

@pytest.mark.timeout(60)
def test_queue_actions_with_real_engine(qtbot: Any, loop: asyncio.AbstractEventLoop, simulator: Any,
                                        clip: Any, tmp_path: Any) -> None:
    import httpx

    from seedance_desktop.api.client import ModellixClient
    from seedance_desktop.core.engine import Engine
    from seedance_desktop.core.store import JobStore
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


def test_submit_before_the_engine_exists_is_kept_until_it_starts(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    controller = Controller()
    added: list[str] = []
    controller.job_added.connect(added.append)
    controller.submit("bytedance/seedance-2.0-fast-v2v", {"prompt": "early"}, [])
    assert added == []  # the window is up, the runtime is not
    store = FakeStore()
    engine = FakeEngine(store)
    controller.attach_runtime(store, engine, demo=True)
    drive(loop, controller.started, controller.start)
    assert len(added) == 1 and store.jobs[added[0]].request == {"prompt": "early"}
    loop.run_until_complete(controller.shutdown())


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
