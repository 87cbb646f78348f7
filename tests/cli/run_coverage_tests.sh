#!/usr/bin/env bash
# End-to-end tests of coverage through the real binary: `chanrules test --coverage`,
# `chanrules classify --coverage`, `chanrules coverage merge|show` and `chanrules graph
# --coverage`: exit codes, messages, and the JSON, tables and DOT byte-compared with the
# expected files tests/data/cli/coverage-*.
# usage: run_coverage_tests.sh CHANRULES_BINARY REPO_ROOT
#
# Commands run from REPO_ROOT with relative paths, so that the paths printed in messages
# are the same on every machine; the work directory's name is replaced by WORK and the
# timing line of classify's summary by "time T s" before comparing.
#
# To regenerate the expected files after an intended change, run with UPDATE=1 and review
# the diff.
set -u
bin="$1"
root="$2"
cd "$root" || exit 1
small=tests/data/cli/coverage-rules.yaml
input=tests/data/cli/coverage-input.csv
std=rules/channel-2009
sample=rules/channel-2009/sample/distributors.csv
expected=tests/data/cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -30
}

# run NAME CODE command...: stdout and stderr to $work/out and $work/err (normalised), and
# checks the exit code.
run() {
  local name="$1" code="$2"
  shift 2
  "$@" >"$work/out.raw" 2>"$work/err.raw"
  local got=$?
  normalise <"$work/out.raw" >"$work/out"
  normalise <"$work/err.raw" >"$work/err"
  if [ "$got" -eq "$code" ]; then ok; else fail "$name: exit $got, expected $code" "$(cat "$work/err")"; fi
}
normalise() { sed -e "s|$work|WORK|g" -e 's/^time [0-9.]* s,.*/time T s/'; }

same() {  # NAME ACTUAL EXPECTED
  if [ "${UPDATE:-}" = 1 ]; then cp "$2" "$3"; fi
  if cmp -s "$2" "$3"; then ok; else fail "$1: $2 differs from $3" "$(diff "$3" "$2" | head -30)"; fi
}
same_text() {  # NAME ACTUAL TEXT
  if [ "$(cat "$2")" == "$3" ]; then ok; else fail "$1: unexpected $(basename "$2")" "$(diff <(echo "$3") "$2")"; fi
}
contains() {  # NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok; else fail "$1: '$3' not in $(basename "$2")" "$(head -20 "$2")"; fi
}
empty() {  # NAME FILE
  if [ ! -s "$2" ]; then ok; else fail "$1: $(basename "$2") is not empty" "$(head -20 "$2")"; fi
}
absent() {  # NAME PATH
  if [ ! -e "$2" ]; then ok; else fail "$1: $2 exists"; fi
}
is_json() {  # NAME FILE
  if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" 2>/dev/null; then ok; else fail "$1: $2 is not JSON"; fi
}
# The coverage table printed after classify's summary.
table_part() { sed -n '/^coverage of /,$p' "$1"; }

# === test --coverage ==========================================================================

run "test --coverage FILE" 0 "$bin" test $small --coverage "$work/tests.json"
same "test --coverage stdout" "$work/out" "$expected/coverage-test.stdout"
same "test --coverage json" "$work/tests.json" "$expected/coverage-test.json"
is_json "test --coverage json" "$work/tests.json"

# Without a file: the same table; the option before RULES takes no file either.
run "test --coverage" 0 "$bin" test $small --coverage
same "test --coverage (no file)" "$work/out" "$expected/coverage-test.stdout"
run "test --coverage RULES" 0 "$bin" test --coverage $small
same "test --coverage RULES" "$work/out" "$expected/coverage-test.stdout"
run "test --coverage=FILE" 0 "$bin" test $small --coverage="$work/tests2.json"
same "test --coverage=FILE json" "$work/tests2.json" "$expected/coverage-test.json"
run "test --coverage= (empty)" 2 "$bin" test $small --coverage=
contains "test --coverage= message" "$work/err" "--coverage= needs a file name"

# The 2009 standard's own tests reach every rule.
run "test 2009 --coverage" 0 "$bin" test $std --coverage "$work/std-tests.json"
contains "test 2009: every rule won" "$work/out" "every rule won at least one row"
contains "test 2009: records" "$work/out" "coverage of channel-2009 2009.1: "

# === classify --coverage ======================================================================

# Duplicate ids and bad rows are not covered: 9 of the 20 rows are written.
run "classify --coverage" 0 "$bin" classify --rules $small $input -o "$work/out.csv" \
  --coverage "$work/classify.json"
