"""Regenerate ``seedance_desktop/data/sample_clip.mp4``: the demo-mode reference video (package
data, so installed apps and the frozen bundle have it too).

Run: ``python resources/make_sample_clip.py``. It must stay under 1 MB and pass every
reference-video limit (``tests/media/test_sample_clip.py`` checks both).
"""

from __future__ import annotations

import sys
from pathlib import Path

from seedance_desktop.media.probe import check_reference_video, probe
from seedance_desktop.media.synth import make_clip

SAMPLE = Path(__file__).resolve().parents[1] / "seedance_desktop" / "data" / "sample_clip.mp4"


def main() -> int:
    make_clip(SAMPLE, duration=5.0, width=854, height=480, fps=24, audio=True, seed=3, crf=30)
    info = probe(SAMPLE)
    problems = check_reference_video(info)
    print(f"{SAMPLE.name}: {info.size_bytes} bytes, {info.duration} s, {info.width}x{info.height} @ {info.fps} fps")
    for problem in problems:
        print("problem:", problem, file=sys.stderr)
    if info.size_bytes >= 1_000_000:
        print("problem: sample clip is not under 1 MB", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
