"""The media benchmark's quick mode runs in the normal suite, so it cannot rot unnoticed.

Only that it runs and reports each measure is asserted, never a timing or a ratio (the full
run's figures, with the machine's load, are in the README)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "benchmarks" / "media.py"


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_media_benchmark_smoke_mode_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True, text=True, timeout=380)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"load average [\d.]+ [\d.]+ [\d.]+", out)
    probes = re.findall(r"^  (.+?)\s+[\d.]+ ms  \(target <= 100 ms\): (PASS|MISS)$", out, re.MULTILINE)
    assert {"1080p clip", "4K 60 fps", "VP9 WebM", "portrait, rotated", "21:9", "30 s", "truncated"} <= {
        name.strip() for name, _ in probes}
    assert re.search(r"ours \(PyAV, conform_video\)\s+[\d.]+ s  = [\d.]+x the clip's [\d.]+ s \(target <= 1x\): (PASS|MISS)", out)
    # The comparison with the ffmpeg command line (imageio-ffmpeg is in the test extra).
    assert re.search(r"ours / ffmpeg = [\d.]+ \(target <= 1\.2\): (PASS|MISS)", out), out
    assert re.search(r"the whole preparing step .*: [\d.]+ s", out)
    assert len(re.findall(r"keyframe every .+?\s+[\d.]+ s  \(target <= 1 s\): (PASS|MISS)", out)) == 2
    # The GUI timer, idle and while the engine prepares a clip: both phases reported, and the
    # preparation really ran (a conformed copy, left PREPARING for the next step).
    for label in (r"idle \(engine running, nothing queued\), \d+ ticks", r"while PREPARING \([\d.]+ s, \d+ ticks\)"):
        assert re.search(label + r": p50 [\d.]+ ms, p99 [\d.]+ ms \(target <= 8\): (PASS|MISS), "
                         r"max [\d.]+ ms \(target <= 25\): (PASS|MISS)", out), out[-2000:]
    assert re.search(r"preparing left for (uploading|submitting|queued), conformed copy made: True", out), out[-2000:]
