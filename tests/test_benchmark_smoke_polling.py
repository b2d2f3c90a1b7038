"""The polling benchmark's quick mode runs in the normal suite, so it cannot rot unnoticed.

Only that it runs and reports is asserted, never a timing or a ratio: on a busy machine the
fixed poller may manage a single poll per job, so "the policy polls less" is a benchmark figure,
not a test. The benchmark never fails on a missed target (the full run's figures are in the README).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "benchmarks" / "polling.py"


@pytest.mark.timeout(200)
def test_polling_benchmark_smoke_mode_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "engine policy" in out and "fixed 2 s poller" in out
    assert re.search(r"engine/fixed = \d\.\d{3} \(target <= 0\.333\): (PASS|MISS)", out)
    assert re.search(r"median detection lag: \d+\.\d\d s \(target <= 2 s\): (PASS|MISS)", out)
    engine = re.search(r"engine policy\s+([\d.]+)", out)
    fixed = re.search(r"fixed 2 s poller\s+([\d.]+)", out)
    assert engine and fixed  # both pollers reported a polls/job figure
    assert float(engine.group(1)) > 0 and float(fixed.group(1)) > 0  # each of them polled
