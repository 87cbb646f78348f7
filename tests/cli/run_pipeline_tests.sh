#!/usr/bin/env bash
# End-to-end tests of `chanrules classify`'s parallel path through the real binary: the same
# bytes for any --jobs / --chunk-bytes / --unique-memory, --format jsonl, interrupted runs,
# and the progress bar (only on a terminal).
# usage: run_pipeline_tests.sh CHANRULES_BINARY REPO_ROOT
set -u
bin="$1"
root="$2"
rules="$root/rules/channel-2009"
sample="$rules/sample/distributors.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -20
}
same_file() {  # NAME ACTUAL EXPECTED
  if cmp -s "$2" "$3"; then ok; else fail "$1: files differ" "$(diff "$3" "$2" | head -20)"; fi
}
classify() { "$bin" classify --rules "$rules" --quiet "$@"; }

# --- the sample: every --jobs and piece size gives the expected bytes -----------------------
for jobs in 1 2 4; do
  for chunk in 997 1048576; do
    classify "$sample" -o "$work/s.csv" --reasons --jobs "$jobs" --chunk-bytes "$chunk"
    same_file "sample, --jobs $jobs --chunk-bytes $chunk" "$work/s.csv" "$root/tests/data/cli/sample.expected.csv"
  done
done

# --- a generated export with bad rows of every kind ------------------------------------------
python3 "$root/scripts/gen_sample_export.py" --rows 20000 --seed 7 --out "$work/gen.csv"
python3 "$root/bench/duckdb/add_bad_rows.py" "$work/gen.csv"
{
  printf 'X1,bad"quote,R,,,,,,,,,,\n'                 # syntax error
  printf 'X2,too,many,R,,,,,,,,,,,\n'                 # field count
  printf '\n\n'                                        # blank lines
  printf 'X3,"two\nlines",Q,,,,,,,,,,\n'              # bad enum after a quoted line break
  sed -n '2,40p' "$work/gen.csv"                       # 39 duplicates of early rows
  printf 'X4,"unterminated\n'
} >>"$work/gen.csv"
classify "$work/gen.csv" -o "$work/ref.csv" --jobs 1
rejected=$(($(wc -l <"$work/ref.csv.rejects.csv") - 1))
if [ "$rejected" -ge 40 ]; then ok; else fail "generated export: only $rejected rejects"; fi
for args in "--jobs 2" "--jobs 4 --chunk-bytes 3001" "--jobs 3 --chunk-bytes 1 --batch-rows 7" \
  "--jobs 2 --unique-memory 0 --chunk-bytes 50000" "--jobs 1 --unique-memory 0"; do
  # shellcheck disable=SC2086
  classify "$work/gen.csv" -o "$work/par.csv" $args
  same_file "generated export, $args: output" "$work/par.csv" "$work/ref.csv"
  same_file "generated export, $args: rejects" "$work/par.csv.rejects.csv" "$work/ref.csv.rejects.csv"
done
cat "$work/gen.csv" | classify - -o - --jobs 4 --chunk-bytes 7000 --unique-memory 0 >"$work/pipe.csv"
same_file "generated export through pipes" "$work/pipe.csv" "$work/ref.csv"

# --- --format jsonl --------------------------------------------------------------------------
classify "$sample" -o "$work/s.jsonl" --format jsonl --reasons --jobs 1
same_file "sample as JSON lines" "$work/s.jsonl" "$root/tests/data/cli/sample.expected.jsonl"
classify "$sample" -o "$work/s4.jsonl" --format jsonl --reasons --jobs 4 --chunk-bytes 500
same_file "sample as JSON lines, --jobs 4" "$work/s4.jsonl" "$root/tests/data/cli/sample.expected.jsonl"
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]' "$work/s.jsonl"; then ok; else fail "JSON lines do not parse"; fi
"$bin" classify --rules "$rules" "$sample" -o "$work/x" --format xml >/dev/null 2>"$work/err"
if [ $? -eq 2 ] && grep -q -- "--format must be csv or jsonl" "$work/err"; then ok; else fail "--format xml" "$(cat "$work/err")"; fi
"$bin" classify --rules "$rules" "$sample" -o "$work/x" --jobs 0 >/dev/null 2>"$work/err"
if [ $? -eq 2 ] && grep -q -- "--jobs takes a whole number from 1 to 256" "$work/err"; then ok; else fail "--jobs 0" "$(cat "$work/err")"; fi

