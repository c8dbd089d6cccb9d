#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of the kvctl CLI: usage: kvctl_test.sh PATH/TO/kvctl
# [PATH/TO/kvbench] (with kvbench, also a WAL that a rotation started)
# Runs every command against a fresh DB in a temporary directory and checks
# outputs and exit codes (0 ok, 1 not found / verify failed, 2 usage, 3 DB
# error). Prints each failed check and exits 1 if any failed.
set -u

KVCTL=${1:?usage: kvctl_test.sh PATH/TO/kvctl [PATH/TO/kvbench]}
KVBENCH=${2:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DB=$WORK/db
FAILED=0

fail() {
  echo "FAIL: $*" >&2
  FAILED=1
}

# run EXPECTED_RC ARGS...: runs kvctl, keeps stdout in $OUT and stderr in $ERR.
run() {
  local expected=$1
  shift
  "$KVCTL" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  if [[ $rc -ne $expected ]]; then
    fail "kvctl $* -> exit $rc, want $expected (stderr: $ERR)"
  fi
}

expect_eq() {  # expect_eq WHAT GOT WANT
  [[ "$2" == "$3" ]] || fail "$1: got [$2], want [$3]"
}

expect_contains() {  # expect_contains WHAT TEXT NEEDLE
  [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"
}

expect_not_contains() {  # expect_not_contains WHAT TEXT NEEDLE
  [[ "$2" != *"$3"* ]] || fail "$1: [$2] contains [$3]"
}

# --- missing DB: read-only commands fail and create nothing
run 3 --db "$DB" get a
expect_contains "missing DB message" "$ERR" "no DB at $DB"
[[ ! -e "$DB" ]] || fail "get created $DB"
run 3 --db "$DB" scan
run 3 --db "$DB" stats
run 3 --db "$DB" options
[[ ! -e "$DB" ]] || fail "scan/stats created $DB"

# --- usage errors
run 2 --db "$DB" frobnicate
expect_contains "unknown command message" "$ERR" "unknown command 'frobnicate'"
run 2
run 2 get a                  # no --db
run 2 --db "$DB" get         # no KEY
run 2 --db "$DB" put --hex 0g 00
run 0 get --help
expect_contains "get --help" "$OUT" "Usage"

# --- put / get / delete / scan round trips
run 0 --db "$DB" put apple red
run 0 --db "$DB" put banana yellow
run 0 --db "$DB" put cherry ""
run 0 --db "$DB" get apple
expect_eq "get apple" "$OUT" "red"
run 0 --db "$DB" get cherry
expect_eq "get empty value" "$OUT" ""
run 1 --db "$DB" get durian
expect_contains "not found message" "$ERR" "not found"
run 0 --db "$DB" put --hex 6b00ff 00010203       # key "k\0\xff", value with NUL
run 0 --db "$DB" get --hex 6b00ff
expect_eq "hex get" "$OUT" "00010203"
run 1 --db "$DB" get k       # "k" alone is a different key
run 0 --db "$DB" scan
expect_eq "scan" "$OUT" "$(printf 'apple\tred\nbanana\tyellow\ncherry\t\nk\\x00\\xff\t\\x00\\x01\\x02\\x03')"
run 0 --db "$DB" scan --from b --to k
expect_eq "scan range" "$OUT" "$(printf 'banana\tyellow\ncherry\t')"
run 0 --db "$DB" scan --limit 1
expect_eq "scan limit" "$OUT" "$(printf 'apple\tred')"
run 0 --db "$DB" scan --hex --from 6b
expect_eq "scan hex" "$OUT" "$(printf '6b00ff\t00010203')"
run 0 --db "$DB" delete banana
run 1 --db "$DB" get banana
run 0 --db "$DB" delete --hex 6b00ff
run 1 --db "$DB" get --hex 6b00ff
run 0 --db "$DB" scan
expect_eq "scan after deletes" "$OUT" "$(printf 'apple\tred\ncherry\t')"

# --- dump-wal: the last write sits in the WAL until the next open
run 0 --db "$DB" put "wal key" "wal'value"
WAL=$(ls "$DB"/*.log | tail -n 1)
run 0 dump-wal "$WAL"
expect_contains "dump-wal" "$OUT" "count=1"
expect_contains "dump-wal op" "$OUT" "'wal key' @"
expect_contains "dump-wal value" "$OUT" "put 'wal\\x27value'"
run 0 dump-wal --hex "$WAL"
expect_contains "dump-wal hex" "$OUT" "77616c206b6579"
run 3 dump-wal "$WORK/no-such.log"

# --- every open replays the WAL into a level-0 SST: dump-sst reads them,
# tombstones included
dump_all_ssts() {
  local sst
  SSTS=("$DB"/*.sst)
  [[ -e "${SSTS[0]}" ]] || fail "no .sst in $DB"
  ALL_SST_OUT=""
  for sst in "${SSTS[@]}"; do
    run 0 dump-sst "$sst"
    expect_contains "dump-sst properties" "$OUT" "num_entries:"
    ALL_SST_OUT+="$OUT"$'\n'
  done
}
dump_all_ssts
expect_contains "dump-sst entry" "$ALL_SST_OUT" "'apple' @1 put 'red'"
expect_contains "dump-sst tombstone" "$ALL_SST_OUT" "'banana' @"
expect_contains "dump-sst NUL key" "$ALL_SST_OUT" "'k\\x00\\xff' @"

# --- compact merges everything into one level and drops what is deleted
run 0 --db "$DB" compact
dump_all_ssts
# at the bottom, with no snapshot, every sequence is stored as 0
expect_contains "compacted entry" "$ALL_SST_OUT" "'apple' @0 put 'red'"
expect_contains "compacted WAL entry" "$ALL_SST_OUT" "'wal key' @0 put"
expect_not_contains "compaction dropped the deleted key" "$ALL_SST_OUT" "'banana' @"
expect_not_contains "compaction dropped the deleted NUL key" "$ALL_SST_OUT" "'k\\x00\\xff' @"
run 0 --db "$DB" scan
expect_eq "scan after compact" "$OUT" "$(printf 'apple\tred\ncherry\t\nwal key\twal\x27value')"
run 0 --db "$DB" dump-manifest
expect_contains "dump-manifest header" "$OUT" "manifest: $DB/MANIFEST-"
expect_contains "dump-manifest edit" "$OUT" "comparator: arenakv.bytewise"
expect_contains "dump-manifest file" "$OUT" "add_file: L1"
# one more write: it stays in the WAL (stats opens read-only and flushes
# nothing) until the next writable open flushes it to a level-0 table
run 0 --db "$DB" put "late key" "late value"
run 0 --db "$DB" stats
expect_contains "stats" "$OUT" "[files per level]"
SSTS=("$DB"/*.sst)
((${#SSTS[@]} == 1)) || fail "a read-only open wrote a table: ${SSTS[*]}"
expect_contains "stats arena" "$OUT" "allocated_bytes"
expect_contains "stats recovery" "$OUT" "[arenakv.recovery]"
run 0 --db "$DB" put "later key" "later value"
SSTS=("$DB"/*.sst)
((${#SSTS[@]} == 2)) || fail "want the compacted table and a level-0 one, got ${SSTS[*]}"
for sst in "${SSTS[@]}"; do
  [[ "$(basename "$sst")" =~ ^[0-9]{6}\.sst$ ]] || fail "table number out of the file counter: $sst"
done
run 0 --db "$DB" options
expect_contains "options section" "$OUT" "[DBOptions]"
expect_contains "options mode" "$OUT" "wal_recovery_mode=point-in-time"
[[ -s "$DB/LOG" ]] || fail "no info LOG in $DB"

# --- a DB held by another process: reads work (read-only, no LOCK), writes fail
python3 - "$DB/LOCK" "$WORK/locked" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
for _ in range(600):  # until the test removes the flag file (at most 60 s)
    if not os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
PY
HOLDER=$!
for _ in $(seq 100); do [[ -e "$WORK/locked" ]] && break; sleep 0.1; done
run 3 --db "$DB" put apple green
expect_contains "locked message" "$ERR" "locked by another process"
run 0 --db "$DB" get apple
expect_contains "read-only get beside a holder" "$OUT" "red"
run 0 --db "$DB" scan
run 0 --db "$DB" stats
run 0 --db "$DB" verify
rm -f "$WORK/locked"
wait "$HOLDER"

# --- verify: OK, then one flipped byte in an SST is named
run 0 --db "$DB" verify
expect_contains "verify summary" "$OUT" "all OK"
APPLE_SST=""
for sst in "${SSTS[@]}"; do
  "$KVCTL" dump-sst "$sst" | grep -q "'apple' @" && APPLE_SST=$sst
done
[[ -n "$APPLE_SST" ]] || fail "no SST holds 'apple'"
python3 - "$APPLE_SST" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(3)  # inside the first data block
    b = f.read(1)
    f.seek(3)
    f.write(bytes([b[0] ^ 0x40]))
PY
run 1 --db "$DB" verify
expect_contains "verify names the file" "$OUT" "CORRUPT $(basename "$APPLE_SST")"
run 3 --db "$DB" get apple
expect_contains "corruption message" "$ERR" "corruption"

# --- a table the manifest lists but the directory lacks
for sst in "${SSTS[@]}"; do
  [[ "$sst" != "$APPLE_SST" ]] && GONE_SST=$sst
done
rm -f "$GONE_SST"
run 1 --db "$DB" verify
expect_contains "verify names a missing table" "$OUT" "MISSING $(basename "$GONE_SST")"

# --- a damaged WAL record (in a second DB: the first no longer opens)
DB2=$WORK/db2
run 0 --db "$DB2" put walkey walvalue
WAL=$(ls "$DB2"/*.log | tail -n 1)
python3 - "$WAL" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(12)  # inside the first record's payload (after the 7-byte header)
    b = f.read(1)
    f.seek(12)
    f.write(bytes([b[0] ^ 0x01]))
PY
run 3 dump-wal "$WAL"
expect_contains "dump-wal corruption" "$ERR" "corruption"
run 1 --db "$DB2" verify
expect_contains "verify names the WAL" "$OUT" "CORRUPT $(basename "$WAL")"
run 3 --db "$DB2" --wal-recovery-mode absolute get walkey
expect_contains "WAL corruption at open" "$ERR" "corruption"
run 2 --db "$DB2" --wal-recovery-mode sometimes get walkey
# The default, point in time, drops the damaged record (the only one) and
# opens; read-only, so the damaged WAL stays for a later writable Open.
WAL_BEFORE=$(sha256sum "$WAL")
run 1 --db "$DB2" get walkey
expect_contains "dropped records are said" "$ERR" "warning: recovery dropped 1 damaged WAL record"
[[ "$(sha256sum "$WAL")" == "$WAL_BEFORE" ]] || fail "a read-only get changed $WAL"
run 3 --db "$DB2" --wal-recovery-mode absolute get walkey

# --- a WAL started by a memtable rotation opens with a predecessor marker
# (mvcc/db/wal_marker.h): dump-wal shows it and verify accepts it. kvbench
# makes one (a fill through tiny write buffers leaves such a log live).
if [[ -n "$KVBENCH" ]]; then
  "$KVBENCH" --engines arenakv --benchmarks fillrandom --num 20000 --write-buffer-size 262144 \
    --db "$WORK/bench" >/dev/null 2>&1 || fail "kvbench fill"
  ROTATED=$(ls "$WORK"/bench/arenakv/*.log | tail -n 1)
  run 0 dump-wal "$ROTATED"
  expect_contains "dump-wal marker" "$OUT" "predecessor marker: log "
  run 0 --db "$WORK/bench/arenakv" verify
  expect_contains "verify accepts the marker" "$OUT" "all OK"
fi

if [[ $FAILED -ne 0 ]]; then
  echo "kvctl_test: FAILED" >&2
  exit 1
fi
echo "kvctl_test: all checks passed"
