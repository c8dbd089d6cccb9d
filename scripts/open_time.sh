#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Open time of an existing DB against its size, arenakv and RocksDB side by
# side (docs/BENCHMARKS.md, "Open time"). A by-hand run: it fills DBs of
# several GB and drops the page cache (root), so it is not part of test.sh.
#
#   scripts/open_time.sh [OUT.json] [KEYS...]      (default keys: 500000 4000000)
#
# For each size, kvbench fills a DB per engine (fillrandom, 1000 B values),
# then times one kvbench process that opens it, reads one key and closes
# (process start included), with max_open_files -1 (every table opened at
# Open) and 1000 (tables opened on first use). 3 runs per engine, engines
# alternating; "cold" runs follow sync and echo 3 > /proc/sys/vm/drop_caches
# (skipped, and said so in the JSON, when that is not allowed). Needs a
# Release build with RocksDB (build/dev, or KVBENCH=path). Run it on a quiet
# machine: nothing else compiling or benchmarking.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

out="${1:-bench/results/open_time_$(date +%F)_$(nproc)core.json}"
shift || true
sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(500000 4000000)
find_kvbench open_time
work="$(mktemp -d "${TMPDIR:-/tmp}/arenakv-open-time-XXXXXX")"
trap 'rm -rf "$work"' EXIT

can_drop=1
sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches || can_drop=0

rows="$work/rows.txt" # size engine mode cache seconds
: >"$rows"
for n in "${sizes[@]}"; do
  db="$work/db-$n"
  log "open_time: filling $n keys x 1000 B (both engines)"
  "$kvbench" --engines arenakv,rocksdb --db "$db" --benchmarks fillrandom --num "$n" \
    --value-size 1000 >"$work/fill-$n.txt" || exit 1
  for engine in arenakv rocksdb; do
    echo "$n $engine bytes $(du -sb "$db/$engine" | cut -f1)" >>"$work/sizes.txt"
  done
  for files in -1 1000; do
    for cache in warm cold; do
      [[ $cache == cold && $can_drop == 0 ]] && continue
      for run in 1 2 3; do
        for engine in arenakv rocksdb; do
          [[ $cache == cold ]] && sync && echo 3 >/proc/sys/vm/drop_caches
          start=$(date +%s.%N)
          "$kvbench" --engines "$engine" --db "$db" --use-existing-db --benchmarks readrandom \
            --reads 1 --num "$n" --max-open-files "$files" >/dev/null || exit 1
          end=$(date +%s.%N)
          echo "$n $engine $files $cache $(awk "BEGIN { print $end - $start }")" >>"$rows"
          log "open_time: $n keys, $engine, max_open_files $files, $cache, run $run:" \
            "$(tail -1 "$rows" | cut -d' ' -f5) s"
        done
      done
    done
  done
  rm -rf "$db"
done

python3 - "$rows" "$work/sizes.txt" "$out" "$can_drop" "$(git rev-parse --short HEAD)" <<'EOF'
import json, statistics, sys
rows_path, sizes_path, out, can_drop, commit = sys.argv[1:]
runs = {}
for line in open(rows_path):
    n, engine, files, cache, seconds = line.split()
    key = f"{int(n)}_keys"
    runs.setdefault(key, {}).setdefault(f"max_open_files={files}", {}).setdefault(
        cache, {}).setdefault(engine, []).append(float(seconds))
sizes = {}
for line in open(sizes_path):
    n, engine, _, size = line.split()
    sizes.setdefault(f"{int(n)}_keys", {})[engine] = int(size)
medians = {
    size: {mode: {cache: {e: round(statistics.median(v), 3) for e, v in engines.items()}
                  for cache, engines in caches.items()} for mode, caches in modes.items()}
    for size, modes in runs.items()}
json.dump({
    "what": "wall seconds of one kvbench process that opens an existing DB, reads 1 key and "
            "closes (process start included); 3 runs per engine, engines alternating",
    "cold": "after sync; echo 3 > /proc/sys/vm/drop_caches" if can_drop == "1"
            else "not measured (page cache could not be dropped)",
    "fill": "kvbench --engines arenakv,rocksdb --benchmarks fillrandom --num N --value-size 1000",
    "measure": "kvbench --engines E --use-existing-db --benchmarks readrandom --reads 1 --num N "
               "--max-open-files F",
    "arenakv_commit": commit, "bytes_on_disk": sizes, "runs": runs, "median": medians,
}, open(out, "w"), indent=1)
print(json.dumps(medians, indent=1))
EOF
log "open_time: wrote $out"
