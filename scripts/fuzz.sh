#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer target of tests/fuzz for as long as asked (tests/fuzz/README.md):
#
#   scripts/fuzz.sh TARGET [libFuzzer args...]
#   scripts/fuzz.sh db_ops_fuzz -runs=10000000
#   scripts/fuzz.sh table_fuzz -max_total_time=3600 -jobs=2 -workers=2
#
# Configures and builds build/fuzz (clang, ASan + UBSan + libFuzzer) if needed
# (ninja rebuilds only what changed), copies the target's seed corpus
# tests/fuzz/corpus/TARGET to a work directory (build/fuzz/work/TARGET, kept
# between runs, so what one run learned the next starts from), and runs the
# target there with -timeout=10 -rss_limit_mb=2048 before your arguments (yours
# win). Crash reproducers are written to build/fuzz/work/TARGET-crashes/.
# Prints the executions done at the end; exits with the fuzzer's status.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

TARGETS=(write_batch_fuzz log_reader_fuzz table_fuzz version_edit_fuzz db_ops_fuzz)
if (($# < 1)) || [[ " ${TARGETS[*]} " != *" $1 "* ]]; then
  log "usage: scripts/fuzz.sh TARGET [libFuzzer args...]; TARGET: ${TARGETS[*]}"
  exit 2
fi
target="$1"
shift

if [[ ! -f build/fuzz/build.ninja ]]; then
  CXX=clang++ cmake -S "$ARENAKV_ROOT" -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DARENAKV_BUILD_FUZZ=ON -DARENAKV_BUILD_TESTS=ON -DARENAKV_BUILD_BENCH=OFF \
    -DARENAKV_BUILD_EXAMPLES=OFF -DARENAKV_BUILD_TOOLS=OFF -DARENAKV_WITH_ROCKSDB=OFF
fi
cmake --build build/fuzz -j "$JOBS" --target "$target"

work="$ARENAKV_ROOT/build/fuzz/work"
mkdir -p "$work/$target" "$work/$target-crashes"
cp -r "tests/fuzz/corpus/$target/." "$work/$target/"
log "fuzz: $target on $work/$target; crashes go to $work/$target-crashes"

rc=0
(cd "$work/$target-crashes" &&
  "$ARENAKV_ROOT/build/fuzz/tests/fuzz/$target" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$@" "$work/$target" 2>&1) | tee "$work/$target.log" || rc=$?
# With -jobs=N each job logs to fuzz-N.log in the crashes directory instead.
execs="$(cat "$work/$target.log" "$work/$target-crashes"/fuzz-*.log 2>/dev/null |
  awk '/stat::number_of_executed_units/ { n += $2; seen = 1 } END { if (seen) print n }' ||
  true)"
log "fuzz: $target: ${execs:-?} executions; exit status $rc"
exit "$rc"