same "classify --coverage json" "$work/classify.json" "$expected/coverage-classify.json"
is_json "classify --coverage json" "$work/classify.json"
table_part "$work/out" >"$work/table"
same "classify --coverage table" "$work/table" "$expected/coverage-classify.table"
contains "classify summary first" "$work/out" "rows out      9"

# The same bytes whatever the threads, piece sizes and memory for ids (duplicates then found
# at the end, after the ids spilled to disk).
for opts in "--jobs 1" "--jobs 2 --chunk-bytes 40" "--jobs 3 --chunk-bytes 16 --unique-memory 0" \
  "--batch-rows 1" "--format jsonl --jobs 2 --chunk-bytes 32"; do
  # shellcheck disable=SC2086
  run "classify --coverage $opts" 0 "$bin" classify --rules $small $input -o "$work/o.csv" \
    --coverage "$work/c.json" --quiet $opts
  same "classify --coverage $opts json" "$work/c.json" "$expected/coverage-classify.json"
  empty "classify --coverage $opts --quiet stdout" "$work/out"
done

# Output on standard output: the summary and the table go to standard error.
run "classify -o - --coverage" 0 "$bin" classify --rules $small $input -o - \
  --coverage "$work/c2.json"
same "classify -o - json" "$work/c2.json" "$expected/coverage-classify.json"
table_part "$work/err" >"$work/table2"
same "classify -o - table on stderr" "$work/table2" "$expected/coverage-classify.table"

# The shipped sample through the 2009 standard.
run "classify sample --coverage" 0 "$bin" classify --rules $std $sample -o "$work/sample.csv" \
  --coverage "$work/sample.json" --quiet
same "classify sample json" "$work/sample.json" "$expected/coverage-2009-sample.json"

# A failed run writes no coverage (and leaves an old file as it was).
echo old >"$work/kept.json"
run "classify failed run" 1 "$bin" classify --rules $small $input -o "$work/f.csv" \
  --coverage "$work/kept.json" --max-rejects 2
same_text "failed run keeps the old coverage" "$work/kept.json" "old"
absent "failed run: no output" "$work/f.csv"
run "classify failed run, no file" 1 "$bin" classify --rules $small $input -o "$work/f.csv" \
  --coverage "$work/none.json" --max-rejects 2
absent "failed run: no coverage file" "$work/none.json"

run "classify --coverage -" 2 "$bin" classify --rules $small $input -o "$work/o.csv" --coverage -
contains "classify --coverage - message" "$work/err" "--coverage needs a file name"
run "classify --coverage = output" 2 "$bin" classify --rules $small $input -o "$work/o.csv" \
  --coverage "$work/o.csv"
contains "classify --coverage = output message" "$work/err" "--coverage names the output"
run "classify --coverage unwritable" 1 "$bin" classify --rules $small $input -o "$work/o.csv" \
  --coverage "$work/no/such/dir/c.json" --quiet
contains "classify --coverage unwritable message" "$work/err" \
  "chanrules classify: cannot write the coverage:"

# === coverage merge / show ====================================================================

run "merge" 0 "$bin" coverage merge "$work/classify.json" "$work/tests.json" -o "$work/sum.json"
same "merge json" "$work/sum.json" "$expected/coverage-merge.json"
empty "merge stdout" "$work/out"
run "merge to stdout" 0 "$bin" coverage merge "$work/classify.json" "$work/tests.json"
same "merge to stdout" "$work/out" "$expected/coverage-merge.json"
# Sums in any order and grouping give the same file.
run "merge other order" 0 "$bin" coverage merge "$work/tests.json" "$work/classify.json" \
  -o "$work/sum2.json"
same "merge order" "$work/sum2.json" "$expected/coverage-merge.json"
run "merge one" 0 "$bin" coverage merge "$work/classify.json" -o "$work/one.json"
same "merge of one file" "$work/one.json" "$expected/coverage-classify.json"
run "merge --table" 0 "$bin" coverage merge "$work/classify.json" "$work/tests.json" \
  -o "$work/sum3.json" --table
same "merge --table" "$work/out" "$expected/coverage-merge.table"

run "show" 0 "$bin" coverage show "$work/classify.json"
same "show" "$work/out" "$expected/coverage-classify.table"

# Coverage of another rule set is refused, and nothing is written.
run "merge mismatched" 1 "$bin" coverage merge "$work/classify.json" "$work/sample.json" \
  -o "$work/bad.json"
