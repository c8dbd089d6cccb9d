#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kvbench's txn-transfer (optimistic transactions moving money between
# accounts), arenakv against RocksDB's OptimisticTransactionDB: commits/s and
# the abort rate at 1 and 2 threads, uniform and zipfian account choice
# (docs/BENCHMARKS.md). A by-hand run (a few minutes), not part of test.sh.
#
#   scripts/txn_transfer.sh [OUT.json] [ACCOUNTS] [TRANSFERS]   (default 100000 400000)
#
# Each configuration runs 3 times per engine, engines alternating (which one
# goes first alternates too); the JSON keeps every run and the medians. Needs
# a Release build with RocksDB (build/dev, or KVBENCH=path). Run it on a
# quiet machine: nothing else compiling or benchmarking.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

out="${1:-bench/results/txn_transfer_$(date +%F)_$(nproc)core.json}"
accounts="${2:-100000}"
transfers="${3:-400000}"
find_kvbench txn_transfer
work="$(mktemp -d "${TMPDIR:-/tmp}/arenakv-txn-transfer-XXXXXX")"
trap 'rm -rf "$work"' EXIT

for dist in uniform zipfian; do
  for threads in 1 2; do
    for run in 1 2 3; do
      order=(arenakv rocksdb)
      ((run % 2 == 0)) && order=(rocksdb arenakv)
      for engine in "${order[@]}"; do
        json="$work/$dist-$threads-$run-$engine.json"
        "$kvbench" --engines "$engine" --db "$work/db" --benchmarks txn-transfer \
          --num "$accounts" --reads "$transfers" --threads "$threads" \
          --distribution "$dist" --json "$json" >/dev/null || exit 1
        log "txn_transfer: $dist, $threads thread(s), run $run, $engine:" \
          "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0];
ops, rate = r["ops_per_sec"], r["abort_rate"]; print(f"{ops:.0f} commits/s, abort rate {rate:.4f}")' "$json")"
      done
    done
  done
done

python3 - "$work" "$out" "$accounts" "$transfers" "$(git rev-parse --short HEAD)" <<'PY'
import glob, json, os, statistics, sys
work, out, accounts, transfers, commit = sys.argv[1:]
runs = {}
for path in sorted(glob.glob(os.path.join(work, "*.json"))):
    dist, threads, run, engine = os.path.basename(path)[:-5].split("-")
    r = json.load(open(path))["results"][0]
    runs.setdefault(f"{dist}_t{threads}", {}).setdefault(engine, []).append(
        {"commits_per_sec": r["ops_per_sec"], "abort_rate": r["abort_rate"],
         "p99_us": r["latency_us"]["p99"], "max_us": r["latency_us"]["max"]})
medians = {}
for config, engines in runs.items():
    m = {e: {k: statistics.median(x[k] for x in v) for k in v[0]} for e, v in engines.items()}
    if "arenakv" in m and "rocksdb" in m:
        m["arenakv_vs_rocksdb"] = round(
            m["arenakv"]["commits_per_sec"] / m["rocksdb"]["commits_per_sec"], 2)
    medians[config] = m
json.dump({"what": "kvbench txn-transfer: committed transfers per second (retries included in "
                   "each one's latency) and aborts / attempts; medians of 3, engines alternating",
           "commit": commit, "nproc": os.cpu_count(), "accounts": int(accounts),
           "transfers": int(transfers), "medians": medians, "runs": runs},
          open(out, "w"), indent=1)
print(json.dumps(medians, indent=1))
PY
