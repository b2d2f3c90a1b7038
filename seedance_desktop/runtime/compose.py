"""The shared composition root: builds the job store, HTTP client, Modellix client and engine.

Both faces of the app use it: the command line (``cli.py``) and the window (``app.py``), so
demo mode, logging and redaction behave the same in both. It is Qt-free on purpose: the GUI
runs :func:`build_runtime` on its qasync loop and hands the resulting :class:`Runtime` to its
controller; the CLI runs it under ``asyncio.run``.

In **demo mode** it starts the simulator child (``runtime.demo``: the only other module that
knows the simulator exists) and points the client at it; :meth:`Runtime.aclose` stops it again.

This is where the parts are wired: the one :class:`RequestBudget` every request of the session
shares (only the engine notes 429s in it; the client makes one HTTP attempt per call), and the
input preparer of the engine's PREPARING step (:func:`input_preparer`).

Only one engine may run on a job database at a time (the window and a CLI ``wait`` would
otherwise both send the same queued job): :func:`build_runtime` takes an OS file lock
(``engine_lock``) and raises :class:`EngineBusyError` when another process holds it.

Typical use::

    paths = AppPaths.from_env().ensure()
    settings = SettingsStore(paths.settings_file).load()
    key = resolve_api_key(paths)
    runtime = await build_runtime(paths, settings, api_key=key, demo=resolve_mode(settings, key) == "demo")
    try:
        job = runtime.engine.enqueue(model, request, inputs)
        await runtime.engine.wait_for(job.id)
    finally:
        await runtime.aclose()

or ``async with await build_runtime(...) as runtime: ...``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpcore
import httpx

from seedance_desktop.api.client import DEFAULT_BASE_URL, ModellixClient, check_base_url
from seedance_desktop.api.errors import ConfigurationError
from seedance_desktop.api.pool_backend import KnownSocketBackend
from seedance_desktop.api.redact import install_log_redaction
from seedance_desktop.core.budget import RequestBudget
from seedance_desktop.core.engine import Engine
from seedance_desktop.core.engine.protocols import InputPreparer
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE
from seedance_desktop.core.paths import AppPaths, default_output_dir
from seedance_desktop.core.settings import Settings
from seedance_desktop.core.spend_guard import SpendGuard, caps_of
from seedance_desktop.core.store import JobStore
from seedance_desktop.runtime.demo import (
    DEMO_OUTPUT_SUBDIR,
    DEMO_TIME_SCALE,
    DEMO_TIME_SCALE_ENV,
    demo_paths,
    demo_time_scale,
    known_demo_tasks,
    retire_orphaned_demo_jobs,
    simulator_dir,
    start_simulator,
    stop_simulator,
)
from seedance_desktop.runtime.lock import EngineBusyError, EngineLock
from seedance_desktop.runtime.logs import close_logging, setup_logging

if TYPE_CHECKING:
    from seedance_desktop.core.secrets import SecretStore
    from seedance_desktop.simulator.launcher import SimulatorProcess

log = logging.getLogger(__name__)

Mode = Literal["demo", "live"]

#: Environment variable holding the API key (wins over the keyring).
KEY_ENV = "MODELLIX_API_KEY"

#: Network timeouts. Reads are generous because a submit may take a while to be acknowledged;
#: a read timeout on submit means "outcome unknown", so we would rather wait than guess.
HTTP_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)

#: At most this many API requests in flight at once. 200 polling jobs would otherwise hand
#: httpcore's pool 200 requests in one burst: it opens up to 100 connections, queues the rest
#: (re-scanning the whole queue each time a connection frees up) and closes all but 20 after
#: (httpx's default keep-alive limit), all on the GUI loop. A small bound keeps the pool's queue
#: empty and its few connections warm; requests are short, so waiting for a slot costs little.
MAX_REQUESTS_IN_FLIGHT = 8
#: The pool: as many connections as requests in flight, all kept alive between polls.
HTTP_LIMITS = httpx.Limits(max_connections=MAX_REQUESTS_IN_FLIGHT,
                           max_keepalive_connections=MAX_REQUESTS_IN_FLIGHT, keepalive_expiry=30.0)


class _SlotStream(httpx.AsyncByteStream):
    """A response body that gives its request slot back when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class _NoCookies(httpx.Cookies):
    """The API client's cookie jar: always empty. Modellix authenticates with the bearer key,
    so a cookie a server sets is never sent back, and not reading ``Set-Cookie`` saves ~5 % of a
    poll's CPU (httpx builds urllib request and response stand-ins for every answer to do it)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


class BoundedClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` with at most ``max_in_flight`` requests in flight (from sending
    the request to closing its response); the rest wait here, in FIFO order, instead of in
    httpcore's connection pool. (A client, not a custom transport: a transport passed to httpx
    would switch off its ``HTTPS_PROXY`` / ``NO_PROXY`` handling.) It keeps no cookies, and its
    direct connections use :class:`api.pool_backend.KnownSocketBackend` (cheaper pool checks)."""

    def __init__(self, *, max_in_flight: int = MAX_REQUESTS_IN_FLIGHT, **kwargs: Any) -> None:
        self._no_cookies = _NoCookies()
        super().__init__(**kwargs)
        self._slots = asyncio.Semaphore(max_in_flight)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        pass  # see _NoCookies

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        # httpx offers no public way to choose httpcore's network backend, so the pool httpx
        # built is given ours (tests/runtime/test_http_client.py checks that it still is).
        made = super()._init_transport(*args, **kwargs)
        pool = getattr(made, "_pool", None)
        if kwargs.get("transport") is None and isinstance(pool, httpcore.AsyncConnectionPool):
            pool._network_backend = KnownSocketBackend()
        return made

    async def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        await self._slots.acquire()
        try:
            response = await super().send(request, stream=True, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        if response.is_closed:  # already read and closed (a mock transport's answer): done
            self._slots.release()
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _SlotStream(response.stream, self._slots.release)
        if not stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response


def _no_sniffio_probe() -> None:
    """httpcore runs ``import sniffio`` inside every request (twice: to pick its lock and event
    types) and falls back to asyncio when that fails. httpx no longer depends on sniffio, so
    here it is usually absent, and a *failed* import is never cached: each one searches every
    ``sys.path`` entry again, about a seventh of a poll's CPU on the GUI loop. When sniffio is
    not installed, record that once (``None`` in ``sys.modules`` makes the import fail at once);
    the behaviour is the same, httpcore picks asyncio."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def http_client() -> httpx.AsyncClient:
    """The session's API client: bounded requests in flight over a small, warm pool."""
    _no_sniffio_probe()
    return BoundedClient(timeout=HTTP_TIMEOUT, limits=HTTP_LIMITS, follow_redirects=False)


def resolve_mode(settings: Settings, key: str | None) -> Mode:
    """``"demo"`` when there is no key or the user switched demo mode on, else ``"live"``."""
    if not key or getattr(settings, "demo_mode", None) is True:
        return "demo"
    return "live"


def secret_store(paths: AppPaths, environ: Mapping[str, str] | None = None) -> SecretStore:
    """The app's :class:`core.secrets.SecretStore` for these paths (keyring service
    "seedance-desktop", key file ``paths.key_file``). Use this everywhere, so the window's
    Settings dialog saves the key exactly where the CLI and :func:`resolve_api_key` look."""
    from seedance_desktop.core.secrets import SecretStore

    return SecretStore(file_path=paths.key_file, environ=os.environ if environ is None else environ)


def resolve_api_key(paths: AppPaths, environ: Mapping[str, str] | None = None) -> str | None:
    """The API key: ``$MODELLIX_API_KEY`` first (scripts, CI), then the secret store (keyring
    or the user-approved 0600 file). ``None`` when neither has one."""
    env = os.environ if environ is None else environ
    value = (env.get(KEY_ENV) or "").strip()
    if not value:
        try:
            key = secret_store(paths, env).get_key()
        except Exception as exc:  # a broken keyring must not stop demo mode or the CLI's list/show
            log.warning("could not read the API key from the secret store: %s", exc)
            return None
        value = key.strip() if isinstance(key, str) else ""
    if not value:
        return None
    # Masked from the moment it is known, not only once a runtime is built: whatever logs the
    # value on its way back (a worker thread's result, a debug line) is already redacted.
    install_log_redaction((value,))
    return value


def home_root(paths: AppPaths) -> Path | None:
    """The single folder everything lives under when the paths come from an override
    (``--home`` / ``$SEEDANCE_HOME``: ``<root>/config``, ``<root>/data``, ...), else None."""
    root = paths.config_dir.parent
    if paths.config_dir.name == "config" and paths.data_dir.parent == root and paths.data_dir.name == "data":
        return root
    return None


def resolve_output_dir(
    settings: Settings, *, demo: bool, override: str | Path | None = None, paths: AppPaths | None = None
) -> Path:
    """Where finished videos go: an explicit ``override`` verbatim; otherwise the configured
    folder (default: the user's videos folder / Seedance), with a demo subfolder in demo mode.

    When ``paths`` come from a home override and the folder was never configured, videos go
    to ``<home>/videos`` instead of the real Videos folder: tests and portable installs keep
    everything in one place.
    """
    if override is not None:
        return Path(override).expanduser()
    configured = getattr(settings, "output_dir", None)
    folder = Path(configured).expanduser() if configured else default_output_dir()
    root = home_root(paths) if paths is not None else None
    if root is not None and folder == default_output_dir():
        folder = root / "videos"
    return folder / DEMO_OUTPUT_SUBDIR if demo else folder


# --------------------------------------------------------------------------------- runtime


@dataclass
class Runtime:
    """Everything a front end needs, built and owned together. Call :meth:`aclose` exactly
    once when done (or use ``async with``): it stops the engine, closes the HTTP client, stops
    the demo simulator child and closes the store, in that order."""

    mode: Mode
    paths: AppPaths              # the effective paths (demo_paths(...) in demo mode)
    settings: Settings
    store: JobStore
    http: httpx.AsyncClient
    client: ModellixClient
    engine: Engine
    base_url: str
    output_dir: Path
    budget: RequestBudget
    simulator: SimulatorProcess | None = None  # demo mode only
    lock: EngineLock | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.engine.stop()
        except Exception:
            log.exception("stopping the engine failed")
        try:
            await self.http.aclose()
        except Exception:
            log.exception("closing the HTTP client failed")
        if self.simulator is not None:
            await asyncio.to_thread(stop_simulator, self.simulator)
        self.store.close()
        if self.lock is not None:
            self.lock.release()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def open_store(paths: AppPaths, *, demo: bool) -> JobStore:
    """The job store for a mode, without network or engine (for ``list``/``show``)."""
    effective = demo_paths(paths) if demo else paths
    effective.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return JobStore(effective.db_file)


def input_preparer(paths: AppPaths) -> InputPreparer | None:
    """The engine's PREPARING step: probe, check and conform local inputs into the cache folder
    before upload (conformed copies are named by content and plan, so a retry or a restart
    reuses them instead of encoding again)."""
    # Imported here: PyAV and the media pipeline are not needed to open the store or list jobs.
    from seedance_desktop.core.prepare import InputPreparer as MediaInputPreparer

    return MediaInputPreparer(paths.conform_dir)


def spend_guard(store: JobStore, settings: Settings) -> SpendGuard:
    """The budget guard over this store, reading caps and prices from ``settings`` each time
    (the window edits the same settings object in place when the person saves them)."""
    return SpendGuard(store.updated_since, lambda: caps_of(settings), lambda: getattr(settings, "prices", None) or {})


async def build_runtime(
    paths: AppPaths,
    settings: Settings,
    *,
    api_key: str | None,
    demo: bool,
    base_url: str | None = None,
    output_dir: str | Path | None = None,
    start_engine: bool = True,
    time_scale: float | None = None,
    queued_by: str | None = None,
) -> Runtime:
    """Build (and start) everything for one session.

    ``demo=True`` starts the simulator child and ignores ``api_key`` and the base URL; else
    ``api_key`` is required (:class:`ConfigurationError` otherwise) and the base URL is
    ``base_url`` or ``settings.base_url`` or Modellix's. ``output_dir`` overrides the
    configured output folder verbatim. With ``start_engine`` the engine resumes every
    unfinished job from the store before this returns. ``time_scale``: how much faster than
    real time the server's clock runs (demo mode: the simulator child's, default
    :func:`demo_time_scale`; live: 1, or a simulator's in tests and benchmarks), so polling and
    back-off follow the server's clock. ``queued_by`` (the CLI's process tag)
    marks the jobs this session queues, so they are held, not sent, by a later session if this
    process dies before sending them (None: the window's queue, which persists). On any failure, whatever was already
    started is stopped again before the error propagates.

    Only one engine may run per job database: raises :class:`EngineBusyError` (a
    ``ConfigurationError``) when another process holds it.
    """
    effective = demo_paths(paths) if demo else paths
    effective.ensure()
    lock = EngineLock(effective.data_dir / "engine.lock").acquire()
    simulator: SimulatorProcess | None = None
    store: JobStore | None = None
    http: httpx.AsyncClient | None = None
    engine: Engine | None = None
    try:
        scale = time_scale if time_scale is not None else 1.0
        if demo:
            scale = time_scale if time_scale is not None else demo_time_scale()
            # The simulator keeps its tasks in the demo data folder: the previous session's
            # unfinished jobs continue (polled and downloaded) instead of being lost.
            simulator = await asyncio.to_thread(start_simulator, scale, simulator_dir(paths))
            url = check_base_url(simulator.base_url)
            key = simulator.api_key
        else:
            if not api_key:
                raise ConfigurationError(
                    "missing API key",
                    user_message=(
                        f"No Modellix API key is set. Set {KEY_ENV}, save one in the app's Settings "
                        "(it goes to the keyring), or use demo mode."
                    ),
                )
            key = api_key
            url = check_base_url(base_url or getattr(settings, "base_url", None) or DEFAULT_BASE_URL)
        install_log_redaction((key,))
        store = JobStore(effective.db_file)
        if demo:
            known = await asyncio.to_thread(known_demo_tasks, simulator_dir(paths))
            retire_orphaned_demo_jobs(store, known)
        http = http_client()
        # One HTTP attempt per call: the engine's policy is the only retry layer, and the engine
        # alone notes 429s in the session's one request budget.
        client = ModellixClient(http, url, key)
        budget = RequestBudget(time_scale=scale)
        out_dir = resolve_output_dir(settings, demo=demo, override=output_dir, paths=paths)
        engine = Engine(
            store,
            client,
            output_dir=out_dir,
            naming_template=getattr(settings, "naming_template", None) or DEFAULT_TEMPLATE,
            max_in_flight=int(getattr(settings, "max_in_flight", 2) or 2),
            # The simulator compresses time; the poll policy must know, or it would poll a
            # 10-second demo job as sparsely as a real 90-second one.
            time_scale=scale,
            budget=budget,
            preparer=input_preparer(effective),
            queued_by=queued_by,
        )
        engine.set_spend_guard(spend_guard(store, settings))
        runtime = Runtime(
            mode="demo" if demo else "live",
            paths=effective,
            settings=settings,
            store=store,
            http=http,
            client=client,
            engine=engine,
            base_url=url,
            output_dir=out_dir,
            budget=budget,
            simulator=simulator,
            lock=lock,
        )
        if start_engine:
            await engine.start()
        log.info("runtime ready: mode=%s base_url=%s output=%s", runtime.mode, url, out_dir)
        return runtime
    except BaseException:
        if engine is not None:
            try:
                await engine.stop()
            except Exception:
                log.exception("stopping the engine after a failed start")
        if http is not None:
            await http.aclose()
        if simulator is not None:
            await asyncio.to_thread(stop_simulator, simulator)
        if store is not None:
            store.close()
        lock.release()
        raise


__all__ = [
    "DEMO_OUTPUT_SUBDIR",
    "DEMO_TIME_SCALE",
    "DEMO_TIME_SCALE_ENV",
    "EngineBusyError",
    "EngineLock",
    "KEY_ENV",
    "Mode",
    "Runtime",
    "build_runtime",
    "close_logging",
    "demo_paths",
    "demo_time_scale",
    "home_root",
    "open_store",
    "resolve_api_key",
    "resolve_mode",
    "resolve_output_dir",
    "retire_orphaned_demo_jobs",
    "secret_store",
    "setup_logging",
    "spend_guard",
    "input_preparer",
    "start_simulator",
    "stop_simulator",
]
