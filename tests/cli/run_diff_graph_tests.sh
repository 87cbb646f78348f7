#!/usr/bin/env bash
# End-to-end tests of `chanrules diff` and `chanrules graph` through the real binary: exit
# codes, standard output and error, and output files byte-compared with the expected files
# in tests/data/cli/ (diff-*, graph-*).
# usage: run_diff_graph_tests.sh CHANRULES_BINARY REPO_ROOT
#
# Commands run from REPO_ROOT with relative paths, so that the paths printed in messages
# are the same on every machine. The work directory's name and the timing line are the only
# parts of an output replaced before comparing (by WORK and "time T s").
set -u
bin="$1"
root="$2"
cd "$root" || exit 1
old=rules/channel-2009
new=tests/data/diff/channel-2010
sample=rules/channel-2009/sample/distributors.csv
small=tests/data/cli/diff-input.csv
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

# run NAME CODE command...: runs it, stdout and stderr to $work/out and $work/err (both
# normalised), and checks the exit code.
run() {
  local name="$1" code="$2"
  shift 2
  "$@" >"$work/out.raw" 2>"$work/err.raw"
  local got=$?
  normalise <"$work/out.raw" >"$work/out"
  normalise <"$work/err.raw" >"$work/err"
  if [ "$got" -eq "$code" ]; then ok; else fail "$name: exit $got, expected $code" "$(cat "$work/err")"; fi
}
normalise() { sed -e "s|$work|WORK|g" -e 's/^time [0-9.]* s,/time T s,/'; }

