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

HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
OUT=$(cd "$HOME_DIR" && QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
  SEEDANCE_DEMO_TIME_SCALE=60 timeout 300 env -u MODELLIX_API_KEY -u SEEDANCE_HOME \
  "$OLDPWD/$BUNDLE/seedance-desktop" --config-dir "$HOME_DIR/home" --self-test 2>"$HOME_DIR/stderr") || {
  echo "frozen app failed:"; echo "$OUT"; tail -30 "$HOME_DIR/stderr"; exit 1; }
LINE=$(echo "$OUT" | grep '^SELF-TEST ')
echo "$LINE"
echo "$LINE" | grep -q '"ok": true'
echo "$LINE" | grep -q '_internal/seedance_desktop/data/sample_clip.mp4'
echo "bundle: one demo job ran in the frozen app; size $(du -sm "$BUNDLE" | cut -f1) MiB"
