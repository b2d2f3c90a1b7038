"""The shared composition root: mode choice, demo isolation, logging with redaction, and a
real demo runtime (simulator child on loopback) that starts and stops cleanly."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from seedance_desktop.runtime import compose as composition
from seedance_desktop.runtime.compose import (
    DEMO_OUTPUT_SUBDIR,
    close_logging,
    demo_paths,
    demo_time_scale,
    open_store,
    resolve_api_key,
    resolve_mode,
    resolve_output_dir,
    retire_orphaned_demo_jobs,
    setup_logging,
)
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.from_env(tmp_path / "home").ensure()


def test_resolve_mode() -> None:
    assert resolve_mode(Settings(), None) == "demo"
    assert resolve_mode(Settings(), "") == "demo"
    assert resolve_mode(Settings(), "sk-live") == "live"
    assert resolve_mode(Settings(demo_mode=True), "sk-live") == "demo"
    assert resolve_mode(Settings(demo_mode=False), "sk-live") == "live"


def test_api_key_from_environment_wins(paths: AppPaths) -> None:
    assert resolve_api_key(paths, {"MODELLIX_API_KEY": "  sk-env-123  "}) == "sk-env-123"
    assert resolve_api_key(paths, {}) is None  # null keyring backend, no key file


def test_demo_jobs_live_apart_from_paid_jobs(paths: AppPaths) -> None:
    demo = demo_paths(paths)
    assert demo.db_file != paths.db_file
    assert demo.data_dir.parent == paths.data_dir
    assert demo.config_dir == paths.config_dir  # settings are shared
    live_store = open_store(paths, demo=False)
    demo_store = open_store(paths, demo=True)
    try:
        live_store.add(Job(request={"prompt": "paid"}))
        assert demo_store.count() == 0
        assert live_store.count() == 1
    finally:
        live_store.close()
        demo_store.close()


def test_output_dir_resolution(tmp_path: Path) -> None:
    settings = Settings(output_dir=tmp_path / "videos")
    assert resolve_output_dir(settings, demo=False) == tmp_path / "videos"
    assert resolve_output_dir(settings, demo=True) == tmp_path / "videos" / DEMO_OUTPUT_SUBDIR
    assert resolve_output_dir(settings, demo=True, override=tmp_path / "x") == tmp_path / "x"


def test_home_override_keeps_videos_inside_it(paths: AppPaths, tmp_path: Path) -> None:
    from seedance_desktop.runtime.compose import home_root

    assert home_root(paths) == tmp_path / "home"
    assert resolve_output_dir(Settings(), demo=False, paths=paths) == tmp_path / "home" / "videos"
    assert resolve_output_dir(Settings(), demo=True, paths=paths) == tmp_path / "home" / "videos" / DEMO_OUTPUT_SUBDIR
    configured = Settings(output_dir=tmp_path / "mine")
    assert resolve_output_dir(configured, demo=False, paths=paths) == tmp_path / "mine"  # a choice wins
    platform = AppPaths(tmp_path / ".config" / "x", tmp_path / ".local" / "x", tmp_path / "c", tmp_path / "l")
    assert home_root(platform) is None


def test_demo_time_scale_env() -> None:
    assert demo_time_scale({}) == composition.DEMO_TIME_SCALE
    assert demo_time_scale({composition.DEMO_TIME_SCALE_ENV: "40"}) == 40.0
    assert demo_time_scale({composition.DEMO_TIME_SCALE_ENV: "nonsense"}) == composition.DEMO_TIME_SCALE


def test_log_file_is_private_rotating_and_redacted(paths: AppPaths) -> None:
    key = "sk-secret-abcdef123456"
    log_file = setup_logging(paths, secrets=(key,))
    try:
        assert setup_logging(paths, secrets=(key,)) == log_file  # idempotent: one handler
        handlers = [h for h in logging.getLogger().handlers if getattr(h, "_seedance_log_file", False)]
        assert len(handlers) == 1
        logger = logging.getLogger("seedance_desktop.test")
        logger.warning("using key %s for https://cdn.example/v.mp4?X-Amz-Signature=deadbeef", key)
        for handler in handlers:
            handler.flush()
    finally:
        close_logging()
    text = log_file.read_text(encoding="utf-8")
    assert "using key" in text
    assert key not in text
    assert "deadbeef" not in text
    assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600


def test_orphaned_demo_jobs_are_retired(paths: AppPaths) -> None:
    store = open_store(paths, demo=True)
    try:
        queued = store.add(Job(inputs=[InputFile("video_urls", 0, "/tmp/a.mp4", uploaded_url="http://127.0.0.1:1/f/a")]))
        sent = store.add(Job())
        store.transition(sent.id, JobState.SUBMITTING, "sending")
        store.transition(sent.id, JobState.SUBMITTED, "accepted", task_id="task-1")
        kept_task = store.add(Job())
        store.transition(kept_task.id, JobState.SUBMITTING, "sending")
        store.transition(kept_task.id, JobState.PROCESSING, "accepted", task_id="task-2")
        done_count = retire_orphaned_demo_jobs(store, {"task-2"})  # the simulator kept task-2 only
        assert done_count == 1
        assert store.get(kept_task.id).state is JobState.PROCESSING  # polled after the restart
        assert store.get(sent.id).state is JobState.FAILED
        assert "demo" in (store.get(sent.id).error or "").lower()
        kept = store.get(queued.id)
        assert kept.state is JobState.QUEUED
        assert kept.inputs[0].uploaded_url is None  # the old simulator's upload is gone
    finally:
        store.close()


def test_only_one_engine_per_job_database(tmp_path: Path) -> None:
    from seedance_desktop.api.errors import ConfigurationError
    from seedance_desktop.runtime.compose import EngineBusyError, EngineLock

    first = EngineLock(tmp_path / "data" / "engine.lock").acquire()
    try:
        with pytest.raises(EngineBusyError) as info:
            EngineLock(tmp_path / "data" / "engine.lock").acquire()
        assert isinstance(info.value, ConfigurationError)
        assert "already running" in info.value.user_message
    finally:
        first.release()
    again = EngineLock(tmp_path / "data" / "engine.lock").acquire()
    assert again.held
    again.release()
    assert not again.held


@pytest.mark.timeout(60)
def test_demo_runtime_starts_a_simulator_child_and_aclose_stops_everything(paths: AppPaths, tmp_path: Path) -> None:
    import asyncio

    from seedance_desktop.runtime.compose import EngineLock, build_runtime

    async def scenario() -> tuple[object, object, int]:
        runtime = await build_runtime(paths, Settings(output_dir=tmp_path / "videos"), api_key=None, demo=True,
                                      time_scale=30.0)
        try:
            assert runtime.demo and runtime.mode == "demo"
            assert runtime.base_url.startswith("http://127.0.0.1:")
            assert runtime.store.path == demo_paths(paths).db_file
            assert runtime.output_dir == tmp_path / "videos" / DEMO_OUTPUT_SUBDIR
            assert runtime.engine.time_scale == 30.0
            assert await runtime.client.validate_key()  # the child's random key works
            process = runtime.simulator.process
            assert process is not None and process.poll() is None
        finally:
            await runtime.aclose()
        await runtime.aclose()  # idempotent
        return runtime, process, process.returncode

    runtime, process, returncode = asyncio.run(scenario())
    assert returncode is not None  # the child has exited
    assert runtime.http.is_closed
    EngineLock(demo_paths(paths).data_dir / "engine.lock").acquire().release()  # lock released


@pytest.mark.timeout(30)
def test_live_runtime_needs_a_key_and_a_safe_base_url(paths: AppPaths) -> None:
    import asyncio

    from seedance_desktop.api.errors import ConfigurationError
    from seedance_desktop.runtime.compose import EngineLock, build_runtime

    with pytest.raises(ConfigurationError) as info:
        asyncio.run(build_runtime(paths, Settings(), api_key=None, demo=False))
    assert "MODELLIX_API_KEY" in info.value.user_message
    with pytest.raises(ConfigurationError):
        asyncio.run(build_runtime(paths, Settings(), api_key="sk-1234", demo=False, base_url="http://example.com"))
    EngineLock(paths.data_dir / "engine.lock").acquire().release()  # released after the failures


def test_key_saved_in_the_key_file_is_found(paths: AppPaths) -> None:
    from seedance_desktop.runtime.compose import secret_store

    store = secret_store(paths, {})
    assert store.file_path == paths.key_file
    store.set_key("sk-file-key-98765", storage="file", consent=True)
    assert resolve_api_key(paths, {}) == "sk-file-key-98765"
    assert resolve_api_key(paths, {"MODELLIX_API_KEY": "sk-env"}) == "sk-env"  # env wins


@pytest.mark.timeout(30)
def test_live_runtime_shares_one_budget_and_makes_one_attempt_per_call(paths: AppPaths, tmp_path: Path,
                                                                        simulator: object) -> None:
    """The session's one RequestBudget is created here and handed to the engine; the client is
    left alone (no private hook written) and makes one HTTP attempt per call."""
    import asyncio

    from seedance_desktop.api.errors import ServerError
    from seedance_desktop.runtime.compose import build_runtime
    from seedance_desktop.simulator.faults import Fault, FaultKind

    sim = simulator  # type: ignore[assignment]

    async def scenario() -> None:
        runtime = await build_runtime(paths, Settings(output_dir=tmp_path / "videos"), api_key=sim.api_key,
                                      demo=False, base_url=sim.base_url)
        try:
            assert runtime.engine.budget is runtime.budget
            assert getattr(runtime.client, "on_rate_limited", None) is None  # the engine notes 429s
            sim.simulator.inject(Fault("balance", FaultKind.STATUS, status=503))
            before = sim.simulator.request_counts().get("balance", 0)
            with pytest.raises(ServerError):
                await runtime.client.balance()
            assert sim.simulator.request_counts()["balance"] == before + 1  # no hidden retries
        finally:
            await runtime.aclose()

    asyncio.run(scenario())
