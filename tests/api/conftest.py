"""Fixtures for the API tests: a loopback simulator with compressed time, and client factories.

``sim`` is module-scoped (one server per test module keeps the suite fast); every test clears
faults and request counts on entry so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seedance_desktop.media.synth import make_clip
from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.server import SimulatorConfig
from sim_fixtures import FAST_SIM


def fast_config(**overrides: object) -> SimulatorConfig:
    """A task finishes in about a second of real time (the shared FAST_SIM times)."""
    return SimulatorConfig(**{**FAST_SIM, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sim_server() -> Iterator[SimulatorThread]:
    with SimulatorThread(fast_config(upload_quota=1000)) as server:
        yield server


@pytest.fixture
def sim(sim_server: SimulatorThread) -> SimulatorThread:
    assert sim_server.simulator is not None
    sim_server.simulator.clear_faults()
    sim_server.simulator.reset_counts()
    return sim_server


@pytest.fixture(scope="module")
def module_clip(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One 4 s 480p clip per module (encoding it takes a moment)."""
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", duration=4.0)

