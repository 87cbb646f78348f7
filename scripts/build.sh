#!/usr/bin/env bash
# Configures and builds chanrules (Release) into build/. Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C build -j"$jobs"
# The Python package into /usr/bin/python3's site-packages (/usr/local/lib/python3.X/
# dist-packages), so that `python3 -c "import chanrules"` works; copies, so re-running is
# harmless. Skipped when the build has no Python module (-DCHANRULES_BUILD_PYTHON=OFF).
if grep -q '^CHANRULES_BUILD_PYTHON:BOOL=ON' build/CMakeCache.txt; then
  cmake --install build --component python >/dev/null || {
    echo "build: cannot install the Python package; run as root (or with sudo):" \
      "cmake --install build --component python" >&2
    exit 1
  }
fi
