#!/usr/bin/env bash
# Build the one-folder app with PyInstaller: dist/seedance-desktop/ (see packaging/README.md).
#
#   packaging/build_bundle.sh                   # makes .venv-build with the app and PyInstaller
#   packaging/build_bundle.sh --python PY       # builds from an existing environment (CI: the
#                                               # clean venv the wheel was installed into)
#
# Prints the bundle's size at the end. Linux/macOS shell; on Windows run the same two steps
# (pip install, pyinstaller) by hand or use .github/workflows/build.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=""
if [ "${1:-}" = "--python" ]; then
  PY="$2"
fi
if [ -z "$PY" ]; then
  python3 -m venv .venv-build
  PY=.venv-build/bin/python
  "$PY" -m pip install -q '.[packaging]'
else
  # The app is already installed in that environment; add only the build tool.
  "$PY" -m pip install -q 'pyinstaller>=6.10'
fi

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath build/pyinstaller --distpath dist packaging/seedance-desktop.spec

BUNDLE=dist/seedance-desktop
# libpython from some Python builds carries ~15 MiB of debug info; the other libraries come
# stripped or must not be touched (auditwheel-patched numpy.libs/, av.libs/ break when stripped).
if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null; then
  for lib in "$BUNDLE"/_internal/libpython3*.so*; do
    if [ -f "$lib" ]; then strip --strip-debug "$lib"; fi
  done
fi
# The licence and the third-party notices at the top of the folder, where a distributor looks
# (PyInstaller puts data files into _internal/; the app reads its own copies there).
cp seedance_desktop/data/LICENSE seedance_desktop/data/THIRD_PARTY_NOTICES.md "$BUNDLE"/
echo "bundle: $BUNDLE, $(du -sm "$BUNDLE" | cut -f1) MiB ($(find "$BUNDLE" -type f | wc -l) files)"
