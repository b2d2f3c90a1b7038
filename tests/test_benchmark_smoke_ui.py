"""The UI responsiveness benchmark runs end to end in --smoke mode (tiny sizes, seconds).

Only that the benchmark works and reports is asserted, never a timing or a ratio: the targets
(GUI timer p99 <= 8 ms and max <= 25 ms; first paint <= 1.5x and fully usable <= 3x a bare
window's first paint) are judged on the full run and the figures go into the README. A busy
machine's load moves every one of those figures; what is checked here holds under any load.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "benchmarks" / "ui_responsiveness.py"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ui_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--json", str(out)], env=env,
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = proc.stdout
    for label in ("polling \\+ 64 MiB download", "polling alone"):  # both phases, both targets
        assert re.search(label + r".*p99 [\d.]+ ms \(target <= 8\): (PASS|MISS), max [\d.]+ ms \(target <= 25\): (PASS|MISS)",
                         text), text[-2000:]
    assert re.search(r"first paint: app \d+ ms, ratio [\d.]+ \(target <= 1\.5\): (PASS|MISS)", text)
    assert re.search(r"fully usable .*: (\d+|None) ms, ratio ([\d.]+|None) \(target <= 3\): (PASS|MISS)", text)
    figures = json.loads(out.read_text())
    lateness, startup = figures["lateness"], figures["startup"]
    assert lateness["jobs"] == 10 and lateness["download_bytes"] == 64 * 1024 * 1024  # the whole download
    assert lateness["ticks"] > 0 and lateness["polling_only_ticks"] > 0 and lateness["polls"] > 0
    assert 0 <= lateness["p50_ms"] <= lateness["p99_ms"] <= lateness["max_ms"]  # order, not size
    assert startup["app_median_ms"] > 0 and startup["bare_median_ms"] > 0
    assert startup["ratio"] == pytest.approx(startup["app_median_ms"] / startup["bare_median_ms"], abs=0.02)
    assert startup["app_ready_median_ms"] >= startup["app_median_ms"]
