#!/usr/bin/env bash
# End-to-end tests of the chanrules binary: exit codes, stdout/stderr, output files.
# usage: run_cli_tests.sh CHANRULES_BINARY REPO_ROOT
set -u
bin="$1"
root="$2"
rules="$root/rules/channel-2009"
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

# expect_exit NAME CODE -- command...
expect_exit() {
  local name="$1" code="$2"
  shift 3
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  if [ "$got" -eq "$code" ]; then ok; else fail "$name: exit $got, expected $code" "$(cat "$work/stderr")"; fi
}

contains() {  # NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok; else fail "$1: '$3' not in $(basename "$2")" "$(head -20 "$2")"; fi
}

same_file() {  # NAME ACTUAL EXPECTED
  if cmp -s "$2" "$3"; then ok; else fail "$1: files differ" "$(diff "$3" "$2" | head -20)"; fi
}

header="customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,se_permission,coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,segment,operator,operator_role"

# --- classify the shipped sample: byte-compared with the expected output -------------------
expect_exit "sample" 0 -- "$bin" classify --rules "$rules" "$rules/sample/distributors.csv" -o "$work/sample.csv" --reasons
same_file "sample output" "$work/sample.csv" "$root/tests/data/cli/sample.expected.csv"
"$bin" classify --rules "$rules" "$rules/sample/distributors.csv" -o "$work/sample_plain.csv" --quiet 2>/dev/null
contains "sample summary" "$work/stdout" "rows out + rows rejected = 400 = rows in"
contains "sample rejects header" "$work/sample.csv.rejects.csv" "line,column,reason,record"

# --- the contract's input variants give the same classes -------------------------------------
printf '%s\n' "$header" 'C1,"某店, ""一号""
二楼",R,T3,3,500,,,,,,,' 'C2,国美电器,W,,,,,,,,,,' >"$work/quoted.csv"
expect_exit "quoted" 0 -- "$bin" classify --rules "$rules" "$work/quoted.csv" -o "$work/quoted.out" --quiet
contains "quoted name passes through" "$work/quoted.out" '"某店, ""一号""'
contains "quoted DKA" "$work/quoted.out" ",DKA,DSA,DSA,,traditional"
contains "W named account is GES" "$work/quoted.out" "C2,国美电器,W,,,,,,,,,,,PENDING,PENDING,NONE,GES,traditional"

printf '\xef\xbb\xbf%s\r\nC1,Shop,R,T1,1,900,,,,,,,\r\n' "$header" >"$work/bom_crlf.csv"
expect_exit "bom+crlf" 0 -- "$bin" classify --rules "$rules" "$work/bom_crlf.csv" -o "$work/bom_crlf.out" --quiet
contains "bom+crlf classified" "$work/bom_crlf.out" "C1,Shop,R,T1,1,900,,,,,,,,DKA"
if head -c 3 "$work/bom_crlf.out" | grep -q $'\xef\xbb\xbf'; then fail "output has no BOM"; else ok; fi

printf '%s\n' "$header" "C1,苏宁电器,R,,,,,,,,,," | iconv -f UTF-8 -t GB18030 >"$work/gb.csv"
expect_exit "gb18030" 0 -- "$bin" classify --rules "$rules" "$work/gb.csv" -o "$work/gb.out"
contains "gb18030 decoded" "$work/gb.out" "C1,苏宁电器,R,,,,,,,,,,,苏宁,苏宁,苏宁,GES,traditional"
contains "gb18030 reported" "$work/stdout" "GB18030"

printf 'extra,%s,note\nx,C1,Shop,O,,,,,,,,,CT,,hello\n' "$header" >"$work/extra.csv"
expect_exit "extra columns" 0 -- "$bin" classify --rules "$rules" "$work/extra.csv" -o "$work/extra.out" --quiet
contains "extra columns pass through" "$work/extra.out" "x,C1,Shop,O,,,,,,,,,CT,,hello,CT,CT,CT,,operator"

# --- bad rows go to the rejects; rows out + rejected = rows in --------------------------------
printf '%s\n' "$header" \
  "C1,Good,R,T2,1,600,,,,,,," \
  "C2,Bad enum,R,T9,1,600,,,,,,," \
  "C3,Bad number,R,T2,1x,600,,,,,,," \
  "C4,Too many,R,T2,1,600,,,,,,,,extra" \
  "C1,Duplicate,R,T2,1,600,,,,,,," \
  ",No id,R,T2,1,600,,,,,,," >"$work/bad.csv"
