"""Composition root of the desktop app: builds every object and passes dependencies in.

Start-up order is chosen for a window that appears at once:

1. parse options, build the widgets (cheap) and show the window;
2. after its first paint, in the qasync loop: read the key (keyring is slow to import, and
   runs in a worker thread); as soon as the mode is known the window becomes usable: in demo
   mode the form gets the sample recipe, and the queue shows its first page read from the
   store in a worker (a :class:`StorePreview`), while the demo simulator starts and the store
   and engine open (``composition.build_runtime``); then they are handed to the controller
   and the queue model. Submit is enabled as soon as the form is valid: a submit made before
   the engine runs is kept by the controller and added once it starts;
3. on close: stop the controller's tasks and the engine, close the runtime, save the layout.

Besides ``composition.py`` this is the only place that knows demo mode runs on a simulator.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.core.paths import AppPaths

if TYPE_CHECKING:  # Qt is imported only once we know we open a window (``--help`` stays instant)
    from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

SAMPLE_PROMPT = "Turn [Video 1] into a watercolour painting with soft morning light and a slow camera drift."
SAMPLE_MODEL = DEFAULT_MODEL  # the sample recipe is for the model the app is built for

RuntimeBuilder = Callable[..., Awaitable[Any]]
# The rows shown before the runtime's store takes over (about a second later): more than a tall
# screen shows (40 px rows), not the model's whole 200-row page, whose decoding in the worker
# competed with the form for the interpreter and held the first page up.
PREVIEW_ROWS = 60
USABLE_WAIT = 2.0   # seconds the demo runtime waits at most for the form to accept the sample
PREVIEW_WAIT = 1.0  # ... and the sample waits at most for the queue's first page


class StorePreview:
    """The store's first page and job count, read once in a worker thread before the runtime
    exists: the queue model's source for the moment between first paint and the real store
    (same ``list``/``count``/``get`` shape as ``JobStore``; read-only, nothing past the page)."""

    def __init__(self, jobs: list[Any], total: int) -> None:
        self._jobs = list(jobs)
        self._by_id = {job.id: job for job in self._jobs}
        self._total = max(total, len(self._jobs))

    @classmethod
    def read(cls, db_file: Path, rows: int = PREVIEW_ROWS) -> StorePreview:
        """Blocking (a worker's job): open the job database read-only, read the first page,
        close it. A store that does not exist yet is not created here, and a damaged one is
        neither checked nor repaired: the runtime does that (it holds the engine lock, keeps
        the damaged file and tells the user where); the preview just shows nothing."""
        if not db_file.is_file():
            return cls([], 0)
        import sqlite3

        from seedance_desktop.core.store import JobStore, StoreError

        try:
            store = JobStore(db_file, read_only=True)
        except (sqlite3.DatabaseError, StoreError):
            return cls([], 0)
        try:
            return cls(store.list(limit=rows, offset=0), store.count())
        except sqlite3.DatabaseError:
            return cls([], 0)
        finally:
            store.close()

    def list(self, states: Any = None, limit: int | None = None, offset: int = 0) -> list[Any]:
        jobs = self._jobs if states is None else [j for j in self._jobs if j.state in set(states)]
        end = None if limit is None else offset + limit
        return jobs[offset:end]

    def count(self) -> int:
        return self._total if self._jobs or self._total == 0 else 0

    def get(self, job_id: str) -> Any:
        job = self._by_id.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job


def tune_interpreter() -> None:
    """Keep the GUI thread responsive while worker threads stream bytes.

    * The GIL switch interval drops from 5 ms to 1 ms: when a download or upload thread holds
      the GIL, the GUI thread gets it back within a millisecond instead of five.
    * ``gc.freeze()`` after start-up moves the long-lived objects (Qt wrappers, modules,
      settings) out of the collector's reach, so full collections stay short.
    Both are measured by ``tests/benchmarks/ui_responsiveness.py``."""
    import gc

    sys.setswitchinterval(0.001)
    gc.collect()
    gc.freeze()


def _lower_thread_priority() -> None:
    """Worker threads yield the CPU to the GUI thread when cores are busy (Linux: per-thread
    nice). Byte streaming does not mind running a little later; the GUI does."""
    import os
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def install_io_executor(loop: Any, workers: int = 8) -> None:
    """The loop's default executor (``asyncio.to_thread``: downloads, uploads, hashing,
    keyring, settings) with lower-priority threads on Linux. Measured by the UI benchmark:
    under CPU contention it roughly halves the GUI timer's p99 lateness during a 1 GiB
    download, with the same download speed."""
    from concurrent.futures import ThreadPoolExecutor

    initializer = _lower_thread_priority if sys.platform.startswith("linux") else None
    loop.set_default_executor(ThreadPoolExecutor(workers, thread_name_prefix="seedance-io",
                                                 initializer=initializer))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from seedance_desktop import __version__
    from seedance_desktop.runtime.logs import LOG_LEVELS

    parser = argparse.ArgumentParser(
        prog="seedance-desktop",
        description="Desktop client for Seedance 2.0 video-to-video generation through Modellix. "
        "Without an API key it opens in demo mode on a local simulator. "
        "The command line is seedance-desktop-cli (or `python -m seedance_desktop cli --help`).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="use demo mode (simulated outputs from a local server) even if a key is set")
    parser.add_argument("--home", "--config-dir", dest="home", metavar="DIR",
                        help="keep settings, job database, cache and logs under DIR, for portable "
                        "use and tests (like $SEEDANCE_HOME); --config-dir is the same option")
    parser.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, default="INFO",
                        help="how much the log file records (default INFO; DEBUG for bug reports)")
    # Hidden: one whole demo job through the window, then quit (CI checks installs and bundles).
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class SavedLayout:
    """The only settings the first paint needs (window geometry and splitters), read straight
    from the JSON file; the typed ``Settings`` (and the modules behind it) load after it."""

    def __init__(self, settings_file: Path) -> None:
        import json

        try:
            data = json.loads(settings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        for name in ("window_geometry", "window_state", "splitter_state"):
            value = data.get(name, "")
            setattr(self, name, value if isinstance(value, str) else "")
        self.notify_on_completion = True


class Shell:
    """Step one of start-up: the window frame with its saved geometry, shown before anything
    heavy is imported (settings model, asyncio, qasync, the form, multimedia, the job store)."""

    def __init__(self, paths: AppPaths) -> None:
        from seedance_desktop.ui.main_window import MainWindow

        self.paths = paths
        self.window = MainWindow(settings=SavedLayout(paths.settings_file))
        self._store: Any = None
        self._settings: Any = None

    def load_settings(self) -> tuple[Any, Any]:
        """(SettingsStore, Settings), loaded once; the window then keeps its layout in them."""
        if self._store is None:
            from seedance_desktop.core.settings import SettingsStore

            self._store = SettingsStore(self.paths.settings_file)
            self._settings = self._store.load()
            self.window.settings = self._settings
        return self._store, self._settings

    def show_and_paint(self, qapp: QApplication, timeout: float = 5.0) -> bool:
        """Show the frame and process events until it has painted once."""
        import time

        from PySide6.QtCore import QEventLoop

        self.window.show()
        deadline = time.monotonic() + timeout
        while not self.window.painted and time.monotonic() < deadline:
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return bool(self.window.painted)


class DesktopApp:
    """Owns the window and the runtime for one session."""

    def __init__(self, qapp: QApplication, paths: AppPaths, *, force_demo: bool = False,
                 runtime_builder: RuntimeBuilder | None = None, time_scale: float | None = None,
                 shell: Any = None, tune: bool = False) -> None:
        import asyncio  # lazily: not needed for the first paint
        from seedance_desktop.ui.controller import Controller
        from seedance_desktop.ui.player import Player
        from seedance_desktop.ui.queue.queue_model import EmptySource, QueueModel
        from seedance_desktop.ui.queue.queue_panel import QueuePanel
        from seedance_desktop.ui.form.request_form import RequestForm
        from seedance_desktop.ui import single_instance

        self.qapp = qapp
        self.paths = paths
        self.shell = shell or Shell(paths)
        self.settings_store, self.settings = self.shell.load_settings()
        self.force_demo = force_demo
        self.tune = tune  # process-wide interpreter tuning: only when this process is the app
        self.time_scale = time_scale
        self._builder = runtime_builder
        self.runtime: Any = None
        self.ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._dialog: Any = None
        self._secrets: Any = None  # one SecretStore, so a session-only key survives a restart

        self.controller = Controller()
        self.controller.frames_dir = paths.cache_dir / "frames"   # as the command line's continue
        self.model = QueueModel(EmptySource(), lookup=self.controller.job)
        from seedance_desktop.ui.form.recent_folder import RecentFolder

        recent = RecentFolder(self.settings.recent_folder)
        recent.changed.connect(lambda folder: setattr(self.settings, "recent_folder", folder))
        self.form = RequestForm(model=self.settings.last_model if self.settings.last_model else SAMPLE_MODEL,
                                loading=True, recent=recent)
        self.panel = QueuePanel(self.model)
        self.player = Player()
        self.window = self.shell.window
        self.window.install(self.controller, self.form, self.panel, self.player)
        from seedance_desktop.ui.tools import install_tools
        self.tools = install_tools(self)  # Presets and Tools menus, budget bar (issue 12)
        self.window.close_requested.connect(self._closing.set)
        self.window.settings_requested.connect(self.open_settings)
        single_instance.serve_window(self.window, self.form.add_media_paths, self.controller.started)
        self._add_support_actions()
        for problem in self.settings_store.problems:
            self.window.show_error(problem)
        self.window.data_folders = self.data_folders()

    def data_folders(self) -> list[tuple[str, Path]]:
        """Help > Where is my data: every folder the app writes to, for this session's mode."""
        from seedance_desktop.runtime.demo import simulator_dir

        runtime = self.runtime
        data = runtime.paths.data_dir if runtime is not None else self.paths.data_dir
        folders = [("Data (job list)", data), ("Settings", self.paths.config_dir), ("Cache", self.paths.cache_dir),
                   ("Logs", self.paths.log_dir)]
        if runtime is not None:
            folders.append(("Videos", Path(runtime.output_dir)))
            if runtime.demo:
                folders.append(("Demo server", simulator_dir(self.paths)))
        return folders

    def _add_support_actions(self) -> None:
        from seedance_desktop.ui.support_menu import add_support_actions

        add_support_actions(self.window.help_menu, log_dir=self.paths.log_dir, diagnostics=self.diagnostics,
                            mode=self.mode_name, spawn=self.controller.spawn,
                            status=lambda text: self.window.statusBar().showMessage(text, 6000),
                            add=self.window.add_help_action)

    def mode_name(self) -> str:
        if self.runtime is None:
            return "starting (or not connected)"
        return "demo (local simulator)" if self.runtime.demo else f"live ({self.settings.base_url})"

    def diagnostics(self, ui: dict[str, str]) -> str:
        """The redacted diagnostics text (blocking: the support menu calls it in a worker)."""
        from seedance_desktop.runtime.diagnostics import diagnostics_text

        return diagnostics_text(self.paths, self.settings, ui=ui)

    # -- life cycle ------------------------------------------------------------------------------
    async def run(self) -> int:
        """Show the window, start the runtime after the first paint, wait for close, clean up."""
        import asyncio  # lazily: not needed for the first paint
        if self.tune:
            install_io_executor(asyncio.get_running_loop())
        if not self.window.painted:
            painted = asyncio.Event()
            self.window.first_painted.connect(painted.set)
            self.window.show()
            await painted.wait()
        starter = asyncio.ensure_future(self.start_runtime())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({starter, closing}, return_when=asyncio.FIRST_COMPLETED)
            if not closing.done():
                await closing
        finally:
            if not starter.done():
                starter.cancel()
            await asyncio.gather(starter, return_exceptions=True)
            closing.cancel()
            await self.shutdown()
        return 0

    async def start_runtime(self) -> None:
        import asyncio  # lazily: not needed for the first paint
        try:
            await self._start_runtime()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the window stays up and says what happened
            self.controller.report(exc, "starting")
            self.window.mode_label.setText("Not connected")
        finally:
            self.form.set_loading(False)  # the form's problems are news only from now on
            self.ready.set()

    async def _start_runtime(self) -> None:
        import asyncio  # lazily: not needed for the first paint

        from seedance_desktop.runtime.demo import demo_paths

        self.window.mode_label.setText("Starting…")
        key = None
        if not self.force_demo:
            from seedance_desktop.runtime import compose as composition

            key = await asyncio.to_thread(composition.resolve_api_key, self.paths)
            if not key and self._secrets is not None:
                key = await asyncio.to_thread(self._secrets.get_key)  # a session-only key lives in memory
        demo = self.force_demo or composition.resolve_mode(self.settings, key) == "demo"
        # Usable before the runtime exists: the store's first page (read in a worker) and, in
        # demo mode, the sample recipe. The sample goes in once the page shows (briefly,
        # bounded): its check starts a worker that imports PyAV, which would hold the
        # interpreter while the page is decoded. Then, once the form accepts it, the
        # composition root (httpx, the engine) is imported and the demo simulator started.
        preview = asyncio.ensure_future(self._show_preview(demo_paths(self.paths) if demo else self.paths))
        filled = False
        if demo:
            await asyncio.wait({preview}, timeout=PREVIEW_WAIT)
            filled = self.fill_sample()
            if filled:
                await self._until_form_ready(USABLE_WAIT)
        # Imported in a worker: the window keeps painting and answering meanwhile (the import
        # only shares the interpreter with it) instead of freezing for its ~50 ms.
        import importlib

        await asyncio.to_thread(importlib.import_module, "seedance_desktop.runtime.compose")
        from seedance_desktop.runtime import compose as composition

        builder = self._builder or composition.build_runtime
        try:
            runtime = await builder(self.paths, self.settings, api_key=key, demo=demo,
                                    start_engine=False, time_scale=self.time_scale)
        finally:
            preview.cancel()  # the real store replaces the preview (or nothing does, on failure)
            await asyncio.gather(preview, return_exceptions=True)
        self.runtime = runtime
        if runtime.store.recovery is not None:  # a damaged job database was kept and recovered
            self.window.show_error(runtime.store.recovery.user_message)
        balance = None if runtime.demo else runtime.client.balance
        self.controller.attach_runtime(runtime.store, runtime.engine, demo=runtime.demo, balance=balance)
        self.model.set_source(runtime.store, lookup=self.controller.job)
        self.form.set_base_url(runtime.base_url)
        self.window.set_demo(runtime.demo)
        self.window.data_folders = self.data_folders()
        if self.settings.prices:
            self.form.set_prices(self.settings.prices)
        if runtime.demo and not filled:
            self.fill_sample()
        started = asyncio.Event()
        self.controller.started.connect(started.set)
        self.controller.start()
        await started.wait()
        if self.tune:
            tune_interpreter()

    async def _until_form_ready(self, timeout: float) -> None:
        """Return once the form accepts its request (Submit enabled), or after ``timeout``."""
        import asyncio  # lazily: not needed for the first paint

        ready = asyncio.Event()

        def changed(valid: bool, _reason: str) -> None:
            if valid:
                ready.set()

        signal = getattr(self.form, "validity_changed", None)
        action = getattr(self.form, "submit_action", None)  # fill_sample() has just validated
        if signal is None or action is None or action.isEnabled():
            return
        signal.connect(changed)
        try:
            await asyncio.wait_for(ready.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            signal.disconnect(changed)

    async def _show_preview(self, paths: AppPaths) -> None:
        """The queue's first page from the store, read in a worker, shown until the runtime's
        store replaces it (a failure here only means the queue fills in a little later)."""
        import asyncio  # lazily: not needed for the first paint

        try:
            preview = await asyncio.to_thread(StorePreview.read, paths.db_file)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the runtime opens the store again and reports
            log.info("queue preview unavailable: %s", exc)
            return
        if self.runtime is None and preview.count():
            self.model.set_source(preview)

    def fill_sample(self) -> bool:
        """Demo mode: a ready-to-submit request with the bundled sample clip (False: no clip)."""
        from seedance_desktop.core.job import InputFile
        from seedance_desktop.core.package_data import sample_clip

        clip = sample_clip(self.paths.cache_dir)  # package data: found in a wheel and a bundle too
        if clip is None:
            log.warning("sample clip missing from the installed package")
            return False
        request = {"prompt": SAMPLE_PROMPT, "duration": 5, "resolution": "480p", "ratio": "16:9"}
        self.form.set_recipe(SAMPLE_MODEL, request, [InputFile("video_urls", 0, str(clip))])
        return True

    def request_close(self) -> None:
        self.window.close()

    async def shutdown(self) -> None:
        import asyncio  # lazily: not needed for the first paint
        self.player.stop()
        from seedance_desktop.ui.controller_helpers import STOP_TIMEOUT, bounded

        await self.controller.shutdown()
        if self.runtime is not None:
            self._detach_model()
            await bounded(self.runtime.aclose(), STOP_TIMEOUT, "closing the runtime")
            self.runtime = None
        self.settings.last_model = self.form.spec.slug
        try:
            await asyncio.to_thread(self.settings_store.save, self.settings)
        except Exception as exc:  # noqa: BLE001 - never block quitting on a settings write
            log.warning("could not save the window layout: %s", exc)
        self.window.allow_close()
        self.window.close()

    # -- settings --------------------------------------------------------------------------------
    def open_settings(self) -> None:
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.raise_()
            return
        self.controller.spawn(self._open_settings(), "opening the settings")

    async def _open_settings(self) -> None:
        """Read where the key lives in a worker (keyring can be slow), then show the dialog
        with ``open()``: never ``exec()`` inside the loop. Saving goes through a worker too."""
        import asyncio  # lazily: not needed for the first paint

        from seedance_desktop.runtime.compose import secret_store
        from seedance_desktop.ui.settings_dialog import SettingsDialog

        if self._secrets is None:
            # The same store the CLI and the runtime read, so a key saved here is found there.
            self._secrets = secret_store(self.paths)
        secrets = self._secrets
        storage, secure = await asyncio.to_thread(lambda: (secrets.storage_kind, secrets.secure_backend_available()))
        dialog = SettingsDialog(self.settings, key_storage=storage, secure_backend=secure,
                                key_file=secrets.file_path, parent=self.window)
        dialog.check_key_requested.connect(lambda url, key: self.controller.spawn(
            self._check_key(secrets, url, key), "checking the key"))
        self.controller.key_checked.connect(dialog.show_key_check)
        dialog.settings_accepted.connect(lambda new, change: self.apply_settings(secrets, new, change))
        self._dialog = dialog
        dialog.open()

    async def _check_key(self, secrets: Any, base_url: str, key: str) -> None:
        import asyncio  # lazily: not needed for the first paint

        if not key:  # "check the saved key": read it in a worker, never show it
            key = await asyncio.to_thread(secrets.get_key) or ""
        if not key:
            self.controller.key_checked.emit(False, 0.0, "No key is saved yet. Paste one first.")
            return
        self.controller.check_key(base_url or self.settings.base_url, key)

    def apply_settings(self, secrets: Any, new: Any, change: Any) -> None:
        """Save settings and key in a worker thread, then switch mode/connection if needed."""
        import dataclasses

        before = (self.settings.base_url, self.settings.demo_mode, str(self.settings.output_dir),
                  self.settings.naming_template)
        keep = {"window_geometry", "window_state", "splitter_state", "last_model", "recent_folder", "version"}
        for f in dataclasses.fields(new):
            if f.name not in keep:
                setattr(self.settings, f.name, getattr(new, f.name))
        after = (self.settings.base_url, self.settings.demo_mode, str(self.settings.output_dir),
                 self.settings.naming_template)
        key_changed = change.action in ("set", "delete")

        def save() -> None:
            if change.action == "set":
                secrets.set_key(change.key, change.storage, consent=change.consent)
            elif change.action == "delete":
                secrets.delete_key()
            self.settings_store.save(self.settings)

        async def then() -> None:
            if self.window.notifier is not None:
                self.window.notifier.enabled = bool(self.settings.notify_on_completion)
            if self.settings.prices:
                self.form.set_prices(self.settings.prices)
            if key_changed or before != after:
                await self.restart_runtime()
            else:
                self.controller.set_max_in_flight(self.settings.max_in_flight)
            self.window.statusBar().showMessage("Settings saved.", 4000)

        self.controller.save_settings(save, then=then)

    def _detach_model(self) -> None:
        """The queue must not read a store that is about to close (a late fetchMore would)."""
        from seedance_desktop.ui.queue.queue_model import EmptySource

        self.model.set_source(EmptySource(), lookup=self.controller.job)

    async def restart_runtime(self) -> None:
        """A new key, base URL or mode: stop the engine (jobs stay resumable) and rebuild."""
        old = self.runtime
        self.runtime = None
        self.controller.detach()
        if old is not None:
            from seedance_desktop.ui.controller_helpers import STOP_TIMEOUT, bounded

            self._detach_model()
            await bounded(old.aclose(), STOP_TIMEOUT, "closing the runtime")
        self.ready.clear()
        await self.start_runtime()


def quit_on_signals(window: Any) -> Any:
    """Ctrl+C / SIGTERM close the window the normal way (engine stopped, layout saved).

    Python runs signal handlers only between bytecodes; while Qt waits in C nothing runs, so a
    light timer wakes the interpreter a few times a second."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(_signum: int, _frame: Any) -> None:
        QTimer.singleShot(0, window.quit_now)  # no prompt: nobody is there to answer it

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not supported here
            pass
    keepalive = QTimer(window)
    keepalive.setInterval(250)
    keepalive.timeout.connect(lambda: None)
    keepalive.start()
    return keepalive


#: The desktop entry's name (resources/*.desktop): Wayland compositors match windows by it.
DESKTOP_ID = "io.github.seedance_desktop.SeedanceDesktop"


def app_icon() -> Any:
    """The window icon from the package's PNG sizes (a few KiB each; no SVG plugin needed)."""
    from PySide6.QtGui import QIcon

    from seedance_desktop.core.package_data import ICON_PNG_SIZES, data_file, icon_png_name

    icon = QIcon()
    for size in ICON_PNG_SIZES:
        source = data_file(icon_png_name(size))
        if isinstance(source, Path) and source.is_file():
            icon.addFile(str(source))
    return icon


def start_logging(paths: AppPaths, level_name: str) -> Path | None:
    """The rotating, redacted log file at ``--log-level``; None when it cannot be opened
    (logging must never stop the app)."""
    try:
        from seedance_desktop.runtime.logs import parse_log_level, set_package_level, setup_logging

        level = parse_log_level(level_name)
        log_file = setup_logging(paths, level=level)
        set_package_level(level)
        return log_file
    except Exception as exc:  # noqa: BLE001 - logging must never stop the app
        print(f"warning: file logging disabled: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Qt Multimedia reports every optional codec library it cannot find (VA-API, PipeWire...) on
    # stderr; none is needed (FFmpeg in the wheel decodes H.264/AAC). The user's own rules win.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Seedance Desktop")
    qapp.setOrganizationName("seedance-desktop")
    qapp.setDesktopFileName(DESKTOP_ID)
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)  # the app quits after the engine has stopped
    paths = AppPaths.from_env(args.home).ensure()
    log_file: Path | None = None
    try:
        shell = Shell(paths)
        shell.show_and_paint(qapp)
        # Everything below happens after the first paint (asyncio alone: ~25 ms).
        log_file = start_logging(paths, args.log_level)
        log.info("Seedance Desktop starting (log level %s)", args.log_level)
        return run_window(qapp, paths, shell, force_demo=args.demo, self_test=args.self_test)
    except Exception as exc:  # noqa: BLE001 - a crash at start-up says so instead of vanishing
        from seedance_desktop.ui.crash import report_startup_failure

        if log_file is None:
            log_file = start_logging(paths, args.log_level)
        # A self-test has nobody to click a dialog away: stderr and the log only.
        report_startup_failure(exc, log_file, show=(lambda _text: None) if args.self_test else None)
        return 1


def run_window(qapp: QApplication, paths: AppPaths, shell: Shell, *, force_demo: bool,
               self_test: bool = False) -> int:
    """Run the window's session on a qasync loop with the uncaught-exception net in place."""
    import asyncio

    import qasync

    from seedance_desktop.ui.crash import CrashReporter

    # qasync on 3.11: asyncio.Runner with qasync's loop (see ARCHITECTURE.md).
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        desktop = DesktopApp(qapp, paths, force_demo=force_demo, shell=shell, tune=True)
        crashes = CrashReporter(paths.log_file, desktop.window)
        crashes.install(runner.get_loop())
        quit_on_signals(desktop.window)
        try:
            if not self_test:
                return runner.run(desktop.run())
            return runner.run(_run_self_test(desktop))
        finally:
            crashes.uninstall()


async def _run_self_test(desktop: DesktopApp) -> int:
    import asyncio

    from seedance_desktop.ui import self_test

    driver = asyncio.ensure_future(self_test.run(desktop))
    await desktop.run()
    return await driver
