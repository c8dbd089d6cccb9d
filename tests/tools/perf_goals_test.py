#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/perf_goals.py on made-up runs: medians of 3 per engine, the ratio
of the medians, the goal judged per row, rows without runs left blank.

    perf_goals_test.py PERF_GOALS.py WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys


def report(results):
    return {"machine": {"cpus": 2}, "results": results}


def result(workload, engine, ops, p999, worst):
    return {"workload": workload, "engine": engine, "ops_per_sec": ops,
            "latency_us": {"p99.9": p999, "max": worst}}


def main():
    script, work = sys.argv[1:3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # engine fill: arenakv 300, 100, 200 (median 200); RocksDB 80, 100, 90 (median 90).
    for run, (a, r) in enumerate([(300, 80), (100, 100), (200, 90)], start=1):
        with open(os.path.join(work, f"fill-{run}.json"), "w") as f:
            json.dump(report([result("fillrandom", "arenakv", a, 10.0 * run, 1000.0 * run),
                              result("fillrandom", "rocksdb", r, 20.0, 1500.0)]), f)
    # A bench that wrote nothing leaves its row blank (it used to stop the
    # summary); one run without repetitions gives its counter as it is.
    open(os.path.join(work, "memtable_bench.json"), "w").close()
    with open(os.path.join(work, "alloc_bench.json"), "w") as f:
        json.dump({"benchmarks": [
            {"name": "memtable_cold/arenakv/real_time/threads:1", "run_type": "iteration",
             "run_name": "memtable_cold/arenakv/real_time/threads:1", "items_per_second": 30.0},
            {"name": "memtable_cold/mimalloc/real_time/threads:1_median",
             "run_type": "aggregate", "aggregate_name": "median",
             "run_name": "memtable_cold/mimalloc/real_time/threads:1", "items_per_second": 20.0},
        ]}, f)
    out = os.path.join(work, "out.json")
    table = subprocess.run([sys.executable, script, work, out, "abc1234"], check=True,
                           capture_output=True, text=True).stdout
    rows = {row["row"]: row for row in json.load(open(out))["rows"]}

    fill = rows["engine fill, WAL on, 1 thread"]
    assert (fill["arenakv"], fill["peer"]) == (200, 90), fill
    assert abs(fill["ratio"] - 200 / 90) < 1e-9 and fill["met"] is False, fill
    worst = rows["fillrandom 1M worst write (median of the runs' max)"]
    assert (worst["arenakv"], worst["peer"], worst["met"]) == (2000.0, 1500.0, False), worst
    p999 = rows["fillrandom 1M p99.9"]
    assert (p999["arenakv"], p999["ratio"], p999["met"]) == (20.0, 1.0, False), p999
    blank = rows["memtable-only fill (WAL off), 1 thread"]
    assert blank["ratio"] is None and blank["met"] is None, blank
    assert rows["memory per memtable entry (memtable_bench)"]["ratio"] is None
    cold = rows["allocator memtable pattern, cold, 1 thread (vs mimalloc heap)"]
    assert (cold["arenakv"], cold["peer"], cold["met"]) == (30.0, 20.0, True), cold
    assert "sustained fill 4M x 1000 B (compaction-bound)" not in rows, "no sustained runs"
    assert "| engine fill, WAL on, 1 thread | 200 | 90 | 2.22x | >= 2.5x | **no** |" in table, table
    print("perf_goals_test: ok")


if __name__ == "__main__":
    main()
