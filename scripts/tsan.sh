#!/usr/bin/env bash
# Builds the concurrency tests (tests/concurrency_test.cpp) and the library with
# ThreadSanitizer and runs them: one rule set classified from many threads, rule-set reload
# while classifying (docs/reliability.md). A data race fails the run.
#
#   scripts/tsan.sh            # build folder build-tsan (override with TSAN_BUILD_DIR)
#
# TSAN_JOBS sets the parallel compile jobs (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${TSAN_BUILD_DIR:-build-tsan}"
jobs="${TSAN_JOBS:-$(nproc 2>/dev/null || echo 2)}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHANRULES_SANITIZE_THREAD=ON \
  -DCHANRULES_BUILD_BENCHMARKS=OFF -DCHANRULES_BUILD_CLI=OFF >/dev/null
ninja -C "$build" -j"$jobs" tests/chanrules_concurrency_tests >/dev/null
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  "$build/tests/chanrules_concurrency_tests" --gtest_brief=1
