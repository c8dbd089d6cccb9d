#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarize an alloc_bench JSON result as a markdown table.

Usage: python3 bench/summarize_alloc.py bench/results/alloc_<date>_<machine>.json

One row per workload and thread count: allocations per second (millions) of
arenakv, mimalloc, glibc and jemalloc, the arenakv/mimalloc ratio (the one the
targets in docs/BENCHMARKS.md are stated against), arenakv's overhead_pct
counter, and the page faults per cycle of the memtable workloads. With
--benchmark_repetitions the median aggregate is used. Standard library only.
"""

import json
import sys

ALLOCATORS = ("arenakv", "mimalloc", "glibc", "jemalloc")


def parse_name(run_name):
    """'fixed/arenakv/64/min_time:0.200/real_time/threads:2' -> ('fixed/64', 'arenakv')."""
    parts = [p for p in run_name.split("/") if ":" not in p and p != "real_time"]
    workload, allocator = parts[0], parts[1]
    return "/".join([workload] + parts[2:]), allocator


def load_rows(benchmarks):
    has_median = any(b.get("aggregate_name") == "median" for b in benchmarks)
    rows = {}  # (workload, threads) -> {allocator: entry}; insertion order = run order
    for b in benchmarks:
        if has_median and b.get("aggregate_name") != "median":
            continue
        if not has_median and b.get("run_type") == "aggregate":
            continue
        workload, allocator = parse_name(b.get("run_name", b["name"]))
        rows.setdefault((workload, b.get("threads", 1)), {})[allocator] = b
    return rows


def mops(entry):
    if entry is None:
        return None
    if entry.get("error_occurred"):
        return "skipped"
    rate = entry.get("items_per_second")
    return None if rate is None else rate / 1e6


def fmt(value, spec):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return format(value, spec)


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        result = json.load(f)
    ctx = result.get("context", {})
    print(f"alloc_bench {argv[1]}")
    print()
    print(f"- date: {ctx.get('date', '?')}, host: {ctx.get('host_name', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
          f"load average: {ctx.get('load_avg', '?')}")
    for key in (
        "arenakv_build", "malloc_served_by", "mimalloc", "jemalloc", "memtable_entries_per_thread"
    ):
        if key in ctx:
            print(f"- {key}: {ctx[key]}")
    print("- Mops/s = million allocations per second (each with its free, if it has one), "
          "all threads together; xthread_free threads = producer/consumer pairs")
    print()
    print("| workload | threads | arenakv Mops/s | mimalloc Mops/s | arena/mimalloc "
          "| glibc Mops/s | jemalloc Mops/s | arena overhead % | faults/cycle arena / mimalloc |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (workload, threads), entries in load_rows(result.get("benchmarks", [])).items():
        rates = {a: mops(entries.get(a)) for a in ALLOCATORS}
        arena, mimalloc = rates["arenakv"], rates["mimalloc"]
        ratio = None
        if isinstance(arena, float) and isinstance(mimalloc, float) and mimalloc > 0:
            ratio = arena / mimalloc
        overhead = entries.get("arenakv", {}).get("overhead_pct")
        faults = [entries.get(a, {}).get("page_faults") for a in ("arenakv", "mimalloc")]
        faults_text = "-" if faults == [None, None] else " / ".join(fmt(x, ".0f") for x in faults)
        print(f"| {workload} | {threads} | {fmt(arena, '.2f')} | {fmt(mimalloc, '.2f')} "
              f"| {fmt(ratio, '.2f')}x | {fmt(rates['glibc'], '.2f')} "
              f"| {fmt(rates['jemalloc'], '.2f')} | {fmt(overhead, '.1f')} | {faults_text} |"
              .replace("| -x |", "| - |"))


if __name__ == "__main__":
    main(sys.argv)
