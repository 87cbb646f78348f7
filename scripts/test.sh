#!/usr/bin/env bash
# Sets up, builds and runs every test:
#   1. Release build: the GoogleTest suites, the CLI end-to-end tests and the shipped rule
#      set's own tests (ctest), and a benchmark smoke run so bench code cannot rot;
#   2. the same suites built with AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. a short run of each fuzzer, and the concurrency tests under ThreadSanitizer.
# Ends with the rule set's self tests through the CLI ("N passed, N failed").
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (Release)"
./scripts/build.sh
echo "== ctest (Release)"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== benchmark smoke"
./build/bench/bench_classify --benchmark_min_time=0.01 --benchmark_filter=BM_Classify >/dev/null
# chanrules bench end to end (table, JSON, the gate against that JSON: a wide threshold, as
# this checks the plumbing, not the machine) and every per-stage benchmark once, briefly.
./build/src/cli/chanrules bench rules/channel-2009 --generate 20000 --repetitions 2 \
  --min-time 0.02 --json build/bench-smoke.json >/dev/null
./build/src/cli/chanrules bench rules/channel-2009 --generate 20000 --repetitions 2 \
  --min-time 0.02 --baseline build/bench-smoke.json --threshold 90 >/dev/null
./build/bench/bench_stages --records=2048 --benchmark_min_time=0.01 \
  --benchmark_filter='^BM_([A-Za-z]+/[a-z0-9]+|Classify/[a-z0-9]+/2048)$' >/dev/null

# --- Python bindings (bindings/python/, docs/bindings.md) -------------------------------
echo "== Python bindings: pytest with /usr/bin/python3, and a LocalCluster for Dask"
(cd / && /usr/bin/python3 -c "import chanrules")  # the installed package imports
PYTHONPATH=build/python CHANRULES_CLI=build/src/cli/chanrules \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider bindings/python/tests

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHANRULES_SANITIZE=ON \
  -DCHANRULES_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C build-asan -j"$jobs"
echo "== ctest (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

# --- Fuzzing and ThreadSanitizer (docs/reliability.md) ---------------------------------
# Each libFuzzer target for a short budget (clang, fuzzer+ASan+UBSan; the long local runs
# are documented there), then the concurrency tests under ThreadSanitizer. Together they
# add about 6-8 minutes on 2 cores, most of it the two extra builds.
echo "== fuzz (libFuzzer, ${CHANRULES_FUZZ_SECONDS:-20} s per target)"
FUZZ_JOBS="$jobs" ./scripts/fuzz.sh "${CHANRULES_FUZZ_SECONDS:-20}"
echo "== ThreadSanitizer (tests/concurrency_test.cpp)"
TSAN_JOBS="$jobs" ./scripts/tsan.sh

echo "== rule-set self tests"
./build/src/cli/chanrules test rules/channel-2009
