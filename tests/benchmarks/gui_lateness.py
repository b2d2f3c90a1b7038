"""The GUI-timer lateness probe the benchmarks share (UI responsiveness, media preparing).

A 10 ms ``Qt.PreciseTimer`` on the GUI thread records how late each tick is against its
interval; the targets are the UI benchmark's: p99 <= 8 ms and the worst tick <= 25 ms.

Qt is imported inside :class:`GuiTimerProbe` only: a benchmark sets its Qt environment
(offscreen platform, logging rules) before anything imports PySide6. Importable because a
benchmark's own folder is first on ``sys.path`` when it runs as a script.
"""

from __future__ import annotations

from typing import Any

TIMER_MS = 10
P99_TARGET_MS = 8.0   # GUI timer lateness, p99
MAX_TARGET_MS = 25.0  # ... and the worst tick


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


class GuiTimerProbe:
    """Create it on the GUI thread with a QApplication running; :meth:`take` returns the
    lateness (ms) of every tick since the last take. Ticks are measured back to back, so the
    first tick after a take is still measured from the tick before it."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self._lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TIMER_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self._lateness.append(max(0.0, (now - self._last) / 1e6 - TIMER_MS))
        self._last = now

    def start(self) -> None:
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def take(self) -> list[float]:
        taken, self._lateness = self._lateness, []
        return taken


def summary(lateness: list[float]) -> dict[str, Any]:
    """ticks, p50/p99/max in ms (0 ticks: zeros)."""
    return {"ticks": len(lateness), "p50_ms": round(percentile(lateness, 50), 2),
            "p99_ms": round(percentile(lateness, 99), 2), "max_ms": round(max(lateness, default=0.0), 2)}


def verdict_line(label: str, p50: float, p99: float, worst: float) -> str:
    """One phase against both targets, in the words every benchmark prints."""
    return (f"  {label}: p50 {p50} ms, p99 {p99} ms (target <= {P99_TARGET_MS:g}): "
            f"{verdict(p99 <= P99_TARGET_MS)}, max {worst} ms (target <= {MAX_TARGET_MS:g}): "
            f"{verdict(worst <= MAX_TARGET_MS)}")
