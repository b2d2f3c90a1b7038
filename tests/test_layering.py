"""The layering contracts (ARCHITECTURE.md section 2), checked on every module's imports.

Arrows point down only: ``ui, cli -> runtime -> core -> api``, ``core -> media``; nothing under
api/, core/, media/, simulator/ imports Qt or qasync; only runtime/ knows the simulator exists.
``seedance_desktop.errors`` (the error root) is the shared foundation every layer may import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


#: layer -> the packages of ours it may import (itself always; ``errors`` everywhere).
ALLOWED: dict[str, frozenset[str]] = {
    "api": frozenset(),
    "media": frozenset({"api"}),
    "core": frozenset({"api", "media"}),
    "simulator": frozenset({"api", "media"}),
    "runtime": frozenset({"api", "media", "core", "simulator"}),
    "cli": frozenset({"api", "media", "core", "runtime"}),
    "ui": frozenset({"api", "media", "core", "runtime"}),
}
FOUNDATION = frozenset({"errors", "__init__"})


def _our_layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "seedance_desktop":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    offenders = []
    for path in (PACKAGE / layer).rglob("*.py"):
        for name in _imported_modules(path):
            target = _our_layer(name)
            if target is None or target == layer or target in FOUNDATION:
                continue
            if target not in ALLOWED[layer]:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_every_package_module_belongs_to_a_layer() -> None:
    """A new top-level module must be placed in the layer table above, not slip past it."""
    top = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert top - set(ALLOWED) - FOUNDATION - {"__main__"} == set()
