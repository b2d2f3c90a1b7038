"""The window's queue machinery without the rest of the window, for the benchmarks: the real
controller, queue model and panel over a runtime, started on the running (qasync) loop.

Imported lazily by the benchmarks (inside their scenarios), after they have set the Qt
environment; importable because a benchmark's own folder is first on ``sys.path`` when it runs
as a script.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from seedance_desktop.ui.controller import Controller
from seedance_desktop.ui.queue.queue_model import QueueModel
from seedance_desktop.ui.queue.queue_panel import QueuePanel


@dataclass
class QueueUi:
    controller: Controller
    model: QueueModel
    panel: QueuePanel


async def start_queue_ui(runtime: Any) -> QueueUi:
    """Controller attached to ``runtime``, model fed by its signals, panel shown; returns once
    the controller has started the engine."""
    controller = Controller()
    model = QueueModel(runtime.store)
    controller.attach_runtime(runtime.store, runtime.engine, demo=False)
    model.set_source(runtime.store, lookup=controller.job)
    controller.job_added.connect(model.job_added)
    controller.job_changed.connect(model.job_changed)
    panel = QueuePanel(model)
    panel.resize(1000, 700)
    panel.show()
    started = asyncio.Event()
    controller.started.connect(started.set)
    controller.start()
    await started.wait()
    return QueueUi(controller, model, panel)
