"""Test-wide set-up: no real home directory, no display needed, offline."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# Must be set before Qt is imported anywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false;qt.qpa.*=false")

# Tests never touch the real home: platformdirs resolves under a throw-away XDG tree.
_SANDBOX = Path(tempfile.mkdtemp(prefix="seedance-test-home-"))
for _var, _sub in (
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CACHE_HOME", "cache"),
    ("XDG_STATE_HOME", "state"),
):
    os.environ[_var] = str(_SANDBOX / _sub)
# PulseAudio's client (Qt Multimedia's audio output) otherwise makes /tmp/pulse-XXXX when no
# XDG_RUNTIME_DIR is set, and only its link to it lives in the sandbox: a leftover per run.
os.environ["PULSE_RUNTIME_PATH"] = str(_SANDBOX / "pulse")
os.environ.pop("MODELLIX_API_KEY", None)
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


def pytest_configure(config: pytest.Config) -> None:
    # Each run gets its own temp root inside its sandbox: concurrent runs on one machine (two
    # worktrees, CI beside a developer) otherwise share /tmp/pytest-of-<user> and clean up
    # each other's tmp_path folders mid-test.
    if config.option.basetemp is None:
        config.option.basetemp = str(_SANDBOX / "tmp")


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    import shutil

    shutil.rmtree(_SANDBOX, ignore_errors=True)


sys.dont_write_bytecode = True

# Shared fixtures live in their own modules so owners of different layers do not collide:
# sim_fixtures: the in-process Modellix simulator (``simulator`` fixture) and clip factories.
pytest_plugins = ["sim_fixtures"]


@pytest.fixture(autouse=True)
def _free_qt_objects_on_the_gui_thread(request: pytest.FixtureRequest) -> object:
    """After a test that had a QApplication, collect reference cycles here, on the GUI thread.

    A closed qasync loop (and a controller owning QTimers) sits in a reference cycle; left to a
    later cyclic GC, which runs in whichever thread allocates next, its QObjects may be destroyed
    on a simulator or worker thread while the GUI thread dispatches events: Qt forbids that, and
    a full run once died in pytest-qt's event processing that way.
    """
    yield None
    if "qapp" in request.fixturenames or "qtbot" in request.fixturenames:
        import gc

        gc.collect()
