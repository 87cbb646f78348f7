#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang and runs each for a time budget.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      # default: 20 s each; targets: ruleset expr csv classify
#
# Environment:
#   FUZZ_BUILD_DIR  build folder (default build-fuzz)
#   FUZZ_JOBS       parallel compile jobs (default: all cores)
#   FUZZ_NICE       nice level for the fuzzers (default 0; use 19 on a shared machine)
#
# Each target fuzzes a working corpus in $FUZZ_BUILD_DIR/corpus/TARGET (kept between runs,
# so long runs build on each other), seeded read-only from tests/fuzz/TARGET/, with the
# dictionary tests/fuzz/TARGET.dict. A crash, leak, timeout or broken invariant stops the
# run with a non-zero exit and leaves the input in $FUZZ_BUILD_DIR/artifacts/TARGET/: add it
# to tests/fuzz/TARGET/ once fixed, where the replay test (ctest fuzz_replay_TARGET) keeps
# it. Logs are in $FUZZ_BUILD_DIR/logs/. For a long run: scripts/fuzz.sh 3600 csv.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(ruleset expr csv classify)
build="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
nice_level="${FUZZ_NICE:-0}"

cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  -DCHANRULES_BUILD_FUZZERS=ON -DCHANRULES_BUILD_TESTS=OFF -DCHANRULES_BUILD_BENCHMARKS=OFF \
  -DCHANRULES_BUILD_CLI=OFF >/dev/null
ninja -C "$build" -j"$jobs" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null

# Input sizes: a rule set needs room (the shipped one is 19 KB); the others stay small.
max_len() {
  case "$1" in
    ruleset) echo 32768 ;;
    expr) echo 4096 ;;
    *) echo 8192 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  log="$build/logs/$t.log"
  echo "== fuzz $t (${seconds}s)"
  if nice -n "$nice_level" "$build/tests/fuzz/fuzz_$t" "$corpus" "tests/fuzz/$t" \
    -dict="tests/fuzz/$t.dict" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
    -timeout=30 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 \
    >"$log" 2>&1; then
    # The last status line (execs, coverage, exec/s) and the final stats.
    grep -E '^#[0-9]+' "$log" | tail -1
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | tr '\n' ' '
    echo
  else
    status=1
    echo "fuzz $t FAILED: see $log; the input is in $artifacts/"
    grep -E -A30 'ERROR: |fuzz invariant broken|Test unit written' "$log" | head -60
  fi
done
exit $status
