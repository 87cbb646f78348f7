#!/usr/bin/env bash
# Instructions per classified record, counted by callgrind inside rule_set::classify only.
# Repeatable to the instruction for a given binary and rule set, whatever else the machine
# does (wall time on a shared 2-core machine varies by +-25 %).
#
# Any rule set: records for other rule sets than the 2009 one are generated from its fields
# (see bench/classify_instructions.cpp). This is the way to count instructions where the
# machine has no hardware counter for `chanrules bench --instructions` (virtual machines).
#
# usage: bench/instructions.sh [BUILD_DIR] [RULES]     (needs valgrind)
set -euo pipefail
build="${1:-build}"
rules="${2:-rules/channel-2009}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
  --toggle-collect='chanrules::rule_set::classify(chanrules::batch const&, chanrules::classification&) const' \
  "$build/bench/classify_instructions" "$rules" >/dev/null 2>"$out.log" || { cat "$out.log"; exit 1; }
total=$(grep -E '^summary:|^totals:' "$out" | awk '{print $2}' | head -1)
echo "instructions in classify: $total for 500000 records = $((total / 500000)) per record"
echo "(memset runs as 'rep stos': callgrind counts every byte-step, so its share is overstated)"
rm -f "$out.log"
