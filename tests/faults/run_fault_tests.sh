#!/usr/bin/env bash
# Fault-injection tests of `chanrules classify` (docs/reliability.md, "Faults"): disk full,
# unwritable output, a closed output pipe, SIGINT / SIGTERM mid-run. For each: a clear
# error on stderr, a non-zero exit (130 when interrupted), no output or rejects file under
# the requested names (an existing one is left as it was), no temporary file left behind,
# and the input untouched.
#
# usage: run_fault_tests.sh CHANRULES_BINARY REPO_ROOT
#
# Disk full is injected two ways: a tiny tmpfs (needs mount(2), i.e. root; skipped with a
# note otherwise) and `ulimit -f` (always). "Unwritable" uses a read-only tmpfs (root) and,
# when running as root, a mode-555 folder entered as the user nobody (setpriv); otherwise the
# folder alone. Every variant that runs prints which it is.
set -u
bin="$(readlink -f "$1")"
root="$2"
rules="$root/rules/channel-2009"
work=$(mktemp -d)
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -20
}
note() { echo "note: $*"; }

# A large input (about 4 MB, 60000 rows): bigger than the tiny filesystems and the pipe
# buffers used below, so the faults strike mid-run. Ids are made unique.
big="$work/big.csv"
head -1 "$rules/sample/distributors.csv" >"$big"
for i in $(seq 1 150); do
  tail -n +2 "$rules/sample/distributors.csv" | sed "s/^C/C$i-/"
done >>"$big"
big_sum=$(sha256sum <"$big")

input_untouched() {  # NAME
  if [ "$(sha256sum <"$big")" = "$big_sum" ]; then ok; else fail "$1: the input changed"; fi
}
# Neither the named files nor any temporary file may be left in DIR (except those listed).
nothing_left() {  # NAME DIR [KEEP...]
  local name="$1" dir="$2"
  shift 2
  local left
  left=$(ls -A "$dir" | grep -v -x -F "$(printf '%s\n' "$@" ".keep-nothing")" || true)
  if [ -z "$left" ]; then ok; else fail "$name: files left in $dir" "$left"; fi
}
expect_code() {  # NAME EXPECTED GOT
  if [ "$3" -eq "$2" ]; then ok; else fail "$1: exit $3, expected $2" "$(cat "$work/stderr" 2>/dev/null)"; fi
}
stderr_has() {  # NAME TEXT
  if grep -qF -- "$2" "$work/stderr"; then ok; else fail "$1: '$2' not in stderr" "$(cat "$work/stderr")"; fi
}

can_mount=no
probe="$work/probe"
mkdir -p "$probe"
if mount -t tmpfs -o size=16k tmpfs "$probe" 2>/dev/null; then
  can_mount=yes
  umount "$probe"
fi
rmdir "$probe"

# --- disk full: a tiny tmpfs ------------------------------------------------------------------
if [ "$can_mount" = yes ]; then
  echo "disk full: tmpfs of 256 KiB"
  full="$work/full"
  mkdir -p "$full"
  mount -t tmpfs -o size=256k tmpfs "$full" && mounts+=("$full")
  printf 'old output\n' >"$full/out.csv"
  "$bin" classify --rules "$rules" "$big" -o "$full/out.csv" --quiet >"$work/stdout" 2>"$work/stderr"
  expect_code "tmpfs full" 1 $?
  stderr_has "tmpfs full message" "No space left on device"
  stderr_has "tmpfs full says nothing was written" "no output written"
  if [ "$(cat "$full/out.csv")" = "old output" ]; then ok; else fail "tmpfs full: the old output was changed"; fi
  nothing_left "tmpfs full" "$full" out.csv
  input_untouched "tmpfs full"

  # Full while writing the rejects file: every row rejected (the header lacks nothing, but
  # every network value is bad), the output itself stays small.
  sed '2,$ s/,[SWRO],/,X,/' "$big" >"$work/all_bad.csv"
  "$bin" classify --rules "$rules" "$work/all_bad.csv" -o "$full/out2.csv" --quiet >"$work/stdout" 2>"$work/stderr"
  expect_code "tmpfs full (rejects)" 1 $?
  stderr_has "tmpfs full (rejects) message" "No space left on device"
  nothing_left "tmpfs full (rejects)" "$full" out.csv
