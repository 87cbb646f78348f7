#!/usr/bin/env bash
# End-to-end tests of `chanrules bench` through the real binary: the table, Google
# Benchmark's JSON, the generator (deterministic, every record valid), CSV data, the
# instruction counter's fallback, the regression gate and the command-line errors.
# usage: run_bench_tests.sh CHANRULES_BINARY REPO_ROOT
#
# The regression gate is tested on a rule set slowed down on purpose
# (tests/data/bench/slow-2009: the 2009 set plus 400 rules every record runs through, about
# 7 times slower to classify) against the 2009 set, with a 50 % threshold: wall and CPU time
# on a shared machine move by tens of percent between runs, so the margins are wide on both
# sides (the same rule set must stay within 50 %, the slowed one must drop by more).
set -u
bin="$1"
root="$2"
cd "$root" || exit 1
rules=rules/channel-2009
slow=tests/data/bench/slow-2009
sample=rules/channel-2009/sample/distributors.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
quick=(--repetitions 5 --min-time 0.02)

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -40
}
run() {  # NAME CODE command...: stdout to $work/out, stderr to $work/err; checks the exit code
  local name="$1" code="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -eq "$code" ]; then ok; else
    fail "$name: exit $got, expected $code" "$(cat "$work/out" "$work/err")"
  fi
}
contains() {  # NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok; else fail "$1: '$3' not in $(basename "$2")" "$(cat "$2")"; fi
}
lacks() {  # NAME FILE TEXT
  if ! grep -qF -- "$3" "$2"; then ok; else fail "$1: '$3' in $(basename "$2")" "$(cat "$2")"; fi
}
check_json() {  # NAME FILE: Google Benchmark's JSON, as compare.py reads it
  if python3 - "$2" <<'EOF'; then ok; else fail "$1: $2 is not the expected JSON" "$(head -c 2000 "$2")"; fi
import json, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
assert ctx["rules_name"] == "channel-2009" and ctx["records"] == "3000", ctx
assert "num_cpus" in ctx and "date" in ctx, ctx
runs = {}
for b in d["benchmarks"]:
    for key in ("name", "run_name", "run_type", "iterations", "real_time", "cpu_time", "time_unit"):
        assert key in b, (key, b)
    runs.setdefault((b["run_name"], b["run_type"], b.get("aggregate_name", "")), []).append(b)
for name in ("compile", "fill", "classify"):
    assert len(runs[(name, "iteration", "")]) == 5, name
    assert len(runs[(name, "aggregate", "median")]) == 1, name
for b in runs[("classify", "iteration", "")]:
    # bytes_per_record is left out where the allocator does not report (ASan builds).
    assert b["records_per_s"] > 0 and b.get("bytes_per_record", 1) > 0, b
    assert abs(b["items_per_second"] - b["records_per_s"]) < 1e-6 * b["records_per_s"], b
EOF
}

# --- the table and the JSON ----------------------------------------------------------------
run "table" 0 "$bin" bench $rules --generate 3000 "${quick[@]}" --json "$work/a.json"
for text in "chanrules bench: $rules (channel-2009 2009.1)" \
  "data: 3000 records generated from the rule set's fields (seed 1)" \
  "runs: 5 repetitions" "time/op" "records/s" "ns/record" "memory" "CV" \
  "JSON: $work/a.json"; do
  contains "table" "$work/out" "$text"
done
if grep -qE '^classify .* [0-9]+ B/record ' "$work/out" ||
  grep -qF 'memory: n/a (the allocator in use does not report' "$work/out"; then ok; else
  fail "table: no memory per record" "$(cat "$work/out")"
fi
for name in compile fill classify; do
  if grep -qE "^$name +[0-9.]+ (us|ms|s) " "$work/out"; then ok; else fail "table: no $name row" "$(cat "$work/out")"; fi
done
check_json "json file" "$work/a.json"

# --json -: the JSON alone on standard output, the table on standard error.
run "json stdout" 0 "$bin" bench $rules --generate 3000 "${quick[@]}" --json -
cp "$work/out" "$work/stdout.json"
check_json "json stdout" "$work/stdout.json"
contains "json stdout: table on stderr" "$work/err" "records/s"

