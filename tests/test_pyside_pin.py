"""Regression guard for the PySide6 6.12.0 / CPython 3.11 ``none_dealloc`` crash.

6.12.0 on Python < 3.12 drops a reference to ``None`` on every void call; under qasync the
process aborts within seconds. The pin in pyproject excludes it; this test proves the
installed build is clean.
"""

from __future__ import annotations

import sys

import pytest

QtCore = pytest.importorskip("PySide6.QtCore")


def test_void_calls_do_not_leak_none_references() -> None:
    obj = QtCore.QObject()
    before = sys.getrefcount(None)
    for i in range(50_000):
        obj.setObjectName("x" if i % 2 else "y")
    after = sys.getrefcount(None)
    # A leak would move the count by ~50k; allow for unrelated interpreter noise.
    assert abs(after - before) < 1_000


def test_installed_version_is_not_the_broken_one_on_old_python() -> None:
    import PySide6

    if sys.version_info < (3, 12):
        assert PySide6.__version__ != "6.12.0"