same "merge mismatched stderr" "$work/err" "$expected/coverage-merge-mismatch.stderr"
absent "merge mismatched: nothing written" "$work/bad.json"
# Same name and version, one rule changed.
sed 's/units >= 5$/units >= 6/' $small >"$work/edited.yaml"
run "classify edited" 0 "$bin" classify --rules "$work/edited.yaml" $input -o "$work/e.csv" \
  --coverage "$work/edited.json" --quiet
run "merge edited" 1 "$bin" coverage merge "$work/classify.json" "$work/edited.json"
contains "merge edited message" "$work/err" "changed between the runs"
empty "merge edited: nothing on stdout" "$work/out"

# Damaged files: where and why.
printf '{"format": "chanrules-coverage",\n  "version": 1,,\n}\n' >"$work/syntax.json"
run "merge syntax error" 1 "$bin" coverage merge "$work/syntax.json"
same_text "syntax error message" "$work/err" \
  "chanrules coverage: WORK/syntax.json: line 2, column 16: expected a member name in double quotes, found ','"
sed 's/"won": 3,/"won": 4,/' "$work/classify.json" >"$work/counts.json"
run "merge counts that do not add up" 1 "$bin" coverage merge "$work/counts.json"
contains "counts message" "$work/err" "the rows won by the rules, by the default and without outcome add up to 10, not the decision's 9 rows"
sed 's/"then": "BIG"/"then": "LARGE"/' "$work/classify.json" >"$work/edited-text.json"
run "merge hand-edited structure" 1 "$bin" coverage merge "$work/edited-text.json"
contains "fingerprint message" "$work/err" "the file was edited or damaged"
run "merge missing file" 1 "$bin" coverage merge "$work/none.json"
contains "missing file message" "$work/err" "WORK/none.json: "
run "show a CSV" 1 "$bin" coverage show $input
contains "show a CSV message" "$work/err" "line 1, column 1: expected a JSON value, found 'i'"

run "coverage no subcommand" 2 "$bin" coverage
run "coverage bad subcommand" 2 "$bin" coverage add x.json
contains "bad subcommand message" "$work/err" "unknown subcommand 'add'"
run "merge no files" 2 "$bin" coverage merge -o "$work/x.json"
run "merge --table to stdout" 2 "$bin" coverage merge "$work/classify.json" --table
run "show two files" 2 "$bin" coverage show "$work/classify.json" "$work/tests.json"
run "coverage --help" 0 "$bin" coverage --help
contains "coverage --help" "$work/out" "usage: chanrules coverage merge"

# === graph --coverage =========================================================================

run "graph --coverage dot" 0 "$bin" graph $small --coverage "$work/classify.json"
same "graph --coverage dot" "$work/out" "$expected/coverage-graph.dot"
contains "dead rule marked" "$work/out" 'style="dashed" color="#b00000"><font color="#b00000">0 never won'
run "graph 2009 --coverage dot" 0 "$bin" graph $std --coverage "$work/sample.json" -o "$work/g.dot"
same "graph 2009 --coverage dot" "$work/g.dot" "$expected/coverage-2009-graph.dot"
if command -v dot >/dev/null; then
  run "graph --coverage svg" 0 "$bin" graph $std --coverage "$work/sample.json" --format svg \
    -o "$work/g.svg"
  contains "graph svg" "$work/g.svg" "<svg"
  contains "graph svg rows" "$work/g.svg" "400 rows"
  run "graph --coverage png" 0 "$bin" graph $small --coverage "$work/classify.json" --format png \
    -o "$work/g.png"
  if [ "$(head -c 4 "$work/g.png" | od -An -tx1 | tr -d ' \n')" = "89504e47" ]; then ok; else fail "graph png is not a PNG"; fi
fi
# The graph of one rule set with the coverage of another is refused.
run "graph mismatched" 1 "$bin" graph $std --coverage "$work/classify.json" -o "$work/m.dot"
contains "graph mismatched message" "$work/err" "chanrules graph: WORK/classify.json: the coverage is of coverage-demo 1 (fingerprint f6fc4e8fdc20f116), the rule set is channel-2009 2009.1"
absent "graph mismatched: nothing written" "$work/m.dot"
run "graph edited rules" 1 "$bin" graph $small --coverage "$work/edited.json"
contains "graph edited message" "$work/err" "changed since the coverage was taken"
run "graph damaged coverage" 1 "$bin" graph $small --coverage "$work/counts.json"
contains "graph damaged message" "$work/err" "add up to 10"
run "graph --coverage empty" 2 "$bin" graph $small --coverage=

echo "coverage CLI tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
