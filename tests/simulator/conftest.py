"""Fixtures for the simulator's own tests: an authenticated client and an uploaded clip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from simtest_helpers import auth, upload

from seedance_desktop.simulator.launcher import SimulatorThread


@pytest.fixture
def api(simulator: SimulatorThread) -> Iterator[httpx.Client]:
    """An httpx client with the simulator's base URL and key."""
    with httpx.Client(base_url=simulator.base_url, headers=auth(simulator.api_key), timeout=10.0) as client:
        yield client


@pytest.fixture
def clip_url(api: httpx.Client, clip: Path) -> str:
    """The 4 s test clip, uploaded to the simulator."""
    return upload(api, clip)["url"]
