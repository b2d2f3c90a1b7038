"""Run the simulator in-process on a background thread, or as a child process.

* :class:`SimulatorThread` -- tests: an aiohttp server on 127.0.0.1:0 with its own asyncio loop on
  its own thread; the test thread talks to it over real loopback HTTP and pokes its state
  (``.simulator``) directly.
* :class:`SimulatorProcess` -- demo mode (the desktop app and ``cli --demo``): ``python -m
  seedance_desktop.simulator --port 0`` as a child, its URL and key read from the first two lines
  of its stdout.

Only the in-process parts need aiohttp and the simulator server; they import them when used, so
the app's start-up (which only needs :class:`SimulatorProcess`, a child process) never loads
aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from seedance_desktop.simulator.server import Simulator, SimulatorConfig

URL_PREFIX = "SIMULATOR_URL="
KEY_PREFIX = "SIMULATOR_KEY="


def redacted_access_logger() -> type:
    """The access-log class without query strings: signed result URLs never reach a log file.
    Built on first use, so importing this module does not import aiohttp."""
    from aiohttp import web
    from aiohttp.abc import AbstractAccessLogger

    class RedactedAccessLogger(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            self.logger.info("%s %s -> %s (%.3f s)", request.method, request.path, response.status, time)

    return RedactedAccessLogger


async def start_site(sim: Simulator, host: str = "127.0.0.1", port: int = 0,
                     access_log: bool = False) -> tuple[web.AppRunner, str]:
    """Start serving ``sim.app``; return the runner and the base URL with the real port."""
    from aiohttp import web

    kwargs: dict[str, Any] = (
        {"access_log_class": redacted_access_logger(), "access_log": logging.getLogger("seedance.simulator.access")}
        if access_log else {"access_log": None}
    )
    runner = web.AppRunner(sim.app, handle_signals=False, shutdown_timeout=1.0, **kwargs)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    shown = host if host not in ("0.0.0.0", "") else bound_host
    return runner, f"http://{shown}:{bound_port}"


async def stop_site(sim: Simulator, runner: web.AppRunner) -> None:
    sim.stopping.set()  # wakes SLOW faults so shutdown does not wait for them
    await runner.cleanup()


class SimulatorThread:
    """An in-process simulator on a background thread (context manager)."""

    def __init__(self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if config is None:
            from seedance_desktop.simulator.server import SimulatorConfig

            config = SimulatorConfig()
        self.config = config
        self._host, self._port = host, port
        self.simulator: Simulator | None = None
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "not started"
        return self._loop

    def start(self, timeout: float = 15.0) -> "SimulatorThread":
        """Start serving (idempotent, so ``with SimulatorThread(c).start() as s:`` works too)."""
        if self._thread is not None:
            return self
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="seedance-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the simulator did not start in time")
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"the simulator failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            from seedance_desktop.simulator.server import Simulator

            self.simulator = Simulator(self.config)
            self._runner, self.base_url = loop.run_until_complete(
                start_site(self.simulator, self._host, self._port)
            )
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            if self.simulator is not None:
                self.simulator.close()
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(stop_site(self.simulator, self._runner))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            self.simulator.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving, wait for the thread, remove the simulator's files. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("the simulator thread did not stop")

    def __enter__(self) -> "SimulatorThread":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class SimulatorProcess:
    """``python -m seedance_desktop.simulator`` as a child process (context manager)."""

    def __init__(self, extra_args: Sequence[str] = (), *, python: str = sys.executable,
                 startup_timeout: float = 20.0, stderr: int | IO[bytes] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        """``stderr=None`` (default) keeps the child's stderr in a temporary file so a failed start
        can say why; pass ``subprocess.DEVNULL`` or a file to route it elsewhere."""
        self.extra_args = tuple(extra_args)
        self._env = dict(env) if env is not None else None
        self._python = python
        self._timeout = startup_timeout
        self._stderr = stderr
        self.process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self._stderr_file: IO[bytes] | None = None
        self.base_url = ""
        self.api_key = ""

    def start(self) -> "SimulatorProcess":
        """Start the child and wait for its URL and key (idempotent)."""
        if self.process is not None:
            return self
        # --watch-stdin: the child stops when this pipe closes -- on stop(), and also when this
        # process dies without cleaning up, so a crashed app never leaves a server behind.
        args = [self._python, "-m", "seedance_desktop.simulator", "--port", "0", "--watch-stdin",
                *self.extra_args]
        self._stderr_file = tempfile.TemporaryFile() if self._stderr is None else None
        stderr = self._stderr_file if self._stderr_file is not None else self._stderr
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                        stdin=subprocess.PIPE, env=self._env)
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None

        def pump() -> None:
            # Keep draining stdout for the child's whole life so it can never block on a full pipe.
            for line in stdout:
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, name="simulator-stdout", daemon=True)
        self._pump.start()
        try:
            while not (self.base_url and self.api_key):
                line = lines.get(timeout=self._timeout)
                if line is None:
                    code = self.process.wait()
                    raise RuntimeError(f"the simulator exited early (code {code}): {self._stderr_tail()}")
                line = line.strip()
                if line.startswith(URL_PREFIX):
                    self.base_url = line[len(URL_PREFIX):]
                elif line.startswith(KEY_PREFIX):
                    self.api_key = line[len(KEY_PREFIX):]
        except queue.Empty:
            self.stop()
            raise RuntimeError("the simulator did not print its URL in time") from None
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the graceful way on every platform: the child sees EOF
        try:
            process.wait(timeout / 2)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._pump is not None:
            self._pump.join(timeout)  # ends at EOF, now that the child is gone
            self._pump = None
        if process.stdout is not None:
            process.stdout.close()
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def _stderr_tail(self, limit: int = 600) -> str:
        if self._stderr_file is None:
            return "see its stderr"
        self._stderr_file.seek(0, os.SEEK_END)
        size = self._stderr_file.tell()
        self._stderr_file.seek(max(0, size - limit))
        text = self._stderr_file.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else "no error output"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "SimulatorProcess":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