expect_exit "bad rows" 0 -- "$bin" classify --rules "$rules" "$work/bad.csv" -o "$work/bad.out" --rejects "$work/bad.rej"
contains "rejects count" "$work/stdout" "rows rejected 5"
contains "conservation" "$work/stdout" "rows out + rows rejected = 6 = rows in"
contains "bad enum reject" "$work/bad.rej" "3,market_tier,'T9' is not one of: T1 T2 T3 T4 T5 T6"
contains "bad number reject" "$work/bad.rej" "4,local_rank,'1x' is not an integer"
contains "too many fields reject" "$work/bad.rej" "5,,the record has 14 fields; the header has 13"
contains "duplicate reject" "$work/bad.rej" "6,customer_id,duplicate customer_id 'C1' (first accepted on line 2)"
contains "required reject" "$work/bad.rej" "7,customer_id,a value is required"
if [ "$(wc -l <"$work/bad.out")" -eq 2 ]; then ok; else fail "bad rows: one output row expected"; fi

expect_exit "max rejects" 1 -- "$bin" classify --rules "$rules" "$work/bad.csv" -o "$work/max.out" --max-rejects 2
contains "max rejects message" "$work/stderr" "more than 2 rows rejected"
if [ -e "$work/max.out" ] || [ -e "$work/max.out.rejects.csv" ]; then fail "max rejects left an output file"; else ok; fi

# --- record size limits: a record over one is rejected, naming it; raised, it is accepted ---
# (the header, 191 bytes, stays within them; the long record has a 250-byte name)
printf '%s\n' "$header" "C1,Good,R,T2,1,600,,,,,,," "C2,$(printf 'n%.0s' $(seq 250)),R,T2,1,600,,,,,,," >"$work/long.csv"
expect_exit "lowered --max-field-bytes" 0 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/long.out" --max-field-bytes 249
contains "field limit counted" "$work/stdout" "rows rejected 1"
contains "field limit reject" "$work/long.out.rejects.csv" '3,customer_name,"field 2: longer than max_field_size (249 bytes); if such records are genuine, raise --max-field-bytes (csv_options::max_field_size)"'
expect_exit "raised --max-field-bytes" 0 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/long.out" --max-field-bytes=250
contains "field limit raised" "$work/stdout" "rows rejected 0"
expect_exit "lowered --max-record-bytes" 0 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/long.out" --max-record-bytes 200 --chunk-bytes 1
contains "record limit reject" "$work/long.out.rejects.csv" '3,,"record longer than max_record_size (200 bytes); if such records are genuine, raise --max-record-bytes (csv_options::max_record_size)"'
expect_exit "header over --max-fields" 1 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/long2.out" --max-fields 12
contains "max fields message" "$work/stderr" "line 1: the header cannot be read: more than max_fields (12) fields; if such records are genuine, raise --max-fields"
if [ -e "$work/long2.out" ]; then fail "a header over --max-fields left an output file"; else ok; fi
for bad in 0 -1 12x 1073741825 ""; do
  expect_exit "--max-record-bytes '$bad'" 2 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/x.out" --max-record-bytes "$bad"
  contains "--max-record-bytes '$bad' message" "$work/stderr" "--max-record-bytes takes a whole number from 1 to 1073741824"
done
expect_exit "--max-fields 0" 2 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/x.out" --max-fields 0
contains "--max-fields 0 message" "$work/stderr" "--max-fields takes a whole number from 1 to 16777216"
expect_exit "--max-field-bytes x" 2 -- "$bin" classify --rules "$rules" "$work/long.csv" -o "$work/x.out" --max-field-bytes x
contains "--max-field-bytes x message" "$work/stderr" "--max-field-bytes takes a whole number from 1 to 1073741824"

# --- whole-file problems: clear error, non-zero exit, no output ------------------------------
: >"$work/empty.csv"
expect_exit "empty file" 1 -- "$bin" classify --rules "$rules" "$work/empty.csv" -o "$work/empty.out"
contains "empty message" "$work/stderr" "the input is empty"
if [ -e "$work/empty.out" ]; then fail "empty input left an output file"; else ok; fi

printf '%s\n' "$header" >"$work/header_only.csv"
expect_exit "header only" 0 -- "$bin" classify --rules "$rules" "$work/header_only.csv" -o "$work/header_only.out"
contains "header only summary" "$work/stdout" "rows out + rows rejected = 0 = rows in"
if [ "$(wc -l <"$work/header_only.out")" -eq 1 ]; then ok; else fail "header only: output must be the header"; fi

printf 'customer_id,customer_name\nC1,x\n' >"$work/no_network.csv"
expect_exit "missing required column" 1 -- "$bin" classify --rules "$rules" "$work/no_network.csv" -o "$work/nn.out"
contains "missing column message" "$work/stderr" "the header has no column 'network', which the rule set requires"

expect_exit "unwritable output" 1 -- "$bin" classify --rules "$rules" "$rules/sample/distributors.csv" -o /nonexistent-dir/out.csv
contains "unwritable message" "$work/stderr" "/nonexistent-dir/out.csv"

