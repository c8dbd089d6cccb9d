#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 15's performance table in one run: every row measured against its
# peer (RocksDB 7.8.3 through kvbench and memtable_bench, mimalloc through
# alloc_bench), medians of 3, engines alternating, then the table printed in
# the README's form with each row's goal. A by-hand run (about 25 minutes on
# the 2-core VM, 10 without the sustained fill), not part of test.sh. Needs
# a Release build with RocksDB and the benches (build/dev, or BUILD=dir).
# Run it on a quiet machine: nothing else compiling or benchmarking.
#
#   scripts/perf_goals.sh [--skip-sustained] [OUT.json]
#
# Rows (16 B keys, 100 B values unless said):
#   memtable only: fillrandom 1M then readrandom 500K, WAL off, 1 GiB write
#     buffers (no flush), 1 and 2 threads
#   engine: fillrandom 1M, WAL on, 64 MiB write buffers (throughput, p99.9,
#     worst write); then, on a DB filled through 8 MiB write buffers (the
#     data in SSTs), readrandom, readwhilewriting and, once flushes and
#     compactions are done (waitforcompaction: seekrandom's one iterator
#     keeps the files it opened on), seekrandom (10 nexts), with an 8 MiB
#     block cache
#   sustained: fillrandom 4M x 1000 B values, 64 MiB write buffers
#     (compaction-bound)
#   memtable bytes per entry: memtable_bench insert, 1 thread
#   allocator memtable pattern: alloc_bench memtable_cold / memtable_warm,
#     arena against a mimalloc heap, 1 and 2 threads
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

sustained=1
if [[ ${1:-} == --skip-sustained ]]; then
  sustained=0
  shift
fi
out="${1:-bench/results/perf_goals_$(date +%F)_$(nproc)core.json}"
build="${BUILD:-build/dev}"
KVBENCH="${KVBENCH:-$build/tools/kvbench}"
find_kvbench perf_goals
for tool in memtable_bench alloc_bench; do
  [[ -x $build/bench/$tool ]] || die "perf_goals: $build/bench/$tool not built"
done
work="$(mktemp -d "${TMPDIR:-/tmp}/arenakv-perf-goals-XXXXXX")"
log "perf_goals: runs in $work (removed once summarized)"

# kvbench NAME ARGS...: three runs, the engine order alternating.
kvbench_rows() {
  local name="$1"
  shift
  local run order
  for run in 1 2 3; do
    order=arenakv,rocksdb
    ((run == 2)) && order=rocksdb,arenakv
    log "perf_goals: $name, run $run ($order)"
    "$kvbench" --engines "$order" "$@" --json "$work/$name-$run.json" >"$work/$name-$run.txt" ||
      die "perf_goals: kvbench $name failed: $(tail -3 "$work/$name-$run.txt")"
  done
}

memtable_only=(--disable-wal --write-buffer-size 1073741824 --num 1000000 --reads 500000)
kvbench_rows memtable_t1 --benchmarks fillrandom,readrandom "${memtable_only[@]}" --threads 1
kvbench_rows memtable_t2 --benchmarks fillrandom,readrandom "${memtable_only[@]}" --threads 2
kvbench_rows fill --benchmarks fillrandom --num 1000000
kvbench_rows ssts --benchmarks fillrandom,readrandom,readwhilewriting,waitforcompaction,seekrandom \
  --num 1000000 --reads 200000 --write-buffer-size 8388608 --cache-size 8388608
if ((sustained)); then
  kvbench_rows sustained --benchmarks fillrandom --num 4000000 --value-size 1000
fi

# Bytes per entry do not vary between runs: one run (3 fills) is enough.
log "perf_goals: memtable_bench (bytes per entry)"
"$build/bench/memtable_bench" --benchmark_filter='^insert/(arenakv|rocksdb)/threads:1/' \
  --benchmark_out="$work/memtable_bench.json" --benchmark_out_format=json >/dev/null ||
  log "perf_goals: memtable_bench failed; its row stays empty"
log "perf_goals: alloc_bench (memtable pattern)"
"$build/bench/alloc_bench" --benchmark_filter='memtable_(cold|warm)/(arenakv|mimalloc)/' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/alloc_bench.json" --benchmark_out_format=json >/dev/null ||
  log "perf_goals: alloc_bench failed; its rows stay empty"

python3 "$ARENAKV_ROOT/scripts/perf_goals.py" "$work" "$out" "$(git rev-parse --short HEAD)" ||
  die "perf_goals: the summary failed; the runs are kept in $work"
rm -rf "$work"