else
  note "mount(2) not permitted: the tmpfs disk-full test is skipped (ulimit -f below still runs)"
fi

# --- disk full: ulimit -f (file size limit; the write fails with EFBIG) -----------------------
echo "disk full: ulimit -f 128 (128 KiB per file)"
lim="$work/ulimit"
mkdir -p "$lim"
(ulimit -f 128 && exec "$bin" classify --rules "$rules" "$big" -o "$lim/out.csv" --quiet) \
  >"$work/stdout" 2>"$work/stderr"
expect_code "ulimit -f" 1 $?
stderr_has "ulimit -f message" "File too large"
nothing_left "ulimit -f" "$lim"
input_untouched "ulimit -f"

# --- unwritable output --------------------------------------------------------------------------
if [ "$can_mount" = yes ]; then
  echo "unwritable: read-only tmpfs"
  ro="$work/ro"
  mkdir -p "$ro"
  mount -t tmpfs -o size=64k,ro tmpfs "$ro" && mounts+=("$ro")
  "$bin" classify --rules "$rules" "$big" -o "$ro/out.csv" --quiet >"$work/stdout" 2>"$work/stderr"
  expect_code "read-only fs" 1 $?
  stderr_has "read-only fs message" "Read-only file system"
  stderr_has "read-only fs names the file" "$ro/out.csv"
  nothing_left "read-only fs" "$ro"
else
  note "mount(2) not permitted: the read-only filesystem test is skipped"
fi

