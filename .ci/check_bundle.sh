#!/usr/bin/env bash
# Build the frozen one-folder bundle once (from the clean venv .ci/check_wheel.sh installed the
# wheel into) and run it headless through one whole demo job: the frozen window's --self-test
# submits the sample, downloads the result and plays a frame into the player's QVideoSink; the
# frozen command line runs --help. Prints the bundle's size.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=build/ci-wheel-venv/bin/python
[ -x "$PY" ] || { echo "run .ci/check_wheel.sh first (it makes $PY)"; exit 1; }
start=$(date +%s)
packaging/build_bundle.sh --python "$PY"
echo "bundle built in $(( $(date +%s) - start )) s"

BUNDLE=dist/seedance-desktop
test -f "$BUNDLE/LICENSE"
test -f "$BUNDLE/THIRD_PARTY_NOTICES.md"
"$BUNDLE/seedance-desktop-cli" --help >/dev/null

LINE=$(bash .ci/self_test.sh "$BUNDLE/seedance-desktop" "frozen app")
echo "$LINE"
echo "$LINE" | grep -q '"ok": true'
echo "$LINE" | grep -q '_internal/seedance_desktop/data/sample_clip.mp4'
echo "bundle: one demo job ran in the frozen app; size $(du -sm "$BUNDLE" | cut -f1) MiB"
