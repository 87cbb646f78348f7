#!/usr/bin/env bash
# Installs everything chanrules needs to build, test and benchmark, from Debian 12 packages.
# Idempotent: when every package is already installed it does nothing (no network).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-graph-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # chanrules bench reads Google Benchmark JSON baselines.
  nlohmann-json3-dev
  # The scaling plot of docs/performance.md (bench/plot_scaling.py, with /usr/bin/python3).
  python3-matplotlib
  graphviz fonts-wqy-microhei python3
  # Python bindings (bindings/python/): pybind11, and pandas, NumPy and Dask for Debian's
  # /usr/bin/python3.
  pybind11-dev python3-dev python3-numpy python3-pandas python3-distributed python3-pytest
  # libFuzzer targets (scripts/fuzz.sh): clang, and compiler-rt's fuzzer and sanitizer
  # runtimes, which Debian 12 ships apart from clang-14.
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