locked="$work/locked"
mkdir -p "$locked"
chmod 555 "$locked"
if [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$work"
  chmod 644 "$big"
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  if ! command -v setpriv >/dev/null; then
    note "running as root without setpriv: the mode-555 folder test is skipped"
  elif ! "${as_nobody[@]}" "$bin" version >/dev/null 2>&1 ||
    ! "${as_nobody[@]}" test -r "$rules/ruleset.yaml"; then
    note "the user nobody cannot run $bin or read the rules (a parent folder is private): the mode-555 folder test is skipped"
  else
    echo "unwritable: mode-555 folder, run as nobody (setpriv)"
    setpriv --reuid=65534 --regid=65534 --clear-groups -- \
      "$bin" classify --rules "$rules" "$big" -o "$locked/out.csv" --quiet >"$work/stdout" 2>"$work/stderr"
    expect_code "mode-555 folder" 1 $?
    stderr_has "mode-555 folder message" "Permission denied"
    nothing_left "mode-555 folder" "$locked"
  fi
else
  echo "unwritable: mode-555 folder"
  "$bin" classify --rules "$rules" "$big" -o "$locked/out.csv" --quiet >"$work/stdout" 2>"$work/stderr"
  expect_code "mode-555 folder" 1 $?
  stderr_has "mode-555 folder message" "Permission denied"
  nothing_left "mode-555 folder" "$locked"
fi
chmod 755 "$locked"

mkdir -p "$work/adir"
"$bin" classify --rules "$rules" "$big" -o "$work/adir" --quiet >"$work/stdout" 2>"$work/stderr"
expect_code "output is a folder" 1 $?
stderr_has "output is a folder message" "is not a regular file"
"$bin" classify --rules "$rules" "$big" -o "$work/missing-dir/out.csv" --quiet >"$work/stdout" 2>"$work/stderr"
expect_code "output folder missing" 1 $?
stderr_has "output folder missing message" "No such file or directory"
input_untouched "unwritable"

# --- a closed pipe: the reader of standard output goes away early -----------------------------
echo "closed pipe: classify -o - | head -c 1000"
pipe_rej="$work/pipe.rejects.csv"
"$bin" classify --rules "$rules" "$big" -o - --rejects "$pipe_rej" --quiet 2>"$work/stderr" | head -c 1000 >/dev/null
expect_code "closed pipe" 1 "${PIPESTATUS[0]}"
stderr_has "closed pipe message" "Broken pipe"
stderr_has "closed pipe says the output is incomplete" "incomplete"
if [ -e "$pipe_rej" ]; then fail "closed pipe: the rejects file was written"; else ok; fi
input_untouched "closed pipe"

# --- SIGINT / SIGTERM mid-run -----------------------------------------------------------------
# The input comes through a FIFO whose writer sends part of the file, then stalls: chanrules
# is then blocked reading (the hard case: the signal must end the read), or, for the second
# variant, busy classifying a regular file.
# Waits (up to 30 s) until process PID has FILE open, i.e. until it has started reading.
opened() {  # PID FILE
  local target
  target=$(readlink -f "$2")
  for _ in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || return 0
    for fd in /proc/"$1"/fd/*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "$target" ] && return 0
    done
    sleep 0.1
  done
}
interrupt_test() {  # SIGNAL MODE(fifo|file)
  local sig="$1" mode="$2" name="$1 ($2)"
  local dir="$work/int-$sig-$mode"
  mkdir -p "$dir"
  local input="$big" writer=""
  if [ "$mode" = fifo ]; then
    input="$dir/in.fifo"
    mkfifo "$input"
    (head -c 300000 "$big"; exec sleep 30) >"$input" &
    writer=$!
  fi
  "$bin" classify --rules "$rules" "$input" -o "$dir/out.csv" --quiet --batch-rows 64 \
    >"$work/stdout" 2>"$work/stderr" &
  local pid=$!
  # Once the process has the input open, its handlers are installed (chanrules installs
  # them before it opens the input); then give it a second to drain the FIFO and block.
  opened "$pid" "$input"
  sleep 1
  kill -"$sig" "$pid" 2>/dev/null
  # It must stop promptly: give it 10 s, then fail (and kill it).
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$name: still running 10 s after the signal"
    kill -KILL "$pid"
  fi
  wait "$pid"
  local code=$?
  [ -n "$writer" ] && kill "$writer" 2>/dev/null
  [ -n "$writer" ] && wait "$writer" 2>/dev/null
  [ "$mode" = fifo ] && rm -f "$input"
  expect_code "$name" 130 "$code"
  stderr_has "$name message" "interrupted"
  nothing_left "$name" "$dir"
  input_untouched "$name"
}
interrupt_test INT fifo
interrupt_test TERM fifo
# A regular file big enough to still be running after 1 s even on a fast machine: the big
# input repeated (ids stay unique per copy).
for k in 1 2 3 4 5 6 7 8; do tail -n +2 "$big" | sed "s/^C/K$k-/"; done >"$work/huge_rows"
cat "$big" "$work/huge_rows" >"$work/huge.csv"
rm -f "$work/huge_rows"
huge_sum=$(sha256sum <"$work/huge.csv")
interrupt_file_test() {  # SIGNAL
  local sig="$1" dir="$work/int-$1-file"
  mkdir -p "$dir"
  "$bin" classify --rules "$rules" "$work/huge.csv" -o "$dir/out.csv" --quiet >"$work/stdout" 2>"$work/stderr" &
  local pid=$!
  # Signal once the input is open: by then the handlers are installed, so this tests
  # cancellation, not the default action of the signal.
  opened "$pid" "$work/huge.csv"
  if ! kill -0 "$pid" 2>/dev/null; then
    note "$sig (file): the run ended before the signal (machine too fast); skipped"
    wait "$pid"
    return
  fi
  kill -"$sig" "$pid"
  wait "$pid"
  expect_code "$sig (file)" 130 $?
  stderr_has "$sig (file) message" "interrupted"
  nothing_left "$sig (file)" "$dir"
  if [ "$(sha256sum <"$work/huge.csv")" = "$huge_sum" ]; then ok; else fail "$sig (file): the input changed"; fi
}
interrupt_file_test INT
interrupt_file_test TERM

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
