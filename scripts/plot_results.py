#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plots kvbench --json reports with matplotlib.

usage: plot_results.py [--time-series] FILE.json [FILE.json ...] -o OUT.png

One report, or several that are not a thread sweep: grouped bars, ops/s per
workload, one bar per engine (per engine and file when there are several
files). Several reports whose options differ only in --threads: a thread
sweep, ops/s against threads, one line per workload and engine.
--time-series: reports run with kvbench --report-interval; throughput and
the worst latency per interval against time, one line per workload and
engine (and file), so that stalls show.

Exit codes: 0 written, 1 matplotlib missing, 2 bad arguments or input."""
import argparse
import json
import os
import sys

# Options that do not change what was measured: a sweep may differ in them.
IGNORED_OPTIONS = {"threads", "db"}


def fail(message, code=2):
    print("plot_results: " + message, file=sys.stderr)
    sys.exit(code)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read %s: %s" % (path, e))
    if not isinstance(report, dict) or report.get("tool") != "kvbench":
        fail("%s is not a kvbench --json report" % path)
    results = report.get("results")
    if not isinstance(results, list) or not results:
        fail("%s has no results" % path)
    for r in results:
        if not isinstance(r, dict) or not all(k in r for k in ("workload", "engine",
                                                                "ops_per_sec")):
            fail("%s: a result lacks workload, engine or ops_per_sec" % path)
    if not isinstance(report.get("options"), dict):
        fail("%s has no options" % path)
    # waitforcompaction does no operations: nothing to plot.
    report["results"] = [r for r in results if r["workload"] != "waitforcompaction"]
    return report


def is_thread_sweep(reports):
    if len(reports) < 2:
        return False

    def rest(report):
        return {k: v for k, v in report["options"].items() if k not in IGNORED_OPTIONS}

    threads = [r["options"].get("threads") for r in reports]
    return (all(rest(r) == rest(reports[0]) for r in reports)
            and len(set(threads)) == len(threads))


def in_order(items):
    """The distinct items, in first-seen order."""
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def plot_bars(plt, reports, paths):
    workloads = in_order(r["workload"] for rep in reports for r in rep["results"])
    series = []  # (label, {workload: ops/s})
    for rep, path in zip(reports, paths):
        for engine in in_order(r["engine"] for r in rep["results"]):
            label = engine if len(reports) == 1 else "%s (%s)" % (engine,
                                                                 os.path.basename(path))
            series.append((label, {r["workload"]: r["ops_per_sec"]
                                   for r in rep["results"] if r["engine"] == engine}))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(workloads) * max(1, len(series)) / 2), 4.5))
    width = 0.8 / len(series)
    for i, (label, by_workload) in enumerate(series):
        xs = [w + (i - (len(series) - 1) / 2) * width for w in range(len(workloads))]
        ax.bar(xs, [by_workload.get(w, 0) for w in workloads], width, label=label)
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(workloads, rotation=30, ha="right")
    ax.set_ylabel("ops/s")
    ax.set_title("kvbench: ops/s per workload")
    ax.legend()
    return fig


def plot_sweep(plt, reports):
    reports = sorted(reports, key=lambda rep: rep["options"]["threads"])
    threads = [rep["options"]["threads"] for rep in reports]
    keys = in_order((r["workload"], r["engine"]) for rep in reports for r in rep["results"])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for workload, engine in keys:
        points = [(t, r["ops_per_sec"]) for t, rep in zip(threads, reports)
                  for r in rep["results"] if (r["workload"], r["engine"]) == (workload, engine)]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                label="%s / %s" % (workload, engine))
    ax.set_xticks(threads)
    ax.set_xlabel("threads")
    ax.set_ylabel("ops/s")
    ax.set_ylim(bottom=0)  # a scaling curve read from a cut axis exaggerates
    ax.set_title("kvbench: thread sweep")
    ax.legend(fontsize="small")
    return fig


def plot_time_series(plt, reports, paths):
    series = []  # (label, intervals)
    for rep, path in zip(reports, paths):
        for r in rep["results"]:
            if r.get("intervals"):
                label = "%s / %s" % (r["workload"], r["engine"])
                if len(reports) > 1:
                    label += " (%s)" % os.path.basename(path)
                series.append((label, r["intervals"]))
    if not series:
        fail("no result has intervals: run kvbench with --report-interval")
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6.5))
    for label, intervals in series:
        t = [i["end_seconds"] for i in intervals]
        top.plot(t, [i["ops_per_sec"] for i in intervals], label=label)
        bottom.plot(t, [max(i["max_latency_us"], 1) / 1000.0 for i in intervals], label=label)
    top.set_ylabel("ops/s per interval")
    top.set_ylim(bottom=0)
    top.set_title("kvbench: throughput and worst latency per interval")
    top.legend(fontsize="small")
    bottom.set_yscale("log")
    bottom.set_ylabel("max latency (ms, log)")
    bottom.set_xlabel("seconds since the workload started")
    return fig


def main():
    parser = argparse.ArgumentParser(description="Plot kvbench --json reports.")
    parser.add_argument("files", nargs="+", metavar="FILE.json")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.png")
    parser.add_argument("--time-series", action="store_true",
                        help="plot the --report-interval series of each result")
    args = parser.parse_args()
    reports = [load(p) for p in args.files]
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        fail("matplotlib is not installed: run scripts/plot.sh, or "
             "apt-get install python3-matplotlib", code=1)
    if args.time_series:
        fig, kind = plot_time_series(plt, reports, args.files), "time series"
    elif is_thread_sweep(reports):
        fig, kind = plot_sweep(plt, reports), "thread sweep"
    else:
        fig, kind = plot_bars(plt, reports, args.files), "bars"
    fig.tight_layout()
    try:
        fig.savefig(args.output)
    except (OSError, ValueError) as e:
        fail("cannot write %s: %s" % (args.output, e))
    print("plot_results: wrote %s (%s, %d report%s)" % (
        args.output, kind, len(reports),
        "" if len(reports) == 1 else "s"))


if __name__ == "__main__":
    main()
