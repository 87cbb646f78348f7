#!/usr/bin/env bash
# How the cost of a rule set grows with its rules, decisions and list size, and with the
# batch size: generated rule sets (scripts/gen_large_ruleset.py) measured with
# `chanrules bench`, batch sizes with bench_stages' BM_Classify. Writes one Google Benchmark
# JSON (and the table `chanrules bench` prints) per measurement into OUT_DIR, then the
# scaling table (OUT_DIR/scaling.md) and plot (IMAGE.png, IMAGE.svg) via
# bench/plot_scaling.py. See docs/performance.md.
#
# usage: bench/scaling.sh [BUILD_DIR] [OUT_DIR] [IMAGE]
#        (defaults: build, bench/results/scaling, docs/images/scaling)
# Environment:
#   RECORDS        records per measurement (default 100000)
#   BENCH_WRAPPER  a command put before every measurement, e.g. one that pauses other work
#                  on a shared machine
#   PYTHON         the Python with matplotlib for the plot (default /usr/bin/python3, Debian's
#                  python3-matplotlib)
#   ONLY           a regular expression: run only the measurements whose name matches
#                  (the table and plot are made from every JSON in OUT_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="${2:-bench/results/scaling}"
image="${3:-docs/images/scaling}"
records="${RECORDS:-100000}"
only="${ONLY:-.}"
wrapper=(${BENCH_WRAPPER:-})
bin="$build/src/cli/chanrules"
stages="$build/bench/bench_stages"
for f in "$bin" "$stages"; do
  [ -x "$f" ] || { echo "scaling.sh: $f is missing: build first (cmake --build $build)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# variant NAME RULES DECISIONS LIST_SIZE ALIASES
variant() {
  local name="$1"
  [[ "$name" =~ $only ]] || return 0
  echo "== $name (rules $2, decisions $3, list $4, aliases $5)" >&2
  python3 scripts/gen_large_ruleset.py --rules "$2" --decisions "$3" --list-size "$4" \
    --aliases "$5" "$tmp/$name"
  "${wrapper[@]}" "$bin" bench "$tmp/$name" --generate "$records" --repetitions 3 \
    --min-time 0.2 --json "$out/$name.json" >"$out/$name.txt"
  rm -rf "${tmp:?}/$name"
}

# Rules (20 decisions, 100,000-entry list, 50 aliases).
for r in 100 250 500 1000 2000; do variant "rules-$r" "$r" 20 100000 50; done
# Decisions, the 1,000 rules spread over them.
for d in 1 5 10 50; do variant "decisions-$d" 1000 "$d" 100000 50; done
# List size (1,000 rules, 20 decisions).
for l in 1000 10000 1000000; do variant "list-$l" 1000 20 "$l" 50; done

# Batch size: the same records classified in batches of 256 ... 262,144 rows.
for set in 2009 large; do
  name="batch-$set"
  [[ "$name" =~ $only ]] || continue
  echo "== $name" >&2
  "${wrapper[@]}" "$stages" --records=262144 --benchmark_filter="BM_Classify/$set/" \
    --benchmark_repetitions=3 --benchmark_min_time=0.2 --benchmark_format=json \
    >"$out/$name.json"
done

"${PYTHON:-/usr/bin/python3}" bench/plot_scaling.py "$out" "$image"
