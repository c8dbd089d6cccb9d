#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs kvbench with --json and checks the report: every section and key is
present, each result has positive ops/s and ordered latency percentiles, the
LSM shape flags are echoed, and the engine's write amplification (bytes it
passed to write syscalls / user bytes) is at least 1, the WAL alone writing
every user byte. Also checks that bad LSM shape values exit 2.

usage: check_kvbench_json.py KVBENCH OUTPUT.json [extra kvbench args...]
Exits non-zero with a message on the first failed check."""
import json
import os
import subprocess
import sys


def fail(message):
    print("check_kvbench_json: " + message, file=sys.stderr)
    sys.exit(1)


def require(obj, keys, where):
    for key in keys:
        if key not in obj:
            fail("%s: missing key %r" % (where, key))


def main():
    if len(sys.argv) < 3:
        fail("usage: check_kvbench_json.py KVBENCH OUTPUT.json [args...]")
    kvbench, out = sys.argv[1], sys.argv[2]
    benchmarks = ["fillrandom", "readrandom", "ycsb-b"]
    shape = {"level0_file_num_compaction_trigger": 3, "target_file_size_base": 1 << 20,
             "max_bytes_for_level_base": 4 << 20, "max_bytes_for_level_multiplier": 8,
             "compression": "none"}
    shape_args = []
    for key, value in shape.items():
        shape_args += ["--" + key.replace("_", "-"), str(value)]
    for bad in [["--level0-file-num-compaction-trigger", "0"],
                ["--target-file-size-base", "1"],
                ["--max-bytes-for-level-base", "-5"],
                ["--max-bytes-for-level-multiplier", "0.5"],
                ["--compression", "snappy"]]:
        run = subprocess.run([kvbench, "--num", "10"] + bad, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if run.returncode != 2:
            fail("%s exited %d, expected 2" % (" ".join(bad), run.returncode))
    cmd = [kvbench, "--engines", "arenakv", "--num", "2000", "--reads", "500",
           "--benchmarks", ",".join(benchmarks), "--json", out] + shape_args + sys.argv[3:]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        fail("kvbench exited %d: %s" % (run.returncode, run.stderr))
    with open(out, encoding="utf-8") as f:
        report = json.load(f)

    require(report, ["tool", "commit", "build", "machine", "options", "results", "engines"],
            "report")
    require(report["machine"], ["cpu_model", "cores", "memory_bytes"], "machine")
    if report["machine"]["cores"] <= 0:
        fail("machine.cores is not positive")
    require(report["options"], ["benchmarks", "engines", "num", "reads", "threads", "key_size",
                                "value_size", "distribution", "zipf_theta",
                                "write_buffer_size", "cache_size", "sync", "disable_wal",
                                "db", "use_existing_db", "seed", "duration"] + list(shape),
            "options")
    for key, value in shape.items():
        if report["options"][key] != value:
            fail("options.%s is %r, expected %r" % (key, report["options"][key], value))
    if report["options"]["benchmarks"] != benchmarks:
        fail("options.benchmarks is %r" % report["options"]["benchmarks"])

    results = report["results"]
    if [r.get("workload") for r in results] != benchmarks:
        fail("results are %r, expected one per workload in order" % results)
    for r in results:
        where = "result %s/%s" % (r.get("workload"), r.get("engine"))
        require(r, ["engine", "ops", "seconds", "ops_per_sec", "mb_per_sec", "found",
                    "latency_us", "peak_rss_bytes", "start_rss_bytes"], where)
        peak, start = r["peak_rss_bytes"], r["start_rss_bytes"]
        if (peak is None) != (start is None):
            fail(where + ": peak_rss_bytes and start_rss_bytes must be both known or both null")
        if peak is not None and not 0 < start <= peak:
            fail(where + ": peak RSS %r below the RSS it started from %r" % (peak, start))
        if not r["ops_per_sec"] > 0:
            fail(where + ": ops_per_sec is not positive")
        require(r["latency_us"], ["p50", "p99", "p99.9", "max", "mean"], where)
        lat = r["latency_us"]
        if not 0 <= lat["p50"] <= lat["p99"] <= lat["p99.9"] <= lat["max"]:
            fail(where + ": latency percentiles out of order: %r" % lat)
    if results[1]["found"] <= 0:
        fail("readrandom found nothing after fillrandom")

    engines = report["engines"]
    if len(engines) != 1:
        fail("expected one engine summary, got %d" % len(engines))
    summary = engines[0]
    require(summary, ["engine", "db_bytes", "user_bytes_written", "disk_bytes_written",
                      "write_amplification", "space_amplification", "settled", "stats"],
            "engine summary")
    if not summary["space_amplification"] > 0:
        fail("space_amplification is not positive")
    if not summary["settled"]:
        fail("background work did not settle")
    if os.access("/proc/self/io", os.R_OK):
        # The WAL is on, so the engine wrote at least every user byte.
        if summary["write_amplification"] is None or not summary["write_amplification"] >= 1:
            fail("write_amplification is %r, expected >= 1" % summary["write_amplification"])
        if not summary["disk_bytes_written"] >= summary["user_bytes_written"]:
            fail("disk_bytes_written %r < user_bytes_written %r" %
                 (summary["disk_bytes_written"], summary["user_bytes_written"]))
    elif summary["write_amplification"] is not None or summary["disk_bytes_written"] is not None:
        fail("/proc/self/io is unreadable, yet disk writes were reported")
    require(summary["stats"], ["arena reserved_bytes", "arena requested_bytes",
                                  "files per level"], "engine stats")
    print("check_kvbench_json: ok (%d results)" % len(results))


if __name__ == "__main__":
    main()