# --- options -------------------------------------------------------------------------------
printf '%s\n' "$header" "=cmd,+Shop,R,T1,1,900,,,,,,," >"$work/formula.csv"
expect_exit "excel-safe" 0 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/formula.out" --excel-safe --quiet
contains "excel-safe neutralises input cells" "$work/formula.out" "'=cmd,'+Shop,R,T1,1,900"
expect_exit "excel-safe sample" 0 -- "$bin" classify --rules "$rules" "$rules/sample/distributors.csv" -o "$work/safe.out" --excel-safe --quiet
same_file "excel-safe changes nothing in a safe export" "$work/safe.out" "$work/sample_plain.csv"
expect_exit "without excel-safe" 0 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/formula2.out" --quiet
contains "input copied byte for byte" "$work/formula2.out" "=cmd,+Shop,R,T1,1,900"
ln -s "$work/target.csv" "$work/link.csv"
expect_exit "symlink output refused" 1 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/link.csv"
contains "symlink message" "$work/stderr" "exists and is not a regular file"
if [ -e "$work/target.csv" ]; then fail "symlink target written"; else ok; fi
expect_exit "bad --batch-rows" 2 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/x.out" --batch-rows 12x
expect_exit "negative --max-rejects" 2 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/x.out" --max-rejects -1
expect_exit "duplicate --columns" 1 -- "$bin" classify --rules "$rules" "$work/formula.csv" -o "$work/x.out" --columns samsung_class,samsung_class
contains "duplicate columns message" "$work/stderr" "named twice"
expect_exit "--columns and --batch-rows 1" 0 -- "$bin" classify --rules "$rules" "$rules/sample/distributors.csv" -o "$work/cols.out" --columns channel_family,samsung_class --batch-rows 1 --quiet
if head -1 "$work/cols.out" | grep -q ',channel_family,samsung_class$'; then ok; else fail "--columns header" "$(head -1 "$work/cols.out")"; fi
cut -d, -f1 "$work/sample.csv" >"$work/ids_a"
cut -d, -f1 "$work/cols.out" >"$work/ids_b"
same_file "batch size 1 keeps the rows and their order" "$work/ids_b" "$work/ids_a"

# A pipe named by a path can be read only once: the encoding is sampled, not pre-scanned.
expect_exit "input from a named pipe" 0 -- "$bin" classify --rules "$rules" <(cat "$rules/sample/distributors.csv") -o "$work/pipe.csv" --quiet
cut -d, -f1 "$work/pipe.csv" >"$work/ids_pipe"
same_file "named pipe gives the same rows" "$work/ids_pipe" "$work/ids_a"
printf '%s\n' "$header" "C1,x,R,T1,99999999999999999999,600,,,,,,," >"$work/huge.csv"
expect_exit "huge number" 0 -- "$bin" classify --rules "$rules" "$work/huge.csv" -o "$work/huge.out" --quiet
contains "huge number reason" "$work/huge.out.rejects.csv" "'99999999999999999999' is too large for an integer"

# --- other commands ------------------------------------------------------------------------
expect_exit "check" 0 -- "$bin" check "$rules"
contains "check summary" "$work/stdout" "0 errors, 2 warnings"
expect_exit "test" 0 -- "$bin" test "$rules"
contains "test summary" "$work/stdout" " passed, 0 failed"
expect_exit "explain by id" 0 -- "$bin" explain "$rules" --id C000102 "$rules/sample/distributors.csv"
contains "explain fired rule" "$work/stdout" "samsung_class = DKA  [rule dka]"
expect_exit "explain pairs" 0 -- "$bin" explain "$rules" customer_id=X customer_name=Shop network=R market_tier=T4 local_rank=2 gsm_monthly_units=499 --json
contains "explain json" "$work/stdout" '"name":"samsung_class","outcome":"DSA","rule":"default"'
expect_exit "graph" 0 -- "$bin" graph "$rules"
contains "graph dot" "$work/stdout" "digraph G {"

cat >"$work/broken.yaml" <<'YAML'
chanrules: 1
name: broken
version: "1"
fields:
  network: {type: enum, values: [S, W, R, O]}
decisions:
  d:
    rules:
      - id: r1
        when: network == X or netwrk == S
        then: A
YAML
expect_exit "check errors" 1 -- "$bin" check "$work/broken.yaml"
contains "check enum error" "$work/stdout" "broken.yaml:10:26: error: 'X' is not a value of 'network' [E-not-in-domain]"
contains "check unknown name" "$work/stdout" "error: unknown name 'netwrk' [E-unknown-name]"
contains "check hint" "$work/stdout" "hint: did you mean 'network'?"

expect_exit "usage" 2 -- "$bin" classify --rules "$rules"
expect_exit "unknown command" 2 -- "$bin" frobnicate
for cmd in classify check test explain graph; do
  expect_exit "$cmd --help" 0 -- "$bin" "$cmd" --help
  contains "$cmd --help text" "$work/stdout" "usage: chanrules $cmd"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
