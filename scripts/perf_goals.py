#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarizes a scripts/perf_goals.sh run: medians of 3 per engine, the ratio
of the medians, each row's goal from issue 15, a JSON file with every run,
and the table in markdown on stdout.

    perf_goals.py WORK_DIR OUT.json COMMIT
"""
import glob
import json
import os
import statistics
import sys


def kvbench_runs(work, name):
    """{(workload, engine): [result, ...]} over the runs of one kvbench row."""
    runs = {}
    machine = None
    for path in sorted(glob.glob(os.path.join(work, f"{name}-*.json"))):
        with open(path) as f:
            report = json.load(f)
        machine = machine or report.get("machine")
        for r in report["results"]:
            runs.setdefault((r["workload"], r["engine"]), []).append(r)
    return runs, machine


def median(values):
    return statistics.median(values) if values else None


def bench_medians(path, counter):
    """{benchmark name: its median counter over repetitions, or the counter of
    its one run}; empty if the file is missing or holds no report."""
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return {}
    out = {}
    for b in report.get("benchmarks", []):
        if counter not in b:
            continue
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = b[counter]
        elif b.get("run_type", "iteration") == "iteration":
            out.setdefault(b["run_name"], b[counter])
    return out


def main():
    work, out_path, commit = sys.argv[1:4]
    rows = []
    machine = None

    def add(row, arenakv, rocksdb, goal, met_if, unit="ops/s", runs=None):
        ratio = arenakv / rocksdb if arenakv is not None and rocksdb else None
        met = None if ratio is None else met_if(ratio)
        rows.append({"row": row, "unit": unit, "arenakv": arenakv, "peer": rocksdb,
                     "ratio": ratio, "goal": goal, "met": met, "runs": runs or {}})

    def kv(name, workload, metric):
        nonlocal machine
        runs, m = kvbench_runs(work, name)
        machine = machine or m
        values = {}
        for engine in ("arenakv", "rocksdb"):
            results = runs.get((workload, engine), [])
            values[engine] = [metric(r) for r in results]
        return (median(values["arenakv"]), median(values["rocksdb"]), values)

    ops = lambda r: r["ops_per_sec"]  # noqa: E731
    p999 = lambda r: r["latency_us"]["p99.9"]  # noqa: E731
    worst = lambda r: r["latency_us"]["max"]  # noqa: E731

    t1 = kv("memtable_t1", "fillrandom", ops)
    add("memtable-only fill (WAL off), 1 thread", t1[0], t1[1], ">= 2.5x", lambda x: x >= 2.5,
        runs=t1[2])
    t2 = kv("memtable_t2", "fillrandom", ops)
    add("memtable-only fill (WAL off), 2 threads", t2[0], t2[1], ">= 2.5x", lambda x: x >= 2.5,
        runs=t2[2])
    if t1[0] and t2[0]:
        rows.append({"row": "memtable-only fill, arenakv 2 threads / its 1 thread",
                     "unit": "ops/s", "arenakv": t2[0], "peer": t1[0], "ratio": t2[0] / t1[0],
                     "goal": ">= 1.6x", "met": t2[0] / t1[0] >= 1.6, "runs": {}})
    for name, threads in (("memtable_t1", 1), ("memtable_t2", 2)):
        r = kv(name, "readrandom", ops)
        add(f"memtable-only point reads, {threads} thread{'s' if threads > 1 else ''}", r[0],
            r[1], ">= 2.5x", lambda x: x >= 2.5, runs=r[2])

    entry = bench_medians(os.path.join(work, "memtable_bench.json"), "bytes_per_entry")
    a = next((v for k, v in entry.items() if k.startswith("insert/arenakv")), None)
    r = next((v for k, v in entry.items() if k.startswith("insert/rocksdb")), None)
    add("memory per memtable entry (memtable_bench)", a, r, "<= 0.85x", lambda x: x <= 0.85,
        unit="bytes")

    f = kv("fill", "fillrandom", ops)
    add("engine fill, WAL on, 1 thread", f[0], f[1], ">= 2.5x", lambda x: x >= 2.5, runs=f[2])
    w = kv("fill", "fillrandom", worst)
    add("fillrandom 1M worst write (median of the runs' max)", w[0], w[1], "<= 1x",
        lambda x: x <= 1, unit="us", runs=w[2])
    q = kv("fill", "fillrandom", p999)
    add("fillrandom 1M p99.9", q[0], q[1], "<= 0.8x", lambda x: x <= 0.8, unit="us", runs=q[2])

    for workload, label, goal in (("readrandom", "engine readrandom (data in SSTs, 8 MiB cache)",
                                   1.5),
                                  ("readwhilewriting", "readwhilewriting", 2.0),
                                  ("seekrandom", "seekrandom + 10 nexts", 1.5)):
        s = kv("ssts", workload, ops)
        add(label, s[0], s[1], f">= {goal}x", lambda x, g=goal: x >= g, runs=s[2])

    if glob.glob(os.path.join(work, "sustained-*.json")):
        s = kv("sustained", "fillrandom", ops)
        add("sustained fill 4M x 1000 B (compaction-bound)", s[0], s[1], ">= 1.3x",
            lambda x: x >= 1.3, runs=s[2])
        s = kv("sustained", "fillrandom", p999)
        add("sustained fill p99.9", s[0], s[1], "<= 1x", lambda x: x <= 1, unit="us", runs=s[2])
        s = kv("sustained", "fillrandom", worst)
        add("sustained fill worst write", s[0], s[1], "<= 1x", lambda x: x <= 1, unit="us",
            runs=s[2])

    alloc = bench_medians(os.path.join(work, "alloc_bench.json"), "items_per_second")
    for mode in ("cold", "warm"):
        for threads in (1, 2):
            def find(backend):
                return next((v for k, v in alloc.items()
                             if k.startswith(f"memtable_{mode}/{backend}/")
                             and k.endswith(f"threads:{threads}")), None)
            add(f"allocator memtable pattern, {mode}, {threads} thread{'s' if threads > 1 else ''}"
                " (vs mimalloc heap)", find("arenakv"), find("mimalloc"), ">= 1.5x",
                lambda x: x >= 1.5, unit="allocs/s")

    with open(out_path, "w") as f:
        json.dump({"what": "issue 15's rows: medians of 3 runs per engine, engines alternating; "
                           "ratio = arenakv median / peer median (RocksDB 7.8.3; mimalloc for "
                           "the allocator rows)",
                   "commit": commit, "machine": machine, "rows": rows}, f, indent=1)
        f.write("\n")

    def fmt(v, unit):
        if v is None:
            return "-"
        if unit == "us":
            return f"{v:,.1f} us" if v < 1000 else f"{v / 1000:,.1f} ms"
        if unit == "bytes":
            return f"{v:.1f} B"
        return f"{v:,.0f}"

    print("| workload | arenakv | peer | arenakv / peer | goal | met |")
    print("|---|---:|---:|---:|---|---|")
    for row in rows:
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        met = "-" if row["met"] is None else ("yes" if row["met"] else "**no**")
        print(f"| {row['row']} | {fmt(row['arenakv'], row['unit'])} | "
              f"{fmt(row['peer'], row['unit'])} | {ratio} | {row['goal']} | {met} |")
    print(f"\nJSON: {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
