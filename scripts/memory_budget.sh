#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Peak RSS and throughput under a memory budget, arenakv and RocksDB side by
# side (README.md, "Memory"). A by-hand run (about half an hour), not part of
# test.sh:
#
#   scripts/memory_budget.sh [OUT.json]
#
# Each shape is one kvbench command with --memory-budget (both engines; see
# kvbench --help for the RocksDB mapping) or without it (the throughput
# baseline). 3 runs per shape, each engine in its own kvbench process,
# engines alternating; kvbench reports each workload's peak RSS (VmHWM, reset
# through /proc/self/clear_refs) and throughput. Reads start on a settled
# tree (waitforcompaction first: right after a fill, reads raced a backlog of
# compactions whose size differs with the budget, and a no-budget run read
# 3x faster before it settled than after); the settle time is recorded, and
# each fill's sustained rate (its operations over fill plus settle time).
# The JSON holds every run and the medians. Needs a Release build with RocksDB (build/dev, or
# KVBENCH=path). Run it on a quiet machine. A run longer than RUN_LIMIT
# seconds (300) is stopped and recorded as failed.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

out="${1:-bench/results/memory_budget_$(date +%F)_$(nproc)core.json}"
find_kvbench memory_budget
work="$(mktemp -d "${TMPDIR:-/tmp}/arenakv-memory-budget-XXXXXX")"
trap 'rm -rf "$work"' EXIT

MiB=$((1 << 20))
run_limit="${RUN_LIMIT:-300}"  # seconds per kvbench run
many_files="--target-file-size-base 65536 --max-bytes-for-level-base 1048576 --max-open-files 256"
held="--hold-iterators 64 --write-buffer-size $((4 * MiB))"
# name|kvbench arguments. Each shape with a budget has its no-budget twin
# (the throughput baseline).
shapes=(
  "fill 50x a 16 MiB budget, zipfian reads|--benchmarks fillrandom,waitforcompaction,readrandom --num 900000 --value-size 1000 --distribution zipfian --memory-budget $((16 * MiB))"
  "fill 50x, zipfian reads, no budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 900000 --value-size 1000 --distribution zipfian"
  "fill and uniform reads, 64 MiB budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 500000 --value-size 1000 --memory-budget $((64 * MiB))"
  "fill and uniform reads, no budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 500000 --value-size 1000"
  "10 MB values, 64 MiB budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 40 --value-size $((10 * 1000 * 1000)) --memory-budget $((64 * MiB))"
  "10 MB values, no budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 40 --value-size $((10 * 1000 * 1000))"
  ">= 2000 tables, max_open_files 256, 16 MiB budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 250000 --value-size 1000 $many_files --memory-budget $((16 * MiB))"
  ">= 2000 tables, max_open_files 256, no budget|--benchmarks fillrandom,waitforcompaction,readrandom --num 250000 --value-size 1000 $many_files"
  "64 iterators held across fill and overwrite, 16 MiB budget|--benchmarks fillrandom,overwrite,waitforcompaction,readrandom --num 300000 --value-size 1000 $held --memory-budget $((16 * MiB))"
  "64 iterators held across fill and overwrite, no budget|--benchmarks fillrandom,overwrite,waitforcompaction,readrandom --num 300000 --value-size 1000 $held"
)

index=0
for shape in "${shapes[@]}"; do
  name="${shape%%|*}"
  read -r -a args <<<"${shape#*|}"
  for run in 1 2 3; do
    engines=(arenakv rocksdb)
    ((run % 2 == 0)) && engines=(rocksdb arenakv)
    for engine in "${engines[@]}"; do
      json="$work/$index-$run-$engine.json"
      # A run that stalls (RocksDB's write buffer manager can wait for ever on
      # memtables that held iterators pin) is stopped and recorded as failed.
      timeout "$run_limit" "$kvbench" --engines "$engine" "${args[@]}" --json "$json" \
        >"$work/log.txt" 2>&1 || {
        status=$?
        log "memory_budget: '$name' on $engine failed:"
        tail -3 "$work/log.txt" >&2
        error="$(grep -m1 failed "$work/log.txt" || true)"
        if ((status == 124)); then error="stalled: stopped after $run_limit s"; fi
        python3 -c 'import json, sys; print(json.dumps({"failed": True, "engine": sys.argv[1],
            "error": sys.argv[2]}))' "$engine" "$error" >"$json"
      }
      log "memory_budget: '$name', run $run, $engine done"
    done
  done
  echo "$name" >"$work/$index.name"
  index=$((index + 1))