# --- the generator -------------------------------------------------------------------------
# Deterministic by seed, and every record is accepted by `chanrules classify`.
run "generate seed 7" 0 "$bin" bench $rules --generate 2000 --seed 7 --repetitions 1 --min-time 0.01 --write-data "$work/g7.csv"
run "generate seed 7 again" 0 "$bin" bench $rules --generate 2000 --seed 7 --repetitions 1 --min-time 0.01 --write-data "$work/g7b.csv"
run "generate seed 8" 0 "$bin" bench $rules --generate 2000 --seed 8 --repetitions 1 --min-time 0.01 --write-data "$work/g8.csv"
if cmp -s "$work/g7.csv" "$work/g7b.csv"; then ok; else fail "generator: seed 7 twice differs"; fi
if ! cmp -s "$work/g7.csv" "$work/g8.csv"; then ok; else fail "generator: seeds 7 and 8 give the same records"; fi
if [ "$(wc -l <"$work/g7.csv")" -eq 2001 ]; then ok; else fail "generator: not 2000 records + header"; fi
run "generated records classify" 0 "$bin" classify --rules $rules "$work/g7.csv" -o "$work/g7.out.csv" --quiet
if python3 - "$work/g7.csv" "$work/g7.out.csv" <<'EOF'; then ok; else fail "generator: coverage" "$(head -5 "$work/g7.out.csv")"; fi
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
out = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
assert len(out) == len(rows) == 2000          # nothing rejected: every record valid
ids = [r["customer_id"] for r in rows]
assert len(set(ids)) == len(ids)              # unique field never repeats
listed = {l.split(",")[0] for l in open("rules/channel-2009/lists/samsung.csv")}
assert any(i in listed for i in ids) and any(i not in listed for i in ids)  # list hits and misses
assert sum(r["local_rank"] == "" for r in rows) > 100    # optional values missing
assert all(r["network"] for r in rows)                   # required values never missing
units = collections.Counter(r["gsm_monthly_units"] for r in rows)
assert units["499"] and units["500"] and units["501"]   # both sides of `>= 500`
assert any(r["se_permission"] == "DRA" for r in rows)     # compared strings
classes = collections.Counter(r["samsung_class"] for r in out)
for label in ("DKA", "DSA", "PENDING", "CT", "国美"):   # criteria, networks, named sets
    assert classes[label] > 0, (label, classes)
assert len(classes) >= 25, classes
EOF

# --- CSV data ------------------------------------------------------------------------------
run "csv data" 0 "$bin" bench $rules $sample --repetitions 1 --min-time 0.01
contains "csv data" "$work/out" "data: 400 records from $sample"
{
  head -3 $sample
  echo 'C999999,坏数据,X,T1,1,1,,,,,,,'
  echo 'C999998,too few cells'
} >"$work/bad.csv"
run "csv data with rejects" 0 "$bin" bench $rules "$work/bad.csv" --repetitions 1 --min-time 0.01
contains "csv data with rejects" "$work/out" "data: 2 records from $work/bad.csv (2 rejected and left out; first: line 4: network: 'X' is not one of"
printf 'customer_id,customer_name,network\n' >"$work/header.csv"
run "csv without records" 1 "$bin" bench $rules "$work/header.csv"
contains "csv without records" "$work/err" "has no record the rule set accepts"
printf 'customer_id,network\nC1,R\n' >"$work/nocol.csv"
run "csv missing column" 1 "$bin" bench $rules "$work/nocol.csv"
contains "csv missing column" "$work/err" "the header lacks the required column(s) customer_name"
printf 'customer_id,customer_name,network\nC1,\xb9\xfa\xc3\xc0,R\n' >"$work/gb.csv"
run "csv gb18030" 1 "$bin" bench $rules "$work/gb.csv"
contains "csv gb18030" "$work/err" "is not UTF-8"
contains "csv gb18030" "$work/err" "iconv -f GB18030 -t UTF-8"
run "csv absent" 1 "$bin" bench $rules "$work/absent.csv"
contains "csv absent" "$work/err" "cannot open $work/absent.csv"

# --- instructions --------------------------------------------------------------------------
# Forced fallback: the same clean message and exit 0 on every machine.
CHANRULES_NO_PERF_EVENTS=1 run "instructions off" 0 "$bin" bench $rules --generate 2000 \
  --repetitions 1 --min-time 0.01 --instructions --json "$work/i.json"
contains "instructions off" "$work/out" "instructions/record: not available: perf events are turned off by CHANRULES_NO_PERF_EVENTS."
contains "instructions off" "$work/out" "bench/instructions.sh"
contains "instructions off: json" "$work/i.json" '"instructions": "unavailable: perf events are turned off'
# The machine's own answer: a count where the kernel exposes the counter, else the reason.
run "instructions" 0 "$bin" bench $rules --generate 2000 --repetitions 1 --min-time 0.01 --instructions
if grep -qE '^instructions/record \(classify, user space\): [1-9][0-9]*\.[0-9]$' "$work/out" ||
  grep -qE '^instructions/record: not available: .+\.$' "$work/out"; then ok; else
  fail "instructions: neither a count nor a reason" "$(cat "$work/out")"
fi

