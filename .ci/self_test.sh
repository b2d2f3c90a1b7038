#!/usr/bin/env bash
# Run an installed or frozen app headless through one whole demo job (its hidden --self-test),
# from an empty temporary folder and home (so nothing can come from the checkout, the user's
# settings or a key), and print its one SELF-TEST line of JSON. Exits non-zero, with the app's
# output and the end of its stderr on stderr, when the app fails.
#   usage: .ci/self_test.sh EXECUTABLE LABEL
set -euo pipefail
EXE=$(realpath "$1")
LABEL=$2
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
OUT=$(cd "$HOME_DIR" && QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
  SEEDANCE_DEMO_TIME_SCALE=60 timeout 300 env -u MODELLIX_API_KEY -u SEEDANCE_HOME \
  "$EXE" --config-dir "$HOME_DIR/home" --self-test 2>"$HOME_DIR/stderr") || {
  { echo "$LABEL failed:"; echo "$OUT"; tail -30 "$HOME_DIR/stderr"; } >&2; exit 1; }
echo "$OUT" | grep '^SELF-TEST '