done

python3 - "$work" "$out" "$index" <<'EOF'
import json, statistics, sys
work, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
shapes = []
machine = None
for i in range(count):
    name = open(f"{work}/{i}.name").read().strip()
    shape = {"name": name, "runs": [], "median": {}}
    for run in (1, 2, 3):
        for engine in ("arenakv", "rocksdb"):
            d = json.load(open(f"{work}/{i}-{run}-{engine}.json"))
            if d.get("failed"):
                shape["runs"].append({"run": run, "engine": engine, "failed": True,
                                      "error": d.get("error")})
                continue
            machine = machine or d.get("machine")
            shape.setdefault("options", d.get("options"))
            results = d["results"]
            for k, r in enumerate(results):
                row = {"run": run, "engine": engine, "workload": r["workload"],
                       "ops_per_sec": r["ops_per_sec"], "seconds": r["seconds"],
                       "peak_rss_bytes": r.get("peak_rss_bytes"),
                       "max_latency_us": r.get("max_us", r.get("latency_us", {}).get("max"))}
                # The write workload before waitforcompaction: its operations
                # over its own time plus the settle time.
                if k + 1 < len(results) and results[k + 1]["workload"] == "waitforcompaction":
                    row["sustained_ops_per_sec"] = r["ops"] / (r["seconds"] + results[k + 1]["seconds"])
                shape["runs"].append(row)
    for engine in ("arenakv", "rocksdb"):
        rows = [r for r in shape["runs"] if r["engine"] == engine and not r.get("failed")]
        for w in sorted({r["workload"] for r in rows}):
            sel = [r for r in rows if r["workload"] == w]
            m = {"ops_per_sec": statistics.median(r["ops_per_sec"] for r in sel),
                 "seconds": statistics.median(r["seconds"] for r in sel),
                 "peak_rss_mib": statistics.median(r["peak_rss_bytes"] for r in sel) / 2**20,
                 "runs": len(sel)}
            if all("sustained_ops_per_sec" in r for r in sel):
                m["sustained_ops_per_sec"] = statistics.median(r["sustained_ops_per_sec"] for r in sel)
            shape["median"].setdefault(engine, {})[w] = m
        if any(r.get("failed") for r in shape["runs"] if r["engine"] == engine):
            shape["median"].setdefault(engine, {})["failed_runs"] = sum(
                1 for r in shape["runs"] if r["engine"] == engine and r.get("failed"))
    shapes.append(shape)
json.dump({"machine": machine, "shapes": shapes}, open(out, "w"), indent=1)
for s in shapes:
    print(s["name"])
    for engine, ws in s["median"].items():
        for w, m in ws.items():
            if w == "failed_runs":
                print(f"  {engine:8} failed runs: {m}")
            elif w == "waitforcompaction":
                print(f"  {engine:8} {'settle':11} {m['seconds']:>10.1f} s      peak {m['peak_rss_mib']:.0f} MiB")
            elif "sustained_ops_per_sec" in m:
                print(f"  {engine:8} {w:11} {m['ops_per_sec']:>10.0f} ops/s  peak {m['peak_rss_mib']:.0f} MiB"
                      f"  sustained {m['sustained_ops_per_sec']:.0f} ops/s")
            else:
                print(f"  {engine:8} {w:11} {m['ops_per_sec']:>10.0f} ops/s  peak {m['peak_rss_mib']:.0f} MiB")
EOF
log "memory_budget: wrote $out"
