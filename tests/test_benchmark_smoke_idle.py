"""The idle-cost benchmark's --smoke mode runs in the normal suite, so it cannot rot unnoticed.

Only that it runs and reports is asserted, never a timing, a CPU share or an RSS figure: those
move with the machine's load and are judged on the full run (figures in the README).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "benchmarks" / "idle_cost.py"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_idle_benchmark_smoke_mode_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--json", str(out)], env=env,
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = proc.stdout
    assert re.search(r"average CPU: [\d.]+ % of one core \(target <= 2 %\): (PASS|MISS)", text)
    assert re.search(r"RSS growth: [+-][\d.]+ MB.*\(target <= \+5 MB\): (PASS|MISS)", text)
    assert re.search(r"history: 300 jobs in the store add [+-][\d.]+ MB RSS.*\(target <= \+60 MB\): (PASS|MISS)", text)
    figures = json.loads(out.read_text())
    waiting, history = figures["waiting"], figures["history"]
    assert waiting["jobs"] == 5 and waiting["cpu_seconds"] >= 0 and waiting["rss_start_mb"] > 0
    assert history["jobs_in_store"] == 300 and history["empty_rss_mb"] > 0 and history["history_rss_mb"] > 0
