#!/usr/bin/env bash
# Peer benchmark: `chanrules classify` against DuckDB (@duckdb/node-api, installed here with
# npm) doing the same read-validate-classify-write in SQL (classify.sql), both on all cores,
# on the same generated export, in the same run. Reports wall time and peak memory (RSS)
# of both and the ratio, then checks that the two did the same job (compare.py).
#
# usage: bench/duckdb/run.sh [ROWS] [CHANRULES_BINARY] [REPEATS]
#   ROWS              default 1000000 (about 68 MB)
#   CHANRULES_BINARY  default build/src/cli/chanrules
#   REPEATS           default 3; the median of each is reported
# Wall time on a shared machine is noisy: run it more than once and look at the spread.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rows="${1:-1000000}"
bin="${2:-$root/build/src/cli/chanrules}"
repeats="${3:-3}"
rules="$root/rules/channel-2009"
threads="$(nproc)"
[ -x "$bin" ] || { echo "no chanrules binary at $bin (build first, or pass its path)" >&2; exit 2; }
# Node.js and npm are not in scripts/setup.sh: the benchmark is not part of the tests, and
# Debian 12's npm package would fight an already installed Node.js that brings its own npm.
for tool in node npm; do
  command -v "$tool" >/dev/null ||
    { echo "$tool is needed: on Debian 12, apt-get install nodejs npm" >&2; exit 2; }
done

if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
  echo "== npm install @duckdb/node-api (into bench/duckdb/node_modules)"
  (cd "$here" && npm install --no-audit --no-fund --silent)
fi
duckdb_version="$(node -p "require('$here/node_modules/@duckdb/node-api/package.json').version")"

work="$(mktemp -d "${TMPDIR:-/tmp}/chanrules-duckdb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "== generating $rows rows (scripts/gen_sample_export.py), then some bad ones"
python3 "$root/scripts/gen_sample_export.py" --rows "$rows" --out "$work/export.csv"
python3 "$here/add_bad_rows.py" "$work/export.csv"
size_mb="$(awk -v b="$(stat -c %s "$work/export.csv")" 'BEGIN { printf "%.1f", b / 1e6 }')"

# run NAME COMMAND... : appends "wall_seconds peak_kb cpu_seconds" to $work/NAME.times
run() {
  local name="$1"
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/time" >"$work/time2"
  mv "$work/time2" "$work/time"
  cat "$work/time" >>"$work/$name.times"
}
for i in $(seq "$repeats"); do
  echo "== round $i of $repeats"
  run chanrules "$bin" classify --rules "$rules" "$work/export.csv" -o "$work/chanrules.csv" \
    --jobs "$threads" --quiet
  run duckdb node "$here/run.mjs" "$work/export.csv" "$work/duckdb.csv" "$work/duckdb.rejects.csv" \
    "$rules" "$threads"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
c_s="$(cut -d' ' -f1 "$work/chanrules.times" | median)"
d_s="$(cut -d' ' -f1 "$work/duckdb.times" | median)"
c_mb="$(cut -d' ' -f2 "$work/chanrules.times" | median | awk '{ printf "%.0f", $1 / 1024 }')"
d_mb="$(cut -d' ' -f2 "$work/duckdb.times" | median | awk '{ printf "%.0f", $1 / 1024 }')"
c_cpu="$(cut -d' ' -f3 "$work/chanrules.times" | median)"
d_cpu="$(cut -d' ' -f3 "$work/duckdb.times" | median)"
echo
echo "export: $rows rows, $size_mb MB; $threads threads each; median of $repeats rounds"
printf '%-28s %9s %9s %14s   %s\n' "" "wall (s)" "CPU (s)" "peak RSS (MB)" "all rounds, wall (s)"
printf '%-28s %9s %9s %14s   %s\n' "chanrules classify" "$c_s" "$c_cpu" "$c_mb" "$(cut -d' ' -f1 "$work/chanrules.times" | tr '\n' ' ')"
printf '%-28s %9s %9s %14s   %s\n' "DuckDB $duckdb_version (node)" "$d_s" "$d_cpu" "$d_mb" "$(cut -d' ' -f1 "$work/duckdb.times" | tr '\n' ' ')"
awk -v c="$c_s" -v d="$d_s" -v cc="$c_cpu" -v dc="$d_cpu" 'BEGIN {
  printf "chanrules is %.1fx faster in wall time, %.1fx in CPU time (goal: at least 5x)\n", d / c, dc / cc }'
python3 "$here/compare.py" "$work/chanrules.csv" "$work/duckdb.csv" "$work/chanrules.csv.rejects.csv" \
  "$work/duckdb.rejects.csv"
