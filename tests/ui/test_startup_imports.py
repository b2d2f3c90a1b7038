"""What the window imports before it is usable stays light: PyAV and numpy load where a file is
decoded (in a worker), httpx and the engine with the runtime. Importing them on the GUI thread
while the form and the first queue page are built doubled the time to a usable window in demo
mode (``tests/benchmarks/ui_responsiveness.py``); a module that imports one of them at its top
and is reached from these modules brings that back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Every module the window imports before it is usable (ui/app.py's DesktopApp and main()).
STARTUP_MODULES = (
    "seedance_desktop.ui.app",
    "seedance_desktop.ui.main_window",
    "seedance_desktop.ui.controller",
    "seedance_desktop.ui.player",
    "seedance_desktop.ui.single_instance",
    "seedance_desktop.ui.queue.queue_model",
    "seedance_desktop.ui.queue.queue_panel",
    "seedance_desktop.ui.queue.job_tabs",
    "seedance_desktop.ui.tools",
    "seedance_desktop.ui.help_dialogs",
    "seedance_desktop.ui.support_menu",
    "seedance_desktop.ui.crash",
    "seedance_desktop.ui.form.request_form",
    "seedance_desktop.core.settings",
    "seedance_desktop.core.store",
    "seedance_desktop.runtime.demo",
    "seedance_desktop.runtime.logs",
)
HEAVY = ("av", "numpy", "httpx", "seedance_desktop.core.engine.engine", "seedance_desktop.runtime.compose")


def test_the_window_imports_nothing_heavy_before_it_is_usable() -> None:
    code = (f"import importlib, json, sys\nfor name in {STARTUP_MODULES!r}:\n    importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "qt.*=false"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