same() {  # NAME ACTUAL EXPECTED
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
only_files() {  # NAME DIR EXPECTED-LISTING: no temporary file left behind
  local got
  got=$(ls -A "$2" | tr '\n' ' ')
  if [ "$got" == "$3" ]; then ok; else fail "$1: $2 holds '$got', expected '$3'"; fi
}

# === diff =====================================================================================

# --- the 2009 standard against the 2010 draft, on the shipped sample --------------------------
run "diff sample" 0 "$bin" diff --old $old --new $new $sample --changes "$work/changes.csv"
same "diff sample stdout" "$work/out" "$expected/diff-2010.stdout"
same "diff sample stderr" "$work/err" "$expected/diff-2010.stderr"
same "diff sample changes" "$work/changes.csv" "$expected/diff-2010.changes.csv"

run "diff sample json" 0 "$bin" diff --old $old --new $new $sample --json --quiet
same "diff sample json stdout" "$work/out" "$expected/diff-2010.json"
empty "diff sample json stderr" "$work/err"
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" 2>/dev/null; then ok; else fail "diff json is not JSON"; fi

# Without --changes: the same summary, no "written" line, and no file.
run "diff no changes file" 0 "$bin" diff --old $old --new $new $sample --quiet
empty "diff --quiet prints nothing" "$work/out"
run "diff summary only" 0 "$bin" diff --old $old --new $new $sample
grep -v -e '^written ' "$expected/diff-2010.stdout" | sed 's| (changes: WORK/changes.csv)||' >"$work/expected-summary"
same "diff summary without a changes file" "$work/out" "$work/expected-summary"

# The batch size changes nothing.
run "diff batch 7" 0 "$bin" diff --old $old --new $new $sample --changes "$work/changes7.csv" --batch-rows 7 --quiet
same "diff batch 7 changes" "$work/changes7.csv" "$expected/diff-2010.changes.csv"

# --- a small input: BOM, CRLF, a quoted name with a comma, quotes and a line break, records
# only the new rule set accepts, and records both reject ----------------------------------------
run "diff small" 0 "$bin" diff --old $old --new $new $small --changes "$work/small.csv" --quiet
same "diff small changes" "$work/small.csv" "$expected/diff-small.changes.csv"
run "diff small summary" 0 "$bin" diff --old $old --new $new $small --quiet --json
same "diff small json" "$work/out" "$expected/diff-small.json"
run "diff small text" 0 "$bin" diff --old $old --new $new $small --changes "$work/small.csv"
same "diff small stdout" "$work/out" "$expected/diff-small.stdout"

# Swapped: the 2009 set rejects nothing the 2010 set accepts, so C1 is now "rejected by new".
run "diff swapped" 0 "$bin" diff --old $new --new $old $small --changes - --quiet --key customer_id,customer_name --decisions samsung_class
same "diff swapped changes on stdout" "$work/out" "$expected/diff-small-swapped.changes.csv"

# The same input in GB18030 gives the same changes.
iconv -f UTF-8 -t GB18030 <$small >"$work/small-gb.csv"
run "diff gb18030" 0 "$bin" diff --old $old --new $new "$work/small-gb.csv" --changes "$work/small-gb.out" --quiet
same "diff gb18030 changes" "$work/small-gb.out" "$expected/diff-small.changes.csv"
run "diff gb18030 summary" 0 "$bin" diff --old $old --new $new "$work/small-gb.csv"
contains "diff gb18030 reported" "$work/out" "input GB18030"

# Standard input, and --changes - with the summary on standard error.
run "diff stdin" 0 "$bin" diff --old $old --new $new - --changes - <$small
same "diff stdin changes" "$work/out" "$expected/diff-small.changes.csv"
contains "diff stdin summary on stderr" "$work/err" "rows in                        9"

# --excel-safe re-encodes the input cells.
printf 'customer_id,customer_name,network,gsm_monthly_units,market_tier,local_rank\n=C1,@shop,R,550,T1,1\n' >"$work/formula.csv"
run "diff excel-safe" 0 "$bin" diff --old $old --new $new "$work/formula.csv" --changes - --excel-safe --quiet --decisions samsung_class
same_text "diff excel-safe changes" "$work/out" "line,customer_id,customer_name,network,gsm_monthly_units,market_tier,local_rank,change,samsung_class_old,samsung_class_new,samsung_class_old_rule,samsung_class_new_rule,reason
2,'=C1,'@shop,R,550,T1,1,changed,DKA,DSA,dka,default,"
contains "diff absent columns warned" "$work/err" "chanrules diff: warning: the input has no column 'se_permission': every row is read as missing it"

# --- errors -----------------------------------------------------------------------------------
run "diff without --old" 2 "$bin" diff --new $new $sample
same_text "diff without --old message" "$work/err" "chanrules diff: --old is required
Run 'chanrules diff --help' for usage."
run "diff without --new" 2 "$bin" diff --old $old $sample
contains "diff without --new message" "$work/err" "chanrules diff: --new is required"
run "diff without input" 2 "$bin" diff --old $old --new $new
contains "diff without input message" "$work/err" "chanrules diff: give exactly one INPUT.csv"
run "diff unknown option" 2 "$bin" diff --old $old --new $new $sample --bogus
contains "diff unknown option message" "$work/err" "chanrules diff: unknown option --bogus"
run "diff bad batch" 2 "$bin" diff --old $old --new $new $sample --batch-rows 0
contains "diff bad batch message" "$work/err" "--batch-rows takes a whole number from 1 to 16777216"
run "diff bad encoding" 2 "$bin" diff --old $old --new $new $sample --encoding latin1
run "diff json and changes on stdout" 2 "$bin" diff --old $old --new $new $sample --json --changes -
contains "diff json and stdout message" "$work/err" "--json and --changes - cannot both use standard output"

echo "keep me" >"$work/keep.csv"
run "diff unreadable rules" 1 "$bin" diff --old tests/data/diff/no-such-rules --new $new $sample --changes "$work/keep.csv" --quiet
same_text "diff unreadable rules message" "$work/err" "tests/data/diff/no-such-rules: error: cannot read the rule set: No such file or directory [E-file]
  hint: name a rule-set folder holding ruleset.yaml, or a YAML file
chanrules: the rule set tests/data/diff/no-such-rules has 1 error"
run "diff rule set with errors" 1 "$bin" diff --old $old --new tests/data/diff/broken $sample --changes "$work/keep.csv" --quiet
same "diff rule set with errors message" "$work/err" "$expected/diff-broken.stderr"
empty "diff rule set with errors stdout" "$work/out"

printf 'customer_id,customer_name\nC1,Shop\n' >"$work/two.csv"
run "diff missing required column" 1 "$bin" diff --old $old --new $new "$work/two.csv" --changes "$work/keep.csv" --quiet
same_text "diff missing required column message" "$work/err" "chanrules diff: the header has no column 'network', which both rule sets require
no changes file written (WORK/keep.csv left as it was)"
run "diff missing input" 1 "$bin" diff --old $old --new $new "$work/nope.csv" --changes "$work/keep.csv" --quiet
same_text "diff missing input message" "$work/err" "chanrules diff: open WORK/nope.csv: No such file or directory
no changes file written (WORK/keep.csv left as it was)"
: >"$work/empty.csv"
run "diff empty input" 1 "$bin" diff --old $old --new $new "$work/empty.csv" --changes "$work/keep.csv" --quiet
contains "diff empty input message" "$work/err" "chanrules diff: the input is empty: it has no header row"
run "diff unknown decision" 1 "$bin" diff --old $old --new $new $sample --decisions lenovo_class --changes "$work/keep.csv" --quiet
contains "diff decision only in new" "$work/err" "chanrules diff: the old rule set has no decision 'lenovo_class'"
run "diff unknown key" 1 "$bin" diff --old $old --new $new $sample --key customer --changes "$work/keep.csv" --quiet
contains "diff unknown key message" "$work/err" "chanrules diff: the header has no key column 'customer'"
mkdir "$work/dir"
run "diff changes is a directory" 1 "$bin" diff --old $old --new $new $sample --changes "$work/dir" --quiet
contains "diff changes is a directory message" "$work/err" "WORK/dir exists and is not a regular file"
cp $small "$work/input-copy.csv"
run "diff changes is the input" 1 "$bin" diff --old $old --new $new "$work/input-copy.csv" --changes "$work/input-copy.csv" --quiet
same "diff input kept" "$work/input-copy.csv" $small
same_text "diff failures kept the old file" "$work/keep.csv" "keep me"

# Header only: every decision unchanged over 0 rows; the changes file holds its header.
head -1 $small >"$work/header.csv"
run "diff header only" 0 "$bin" diff --old $old --new $new "$work/header.csv" --changes "$work/header.out" --decisions channel_family
contains "diff header only summary" "$work/out" "channel_family: no row changes class (0 rows)"
same_text "diff header only changes" "$work/header.out" "line,customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,se_permission,coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,segment,operator,operator_role,change,channel_family_old,channel_family_new,channel_family_old_rule,channel_family_new_rule,reason"

# Interrupted: the input is a FIFO kept open; after SIGINT one more record lets the run
# notice it. Exit 130 and no changes file (nor a temporary one) is left.
mkdir "$work/int"
mkfifo "$work/int/in.csv"
exec 3<>"$work/int/in.csv"
head -3 $sample >&3
"$bin" diff --old $old --new $new "$work/int/in.csv" --encoding utf-8 --changes "$work/int/changes.csv" --quiet >"$work/int.out" 2>"$work/int.err" &
pid=$!
sleep 1
kill -INT $pid
sleep 0.2
sed -n 4,10p $sample >&3
exec 3>&-
wait $pid
code=$?
if [ $code -eq 130 ]; then ok; else fail "diff interrupted: exit $code, expected 130" "$(cat "$work/int.err")"; fi
contains "diff interrupted message" "$work/int.err" "chanrules diff: interrupted"
only_files "diff interrupted leaves no file" "$work/int" "in.csv "

# --- help -------------------------------------------------------------------------------------
run "diff help" 0 "$bin" diff --help
contains "diff help usage" "$work/out" "usage: chanrules diff --old RULES_A --new RULES_B INPUT.csv [--changes CHANGES.csv]"
run "main help lists diff" 0 "$bin" --help
contains "main help diff" "$work/out" "  diff       compare two rule sets on an export"

# === graph ====================================================================================

run "graph dot" 0 "$bin" graph $old
same "graph dot stdout" "$work/out" "$expected/graph-2009.dot"
empty "graph dot stderr" "$work/err"
run "graph dot to file" 0 "$bin" graph $old --format dot -o "$work/g.dot"
same "graph dot file" "$work/g.dot" "$expected/graph-2009.dot"
empty "graph dot to file stdout" "$work/out"

if command -v dot >/dev/null; then
  run "graph svg" 0 "$bin" graph $old --format svg -o "$work/g.svg"
  same "graph svg file" "$work/g.svg" "$expected/graph-2009.svg"
  run "graph svg stdout" 0 "$bin" graph $old --format=svg
  same "graph svg on stdout" "$work/out" "$expected/graph-2009.svg"
  run "graph png" 0 "$bin" graph $old --format png --output "$work/g.png"
  # PNG bytes depend on the fonts installed: compare with what dot makes of the DOT text.
  dot -Tpng <"$expected/graph-2009.dot" >"$work/direct.png"
  same "graph png is dot's rendering" "$work/g.png" "$work/direct.png"
  if [ "$(head -c 8 "$work/g.png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]; then ok; else fail "graph png signature"; fi
else
  fail "graph svg/png: Graphviz's dot is not installed (scripts/setup.sh installs graphviz)"
fi

# dot missing: a PATH without it. The old file stays.
echo "old picture" >"$work/keep.svg"
run "graph dot missing" 1 env PATH=/nonexistent "$bin" graph $old --format svg -o "$work/keep.svg"
same_text "graph dot missing message" "$work/err" "chanrules graph: Graphviz's 'dot' program was not found in PATH; install Graphviz (the graphviz package; scripts/setup.sh installs it) or write DOT instead
no graph written (WORK/keep.svg left as it was)"
same_text "graph dot missing keeps the file" "$work/keep.svg" "old picture"
run "graph dot missing, DOT still works" 0 env PATH=/nonexistent "$bin" graph $old --format dot -o "$work/g2.dot"
same "graph dot without graphviz" "$work/g2.dot" "$expected/graph-2009.dot"

# dot fails: a fake dot that prints an error and exits 2 (after writing a partial picture).
mkdir "$work/bin"
printf '#!/bin/sh\ncat >/dev/null\necho "<svg partial"\necho "Error: <stdin>: syntax error in line 1 near x" >&2\nexit 2\n' >"$work/bin/dot"
chmod +x "$work/bin/dot"
run "graph dot fails" 1 env PATH="$work/bin:$PATH" "$bin" graph $old --format svg -o "$work/keep.svg"
same_text "graph dot fails message" "$work/err" "chanrules graph: 'dot -Tsvg' failed with exit code 2: Error: <stdin>: syntax error in line 1 near x
no graph written (WORK/keep.svg left as it was)"
same_text "graph dot fails keeps the file" "$work/keep.svg" "old picture"
run "graph dot fails on stdout" 1 env PATH="$work/bin:$PATH" "$bin" graph $old --format png
empty "graph dot fails writes nothing to stdout" "$work/out"
leftovers=$(find "$work" -name '*.tmp.*')
if [ -z "$leftovers" ]; then ok; else fail "temporary files left behind" "$leftovers"; fi

run "graph bad format" 2 "$bin" graph $old --format gif
same_text "graph bad format message" "$work/err" "chanrules graph: --format must be dot, svg or png
Run 'chanrules graph --help' for usage."
run "graph rule set with errors" 1 "$bin" graph tests/data/diff/broken --format svg -o "$work/broken.svg"
contains "graph rule set errors" "$work/err" "chanrules: the rule set tests/data/diff/broken has 1 error"
absent "graph rule set with errors writes nothing" "$work/broken.svg"
run "graph unreadable rules" 1 "$bin" graph tests/data/diff/no-such-rules
contains "graph unreadable rules message" "$work/err" "cannot read the rule set: No such file or directory"
run "graph to a directory" 1 "$bin" graph $old -o "$work/dir"
contains "graph to a directory message" "$work/err" "WORK/dir exists and is not a regular file"
run "graph two rule sets" 2 "$bin" graph $old $new
run "graph help" 0 "$bin" graph --help
contains "graph help usage" "$work/out" "usage: chanrules graph RULES [--format dot|svg|png] [-o FILE]"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
