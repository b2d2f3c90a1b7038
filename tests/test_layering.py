"""The core runs without Qt: nothing under api/, core/, media/, simulator/ may import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "seedance_desktop"
QT_FREE = ("api", "core", "media", "simulator")
QT_MODULES = ("PySide6", "qasync", "shiboken6")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_import_below_ui() -> None:
    offenders = []
    for layer in QT_FREE:
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imported_modules(path):
                if name.split(".")[0] in QT_MODULES:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_core_layers_import_without_loading_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import seedance_desktop\n"
        "for layer in %r:\n"
        "    pkg = importlib.import_module('seedance_desktop.' + layer)\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in %r]\n"
        "print(','.join(loaded))\n"
    ) % (QT_FREE, QT_MODULES)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_lower_layers_do_not_import_ui_or_simulator() -> None:
    """Arrows point down: core/api never know they might be talking to the simulator."""
    offenders = []
    for layer in ("api", "core", "media"):
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imported_modules(path):
                if name.startswith(("seedance_desktop.ui", "seedance_desktop.simulator")):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []
