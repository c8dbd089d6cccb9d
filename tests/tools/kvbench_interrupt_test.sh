#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kvbench removes its temporary DB when interrupted: SIGINT and SIGTERM in
# the middle of a long fill end it with 128 + the signal and leave nothing
# under TMPDIR.
#
# usage: kvbench_interrupt_test.sh KVBENCH WORKDIR
set -uo pipefail
kvbench="$1" dir="$2"

fail() {
  echo "kvbench_interrupt_test: $*" >&2
  exit 1
}

for sig in INT TERM; do
  rm -rf "$dir"
  mkdir -p "$dir/tmp"
  TMPDIR="$dir/tmp" "$kvbench" --engines arenakv --num 100000000 --benchmarks fillrandom \
    >/dev/null 2>"$dir/err" &
  pid=$!
  for _ in $(seq 400); do
    compgen -G "$dir/tmp/kvbench-*/arenakv/*.log" >/dev/null && break
    sleep 0.05
  done
  compgen -G "$dir/tmp/kvbench-*/arenakv/*.log" >/dev/null || {
    kill -KILL "$pid"
    fail "SIG$sig: the run never created its DB"
  }
  kill -"$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  want=$((128 + $(kill -l "$sig")))
  [[ $rc == "$want" ]] || fail "SIG$sig: exit $rc, want $want ($(cat "$dir/err"))"
  left="$(ls -A "$dir/tmp")"
  [[ -z "$left" ]] || fail "SIG$sig: left behind: $left"
  grep -q "interrupted; removed" "$dir/err" || fail "SIG$sig: no message"
done
echo "kvbench_interrupt_test: ok"
