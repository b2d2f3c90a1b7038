"""Shared fixtures: generated media and the loopback Modellix simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.media.synth import make_clip
from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.server import SimulatorConfig

#: Times compressed so a task goes pending -> processing -> success in about 1-2 s of real time:
#: 0.1 s pending, then 0.5-1.0 s processing (plus the render, usually well under a second at 480p).
FAST_SIM: dict[str, Any] = {"time_scale": 60.0, "pending_seconds": 6.0, "processing_seconds": (30.0, 60.0)}


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 4 s 854x480 24 fps H.264/AAC clip that satisfies every reference-video limit."""
    return make_clip(tmp_path / "clip.mp4", duration=4.0)


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorThread]]:
    """Start simulators with config overrides, e.g. ``simulator_factory(concurrent_limit=2)``.

    Defaults to the compressed times of :data:`FAST_SIM`; every simulator stops on teardown.
    """
    started: list[SimulatorThread] = []

    def start(**overrides: Any) -> SimulatorThread:
        config = SimulatorConfig(**{**FAST_SIM, **overrides})
        thread = SimulatorThread(config).start()
        started.append(thread)
        return thread

    yield start
    for thread in reversed(started):
        thread.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., SimulatorThread]) -> SimulatorThread:
    """A running in-process simulator (``.base_url``, ``.api_key``, ``.simulator``)."""
    return simulator_factory()