# --- an interrupted run leaves nothing behind ------------------------------------------------
# 400 000 rows classified a row at a time (--batch-rows 1) take seconds on any machine.
awk -F, 'NR == 1 { print; next } { for (r = 0; r < 1000; r++) { $1 = "I" r "_" $1; print; sub(/^I[0-9]+_/, "", $1) } }' OFS=, "$sample" >"$work/big.csv"
for sig in INT TERM; do
  mkdir -p "$work/int_$sig"
  "$bin" classify --rules "$rules" "$work/big.csv" -o "$work/int_$sig/out.csv" --batch-rows 1 --jobs 2 \
    >/dev/null 2>"$work/int_$sig/stderr" &
  pid=$!
  for _ in $(seq 100); do  # wait until it is writing (its temporary file exists)
    ls "$work/int_$sig" | grep -q 'out.csv.tmp' && break
    sleep 0.05
  done
  if ls "$work/int_$sig" | grep -q 'out.csv.tmp'; then ok; else fail "SIG$sig: the run never started writing"; fi
  kill -s "$sig" "$pid"
  wait "$pid"
  code=$?
  if [ "$code" -eq 130 ]; then ok; else fail "SIG$sig: exit $code, expected 130" "$(cat "$work/int_$sig/stderr")"; fi
  left=$(ls -A "$work/int_$sig" | grep -v '^stderr$')
  if [ -z "$left" ]; then ok; else fail "SIG$sig left files behind" "$left"; fi
  if grep -q "chanrules classify: interrupted" "$work/int_$sig/stderr"; then ok; else fail "SIG$sig message" "$(cat "$work/int_$sig/stderr")"; fi
done

# An input that stalls after several pieces (a FIFO fed 3 MB, then nothing): the threads are
# running and the reader is blocked in read(2); SIGINT still ends the run at once.
mkfifo "$work/stall.fifo"
head -c 3000000 "$work/big.csv" >"$work/part.csv"
(cat "$work/part.csv"; sleep 30) >"$work/stall.fifo" &
feeder=$!
mkdir -p "$work/stall"
"$bin" classify --rules "$rules" "$work/stall.fifo" -o "$work/stall/out.csv" --jobs 2 --quiet 2>"$work/stall.err" &
pid=$!
for _ in $(seq 100); do
  ls "$work/stall" | grep -q 'out.csv.tmp' && break
  sleep 0.05
done
sleep 0.5
kill -INT "$pid"
start=$(date +%s%N)
wait "$pid"
code=$?
took=$((($(date +%s%N) - start) / 1000000))
kill "$feeder" 2>/dev/null
if [ "$code" -eq 130 ] && [ "$took" -lt 5000 ]; then ok; else fail "stalled input: exit $code after $took ms" "$(cat "$work/stall.err")"; fi
if [ -z "$(ls -A "$work/stall")" ]; then ok; else fail "stalled input left files behind" "$(ls -A "$work/stall")"; fi

# --- the progress bar: on a terminal only, cleared before the summary ------------------------
"$bin" classify --rules "$rules" "$work/gen.csv" -o "$work/p.csv" --chunk-bytes 2000 >"$work/p.out" 2>"$work/p.err"
if grep -q "ETA\|rows/s  " "$work/p.err"; then fail "progress bar on a non-terminal" "$(head -c 300 "$work/p.err")"; else ok; fi
if grep -q "^time .* rows/s, .* MB/s, .* threads\?, input UTF-8" "$work/p.out"; then ok; else fail "summary's last line" "$(tail -2 "$work/p.out")"; fi
script -qfec "'$bin' classify --rules '$rules' '$work/gen.csv' -o '$work/t.csv' --chunk-bytes 2000 --batch-rows 64 --columns channel_family" /dev/null >"$work/tty.out" 2>&1
if grep -aq "ETA" "$work/tty.out" && grep -aq "rows/s" "$work/tty.out"; then ok; else fail "no progress bar on a terminal" "$(head -c 400 "$work/tty.out" | od -c | head)"; fi
# The last bar is erased (\r ESC[K) before the summary starts.
if tr -d '\n' <"$work/tty.out" | grep -aq $'\r\033\\[Kchanrules classify: channel-2009'; then ok; else fail "progress bar not cleared before the summary" "$(head -c 600 "$work/tty.out" | od -c | tail -20)"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
