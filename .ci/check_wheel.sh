#!/usr/bin/env bash
# Build a wheel, install it (not editable) into a clean venv, and start the installed app
# offscreen in demo mode (no key) through one whole job (--self-test): the sample clip must come from the
# installed package, not from this checkout. Leaves the venv in build/ci-wheel-venv for the
# bundle step. pip's cache is shared with the main venv, so nothing is downloaded twice.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=build/ci-wheel-venv
rm -rf "$VENV" build/ci-wheel dist/*.whl
python3 -m venv "$VENV"
"$VENV"/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
"$VENV"/bin/pip wheel -q --no-deps -w build/ci-wheel .
WHEEL=$(ls build/ci-wheel/seedance_desktop-*.whl)
echo "wheel: $WHEEL ($(du -k "$WHEEL" | cut -f1) KiB)"
# The wheel carries the package data (sample clip, icons, licence, notices):
"$VENV"/bin/python - "$WHEEL" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["seedance_desktop/data/sample_clip.mp4", "seedance_desktop/data/THIRD_PARTY_NOTICES.md",
        "seedance_desktop/data/LICENSE", "seedance_desktop/data/seedance-desktop.svg",
        "seedance_desktop/data/seedance-desktop-256.png"]
missing = [n for n in need if n not in names]
sys.exit(f"wheel lacks {missing}" if missing else 0)
PY
"$VENV"/bin/pip install -q "$WHEEL"

LINE=$(bash .ci/self_test.sh "$VENV/bin/seedance-desktop" "installed app")
echo "$LINE"
# Where the installed package lives, asked from another folder (not from the checkout):
SITE=$(cd / && "$OLDPWD/$VENV"/bin/python -c "import seedance_desktop, pathlib; print(pathlib.Path(seedance_desktop.__file__).parent)")
echo "$LINE" | "$VENV"/bin/python -c "
import json, sys
line = sys.stdin.read().split(' ', 1)[1]
result = json.loads(line)
assert result['ok'], result
assert result['sample_in_form'] == sys.argv[1] + '/data/sample_clip.mp4', (result['sample_in_form'], sys.argv[1])
print('wheel: the installed app ran one demo job with its bundled sample clip')
" "$SITE"
