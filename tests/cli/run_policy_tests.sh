#!/usr/bin/env bash
# End-to-end tests of the hit policies priority and collect through the real binary, on the
# example rule set tests/data/policies (also shown in docs/rule-language.md): its own tests,
# check --strict, classify (CSV with --reasons, JSON lines), explain, and coverage (JSON
# written, merged and shown), byte-compared with the expected files beside it.
# usage: run_policy_tests.sh CHANRULES_BINARY REPO_ROOT
# UPDATE=1 rewrites the expected files (review the diff).
set -u
bin="$1"
root="$2"
cd "$root" || exit 1
rules=tests/data/policies
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# compare NAME ACTUAL EXPECTED_FILE
compare() {
  if [ "${UPDATE:-0}" = 1 ]; then cp "$2" "$3"; fi
  if diff -u "$3" "$2" >"$work/diff"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1"
    head -40 "$work/diff" | sed 's/^/    /'
  fi
}
# expect NAME CODE command...: the exit code
expect() {
  local name="$1" code="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" = "$code" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit $got, expected $code"
    sed 's/^/    /' "$work/err" | head -20
  fi
}

expect "the rule set's own tests pass" 0 "$bin" test "$rules"
grep -q '^5 passed, 0 failed$' "$work/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: test summary: $(cat "$work/out")"; }
expect "check --strict finds nothing" 0 "$bin" check --strict "$rules"

expect "classify --reasons" 0 "$bin" classify --rules "$rules" "$rules/sample.csv" -o "$work/out.csv" --quiet --reasons
compare "classify --reasons output" "$work/out.csv" "$rules/expected.csv"

# JSON lines carry the same values: every set and count of the CSV.
expect "classify --format jsonl" 0 "$bin" classify --rules "$rules" "$rules/sample.csv" -o "$work/out.jsonl" --quiet --format jsonl --columns brands,account_type
python3 - "$work/out.jsonl" "$rules/expected.csv" >"$work/cmp" 2>&1 <<'PY'
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
assert len(rows) == len(want), (len(rows), len(want))
for r, w in zip(rows, want):
    assert r["brands"] == w["brands"] and r["account_type"] == w["account_type"], (r, w)
print("ok")
PY
if grep -q '^ok$' "$work/cmp"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: jsonl"; cat "$work/cmp"; fi

expect "explain" 0 "$bin" explain "$rules" customer_id=d market_tier=T3 gsm_monthly_units=150 sells_samsung=true sells_coolpad=false
compare "explain output" "$work/out" "$rules/expected-explain.txt"

# Coverage: written by classify, merged with itself (counts double, the file stays valid with
# wins of a collected decision summing past its rows), shown.
expect "classify --coverage" 0 "$bin" classify --rules "$rules" "$rules/sample.csv" -o "$work/o.csv" --quiet --coverage "$work/c1.json"
expect "coverage merge" 0 "$bin" coverage merge "$work/c1.json" "$work/c1.json" -o "$work/c2.json"
expect "coverage show" 0 "$bin" coverage show "$work/c2.json"
compare "coverage show output" "$work/out" "$rules/expected-coverage.txt"
if grep -q '"name": "brands", "output": true, "collects": true' "$work/c2.json"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: the coverage JSON does not mark brands as collecting"
fi
# A collected decision whose by_default + no_outcome exceed its rows is refused on reading.
python3 - "$work/c2.json" "$work/bad.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for d in c["decisions"]:
    if d["name"] == "brands":
        d["by_default"] = d["rows"] + 1
json.dump(c, open(sys.argv[2], "w"))
PY
expect "coverage show refuses impossible counts" 1 "$bin" coverage show "$work/bad.json"
if grep -q 'add up to' "$work/err"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: bad coverage message: $(cat "$work/err")"; fi

# The analysis under these policies: under priority a rule outranked on every record it
# matches is unreachable; under collect only a rule that can never hold is.
"$bin" check "$rules/analysis" >"$work/check.txt" 2>&1
code=$?
if [ "$code" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: check exit $code"; fi
compare "check of the analysis example" "$work/check.txt" "$rules/expected-analysis.txt"
expect "check --strict refuses the warnings" 1 "$bin" check --strict "$rules/analysis"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
