"""The polling benchmark's quick mode runs in the normal suite, so it cannot rot unnoticed.

Only that it runs and reports is asserted: at high compression the lag figures are coarse, and
the benchmark itself never fails on a missed target (the full run's figures are in the README).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "benchmarks" / "polling.py"


@pytest.mark.timeout(60)
def test_polling_benchmark_smoke_mode_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True, text=True, timeout=55)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "engine policy" in out and "fixed 2 s poller" in out
    assert re.search(r"engine/fixed = \d\.\d{3} \(target <= 0\.333\): (PASS|MISS)", out)
    assert re.search(r"median detection lag: \d+\.\d\d s \(target <= 2 s\): (PASS|MISS)", out)
    engine_polls = float(re.search(r"engine policy\s+([\d.]+)", out).group(1))
    fixed_polls = float(re.search(r"fixed 2 s poller\s+([\d.]+)", out).group(1))
    assert 0 < engine_polls < fixed_polls  # the policy polls less than the fixed poller