# --- the regression gate -------------------------------------------------------------------
run "baseline run" 0 "$bin" bench $rules --generate 20000 "${quick[@]}" --json "$work/base.json"
run "gate: same rule set" 0 "$bin" bench $rules --generate 20000 "${quick[@]}" --baseline "$work/base.json" --threshold 50
contains "gate: same rule set" "$work/out" "regression gate: classify records/s, median of 5 run(s) against 5 in $work/base.json, threshold 50.0%"
if grep -qE '^(PASS|CANNOT JUDGE): ' "$work/out"; then ok; else fail "gate: same rule set: no verdict" "$(cat "$work/out")"; fi
lacks "gate: same rule set" "$work/out" "FAIL:"
run "gate: slowed rule set" 1 "$bin" bench $slow --generate 20000 "${quick[@]}" --baseline "$work/base.json" --threshold 50
contains "gate: slowed rule set" "$work/out" "FAIL: classify records/s dropped"
contains "gate: slowed rule set" "$work/out" "more than the 50.0% threshold and beyond the noise margin"
# The default threshold is 10 %: the slowed set fails it too.
run "gate: default threshold" 1 "$bin" bench $slow --generate 20000 "${quick[@]}" --baseline "$work/base.json"
contains "gate: default threshold" "$work/out" "threshold 10.0%"

# The verdicts, deterministic: baselines made from a real one with classify's records/s per
# repetition set by hand (and instruction counts added).
craft() {  # OUT VALUES...
  python3 - "$work/base.json" "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
out, values = sys.argv[2], [float(v) for v in sys.argv[3:]]
runs = [b for b in doc["benchmarks"] if b["run_name"] == "classify" and b["run_type"] == "iteration"]
keep = runs[:len(values)]
doc["benchmarks"] = [b for b in doc["benchmarks"] if b["run_name"] != "classify"] + keep
for b, v in zip(keep, values):
    b["records_per_s"] = v
    b["instructions_per_record"] = 100.0
json.dump(doc, open(out, "w"))
EOF
}
craft "$work/fast.json" 1e12 1e12 1e12 1e12 1e12
run "gate: far slower than a steady baseline" 1 "$bin" bench $rules --generate 2000 "${quick[@]}" --baseline "$work/fast.json"
contains "gate: far slower than a steady baseline" "$work/out" "FAIL: classify records/s dropped"
craft "$work/noisy.json" 1e12 1e6 1e11 1e5 1e12
run "gate: noisy baseline" 0 "$bin" bench $rules --generate 2000 "${quick[@]}" --baseline "$work/noisy.json"
contains "gate: noisy baseline" "$work/out" "CANNOT JUDGE: classify records/s dropped"
contains "gate: noisy baseline" "$work/out" "Not failing. Rerun with more repetitions"
craft "$work/slow.json" 1 1 1
run "gate: faster than the baseline" 0 "$bin" bench $rules --generate 2000 "${quick[@]}" --baseline "$work/slow.json"
contains "gate: faster than the baseline" "$work/out" "PASS: classify records/s changed +"
craft "$work/single.json" 1e12
run "gate: a single baseline run" 1 "$bin" bench $rules --generate 2000 "${quick[@]}" --baseline "$work/single.json"
contains "gate: a single baseline run" "$work/out" "(a single run on one side: its noise is unknown"
# Instruction counts are compared only when both runs have them.
CHANRULES_NO_PERF_EVENTS=1 run "gate: instructions on one side" 0 "$bin" bench $rules \
  --generate 2000 "${quick[@]}" --baseline "$work/slow.json" --instructions
contains "gate: instructions on one side" "$work/out" "instructions/record: only the baseline has them; not compared"

# Baselines that cannot be used.
echo '{not json' >"$work/broken.json"
run "baseline not json" 1 "$bin" bench $rules --baseline "$work/broken.json"
contains "baseline not json" "$work/err" "is not JSON"
echo '{"context": {}, "benchmarks": [{"name": "BM_Other", "run_name": "BM_Other", "run_type": "iteration"}]}' >"$work/other.json"
run "baseline without classify" 1 "$bin" bench $rules --baseline "$work/other.json"
contains "baseline without classify" "$work/err" "has no 'classify' benchmark"
run "baseline absent" 1 "$bin" bench $rules --baseline "$work/none.json"
contains "baseline absent" "$work/err" "cannot open the baseline $work/none.json"

# --- errors --------------------------------------------------------------------------------
run "no rules" 2 "$bin" bench
contains "no rules" "$work/err" "give the RULES path"
run "data and generate" 2 "$bin" bench $rules $sample --generate 10
contains "data and generate" "$work/err" "either DATA.csv or --generate N"
run "generate zero" 2 "$bin" bench $rules --generate 0
run "generate text" 2 "$bin" bench $rules --generate many
run "threshold range" 2 "$bin" bench $rules --threshold 150
run "repetitions zero" 2 "$bin" bench $rules --repetitions 0
run "min time" 2 "$bin" bench $rules --min-time -1
run "unknown option" 2 "$bin" bench $rules --fast
contains "unknown option" "$work/err" "unknown option --fast"
run "write-data over input" 2 "$bin" bench $rules $sample --write-data $sample
run "help" 0 "$bin" bench --help
contains "help" "$work/out" "usage: chanrules bench RULES [DATA.csv | --generate N]"
run "bad rules" 1 "$bin" bench tests/data/bench/absent-rule-set
contains "bad rules" "$work/err" "has errors; run 'chanrules check"
run "listed in main help" 0 "$bin" --help
contains "listed in main help" "$work/out" "  bench "

echo "bench tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
