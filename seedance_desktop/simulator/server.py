"""The simulator's core: configuration, state, task creation and rendering.

:class:`Simulator` owns everything a test may look at (tasks, uploaded files, request counts,
pending faults) behind one lock, so a test thread can inject faults and read state while the
server's event loop runs on another thread. The HTTP surface lives in ``routes.py`` and
``files.py``; ``launcher.py`` runs it on a thread or in a child process.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import random
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from seedance_desktop.simulator.faults import Fault, FaultBook, FaultKind
from seedance_desktop.simulator.render import RenderCache, RenderCancelled, RenderParams
from seedance_desktop.simulator.state import Counters, FileRecord, RateWindow, SimClock, TaskRecord
from seedance_desktop.simulator.validation import SIM_MODELS, SimModel

DEFAULT_FAIL_REASON = (
    "InputVideoSensitiveContentDetected.PrivacyInformation: the input video may contain real "
    "human faces"
)


DIR_PREFIX = "seedance-sim-"
OWNER_FILE = "owner.pid"


def sweep_stale_data_dirs(parent: Path | None = None) -> int:
    """Remove temp data dirs left by simulators that were killed (SIGKILL leaves no chance to
    clean up). A dir is stale when the process id in its owner file no longer exists. POSIX only:
    elsewhere there is no harmless liveness probe, and the dirs are left alone."""
    if os.name != "posix":
        return 0
    removed = 0
    for folder in Path(parent or tempfile.gettempdir()).glob(DIR_PREFIX + "*"):
        try:
            pid = int((folder / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        except PermissionError:
            pass  # alive, someone else's
    return removed


def _new_key() -> str:
    return "sim-" + secrets.token_urlsafe(24)


@dataclass
class SimulatorConfig:
    api_key: str = field(default_factory=_new_key, repr=False)  # never printed with the config
    #: Simulated seconds per real second: 60 turns a minute of queueing into one real second.
    time_scale: float = 1.0
    pending_seconds: float = 2.0
    #: Processing time in simulated seconds, drawn per task (deterministically from its id).
    processing_seconds: tuple[float, float] = (30.0, 90.0)
    price_per_second: dict[str, float] = field(
        default_factory=lambda: {"480p": 0.069, "720p": 0.138, "1080p": 0.45}
    )
    #: Lifetime of signed result URLs, in simulated seconds (7 days).
    result_ttl_seconds: float = 604_800.0
    upload_max_bytes: int = 16 * 1024 * 1024
    upload_quota: int = 10
    #: Starting balance (USD). Generous so a 200-job benchmark never hits a 402 by accident.
    balance: float = 1000.0
    #: Unfinished tasks allowed at once (SPEC 5: 2 below a $10 top-up); None: no limit.
    concurrent_limit: int | None = None
    #: API requests allowed per simulated minute (SPEC 5: 100 below a $10 top-up); None: no limit.
    #: Beyond it: 429 "Rate limit exceeded" with X-RateLimit-Limit/-Remaining/-Reset, no Retry-After.
    requests_per_minute: int | None = None
    #: seed -1 means "random" upstream. False renders it as seed 0 so identical benchmark jobs
    #: share one cached render; True draws a fresh seed per task as the real service does.
    random_seeds: bool = False
    render_workers: int = 2
    data_dir: Path | None = None
    #: Keep tasks, uploads and the balance in ``data_dir/state.json`` and continue them on the
    #: next start (demo mode: a job processing when the app quit finishes after a restart).
    persist: bool = False
    faults: tuple[Fault, ...] = ()
    clock: Callable[[], float] = time.time
    fetch_timeout: float = 30.0

    def __post_init__(self) -> None:
        lo, hi = self.processing_seconds
        problems = [
            "time_scale must be positive" if self.time_scale <= 0 else "",
            "pending_seconds must not be negative" if self.pending_seconds < 0 else "",
            "processing_seconds must be (min, max) with 0 <= min <= max" if not 0 <= lo <= hi else "",
            "render_workers must be at least 1" if self.render_workers < 1 else "",
            "api_key must not be empty" if not self.api_key.strip() else "",
            "persist needs a data_dir" if self.persist and self.data_dir is None else "",
            "requests_per_minute must be at least 1"
            if self.requests_per_minute is not None and self.requests_per_minute < 1 else "",
        ]
        problems = [p for p in problems if p]
        if problems:
            raise ValueError("; ".join(problems))


class Simulator:
    """State and behaviour of one simulated Modellix service; ``app`` is its aiohttp app."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._owns_dir = self.config.data_dir is None
        if self._owns_dir:
            sweep_stale_data_dirs()
        self.data_dir = Path(self.config.data_dir or tempfile.mkdtemp(prefix=DIR_PREFIX))
        if self._owns_dir:
            (self.data_dir / OWNER_FILE).write_text(str(os.getpid()))
        for sub in ("uploads", "renders", "sources"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        self.clock = SimClock(self.config.time_scale, self.config.clock)
        self.faults = FaultBook()
        for fault in self.config.faults:
            self.faults.inject(fault)
        self.counters = Counters()
        self.rate = (RateWindow(self.config.requests_per_minute, self.clock)
                     if self.config.requests_per_minute is not None else None)
        self.cache = RenderCache(self.data_dir / "renders")
        self.secret = secrets.token_bytes(32)
        self.balance = self.config.balance
        self.lock = threading.RLock()
        self._tasks: dict[str, TaskRecord] = {}
        self._files: dict[str, FileRecord] = {}
        self._executor = ThreadPoolExecutor(self.config.render_workers, thread_name_prefix="sim-render")
        self.stopping = asyncio.Event()
        self._closed = False
        if self.config.persist:
            self._restore()
        from seedance_desktop.simulator.routes import build_app  # routes import this module

        self.app: web.Application = build_app(self)

    # --- public test interface ------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.config.api_key

    def inject(self, fault: Fault) -> None:
        """Queue a fault (thread-safe); it applies to the next matching request(s)."""
        self.faults.inject(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def request_counts(self) -> dict[str, int]:
        """Requests per endpoint name ("submit", "task", "upload", "files_list", "files_delete",
        "validate", "balance", "models", "result", "uploaded") since the last reset -- every
        request that reached the endpoint, including refused and faulted ones."""
        return self.counters.snapshot()

    def reset_counts(self) -> None:
        self.counters.reset()

    def tasks(self) -> dict[str, TaskRecord]:
        """Every task, with its status brought up to date."""
        with self.lock:
            for record in self._tasks.values():
                record.advance(self.clock)
            return {task_id: replace(record) for task_id, record in self._tasks.items()}

    def task(self, task_id: str) -> TaskRecord | None:
        """The live record (not a copy) of one task, brought up to date; None when unknown."""
        with self.lock:
            record = self._tasks.get(task_id)
            if record is not None:
                record.advance(self.clock)
            return record

    def files(self) -> dict[str, FileRecord]:
        with self.lock:
            return dict(self._files)

    @property
    def render_count(self) -> int:
        return self.cache.render_count

    def close(self) -> None:
        """Stop the render pool and remove the data directory when the simulator made it."""
        if self._closed:
            return
        self._closed = True
        self.cache.cancel.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._save()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- tasks ------------------------------------------------------------------------------

    def unfinished_count(self) -> int:
        with self.lock:
            return sum(1 for r in self._tasks.values() if r.advance(self.clock) not in ("success", "failed"))

    def price(self, body: dict[str, Any]) -> float:
        per_second = self.config.price_per_second.get(body["resolution"], 0.0)
        return float(round(per_second * body["duration"], 4))

    def create_task(self, model: SimModel, body: dict[str, Any]) -> TaskRecord:
        """Record a new task, charge it, and start its render on the pool."""
        task_id = "task-" + secrets.token_hex(8)
        rng = random.Random(task_id)
        lo, hi = self.config.processing_seconds
        seed = body["seed"]
        if seed == -1:
            seed = rng.randrange(0, 2**32) if self.config.random_seeds else 0
        fail = self.faults.take("submit", (FaultKind.FAIL_TASK,))
        record = TaskRecord(
            task_id=task_id, model_slug=model.slug, body=body, submitted_at=self.clock.real(),
            sim_submitted=self.clock.now(), pending_for=self.config.pending_seconds,
            processing_for=rng.uniform(lo, hi), amount=self.price(body), effective_seed=seed,
            request_id="req-" + secrets.token_hex(6),
            fail_reason=(fail.message or DEFAULT_FAIL_REASON) if fail else None,
        )
        with self.lock:
            self._tasks[task_id] = record
            self.balance = round(self.balance - record.amount, 4)
        if fail is not None:
            record.render_done_at = record.submitted_at
        else:
            self._executor.submit(self._produce, record, model)
        self._save()
        return record

    # --- persistence (config.persist) ----------------------------------------------------------

    def _restore(self) -> None:
        """Load the saved tasks and uploads; render again what had not finished rendering."""
        from seedance_desktop.simulator import persist

        data = persist.read(persist.state_file(self.data_dir))
        if data is None:
            return
        tasks, files, balance = persist.load(data, self.clock)
        # Finished tasks older than KEEP_FINISHED_FOR are forgotten with their renders, so a demo
        # folder used for months does not grow without end.
        cutoff = self.clock.real() - persist.KEEP_FINISHED_FOR
        tasks = {k: r for k, r in tasks.items() if r.finished_at is None or r.finished_at >= cutoff}
        persist.remove_unused_renders(self.data_dir / "renders", tasks.values())
        with self.lock:
            self._tasks.update(tasks)
            self._files.update(files)
            if balance is not None:
                self.balance = balance
        for record in tasks.values():
            if record.render_done_at is None:
                model = SIM_MODELS.get(record.model_slug.split("/", 1)[-1])
                if model is not None:
                    self._executor.submit(self._produce, record, model)
        self._save()  # the pruned state, as the next reader (the demo runtime) should see it

    def _save(self) -> None:
        if not self.config.persist:
            return
        from seedance_desktop.simulator import persist

        with self.lock:
            state = persist.dump(self._tasks, self._files, self.balance)
            persist.write(persist.state_file(self.data_dir), state)

    def _produce(self, record: TaskRecord, model: SimModel) -> None:
        """Worker thread: fetch the first reference, render (cached), mark the render done."""
        body = record.body
        field_name = "video_urls" if model.takes_video else "first_frame_image"
        try:
            if model.takes_video:
                field_name, url = "video_urls", body["video_urls"][0]
            else:
                field_name = next(n for n in ("first_frame_image", "reference_images", "last_frame_image") if n in body)
                value = body[field_name]
                url = value[0] if isinstance(value, list) else value
            source, sha = self._fetch(url)
            params = RenderParams(
                ratio=body["ratio"], resolution=body["resolution"], duration=body["duration"],
                seed=record.effective_seed, generate_audio=body["generate_audio"],
                return_last_frame=body["return_last_frame"], source_is_image=not model.takes_video,
            )
            result = self.cache.get(source, sha, params)
            with self.lock:
                record.render = result
        except RenderCancelled:
            return  # shutting down: a persisted task renders again on the next start
        except Exception as exc:  # noqa: BLE001 - any problem with the input fails the task
            with self.lock:
                record.fail_reason = f"InvalidParameter: could not use {field_name}: {exc}"
        with self.lock:
            record.render_done_at = self.clock.real()
        self._save()

    def _fetch(self, url: str) -> tuple[Path, str]:
        """The bytes behind a reference: our own upload from disk, a data URI, or any URL."""
        if url.startswith("data:"):
            payload = url.partition(",")[2]
            try:
                data = base64.b64decode(payload, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("the Base64 image could not be decoded") from exc
            return self._store_source(data)
        parts = urlsplit(url)
        segments = parts.path.split("/")
        if parts.path.startswith("/files/uploads/") and len(segments) >= 4:
            with self.lock:
                record = self._files.get(segments[3])
            if record is not None:
                return record.path, record.sha256
        response = httpx.get(url, timeout=self.config.fetch_timeout, follow_redirects=True)
        if response.status_code != 200:
            raise ValueError(f"downloading the reference answered HTTP {response.status_code}")
        return self._store_source(response.content)

    def _store_source(self, data: bytes) -> tuple[Path, str]:
        sha = hashlib.sha256(data).hexdigest()
        path = self.data_dir / "sources" / sha
        if not path.exists():
            tmp = path.with_name(sha + f".{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return path, sha

    # --- uploads ----------------------------------------------------------------------------

    def add_file(self, record: FileRecord) -> None:
        with self.lock:
            self._files[record.file_id] = record
        self._save()

    def remove_file(self, file_id: str) -> FileRecord | None:
        with self.lock:
            record = self._files.pop(file_id, None)
        if record is not None:
            shutil.rmtree(record.path.parent, ignore_errors=True)
            self._save()
        return record
