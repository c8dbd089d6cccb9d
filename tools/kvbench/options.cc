// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

namespace arenakv::kvbench {

const std::vector<std::string>& KnownBenchmarks() {
  static const std::vector<std::string> kNames = {
      "fillseq",      "fillrandom", "overwrite",    "fillsync",         "readrandom",
      "readmissing",  "readseq",    "readreverse",  "seekrandom",       "readwhilewriting",
      "deleterandom", "ycsb-a",     "ycsb-b",       "ycsb-c",           "ycsb-d",
      "ycsb-e",       "ycsb-f",     "txn-transfer", "waitforcompaction"};
  return kNames;
}

namespace {

// Checks what CLI11's per-option validators cannot: names and cross-field rules.
std::optional<std::string> Validate(const BenchOptions& o) {
  if (o.benchmarks.empty()) return "--benchmarks: no workload given";
  for (const std::string& name : o.benchmarks) {
    const auto& known = KnownBenchmarks();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ",") + k;
      return "--benchmarks: unknown workload '" + name + "' (known: " + list + ")";
    }
  }
  if (o.engines.empty()) return "--engines: no engine given";
  for (const std::string& name : o.engines) {
    if (name != "arenakv" && name != "rocksdb") {
      return "--engines: unknown engine '" + name + "' (known: arenakv,rocksdb)";
    }
  }
  if (o.zipfian() && !(o.zipf_theta > 0.0 && o.zipf_theta < 1.0)) {
    return "--zipf-theta must be in (0, 1)";
  }
  // Also rejects NaN, which CLI11's Range lets through.
  if (!(o.max_bytes_for_level_multiplier >= 1.0 && o.max_bytes_for_level_multiplier <= 1000.0)) {
    return "--max-bytes-for-level-multiplier must be in [1, 1000]";
  }
  if (o.use_existing_db && o.db.empty()) return "--use-existing-db needs --db";
  return std::nullopt;
}

}  // namespace

std::optional<int> ParseOptions(int argc, char** argv, BenchOptions* options) {
  BenchOptions& o = *options;
  CLI::App app{
      "kvbench: runs key-value workloads against arenakv (and RocksDB when built with it), "
      "one DB per engine, and prints throughput and latency side by side."};
  app.add_option("--benchmarks", o.benchmarks,
                 "Comma-separated workloads, run in order on the same DB per engine")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--engines", o.engines, "Comma-separated engines: arenakv,rocksdb")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--num", o.num, "Keys written by the fill workloads")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--reads", o.reads, "Operations of read and mixed workloads (0 = --num)")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Client threads per workload")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--key-size", o.key_size, "Key bytes (8-byte big-endian index + padding)")
      ->check(CLI::Range(std::size_t{8}, std::size_t{64} << 10))
      ->capture_default_str();
  app.add_option("--value-size", o.value_size, "Value bytes")
      ->check(CLI::Range(std::size_t{0}, std::size_t{64} << 20))
      ->capture_default_str();
  app.add_option("--distribution", o.distribution, "Key choice of random operations")
      ->check(CLI::IsMember({"uniform", "zipfian"}))
      ->capture_default_str();
  app.add_option("--zipf-theta", o.zipf_theta, "Zipfian skew, in (0, 1)")->capture_default_str();
  app.add_option("--write-buffer-size", o.write_buffer_size, "Memtable bytes, both engines")
      ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 40))
      ->capture_default_str();
  app.add_option("--cache-size", o.cache_size, "Block cache bytes (0 = none)")
      ->capture_default_str();
  app.add_option("--max-open-files", o.max_open_files,
                 "Table files kept open, both engines (-1 = all, else >= 20)")
      ->check(CLI::IsMember({-1}) | CLI::Range(20, 1 << 30))
      ->capture_default_str();
  // The range also rejects "-1", which CLI11 reads as SIZE_MAX.
  app.add_option("--memory-budget", o.memory_budget,
                 "Hard memory budget in bytes, both engines (0 = none; arenakv: "
                 "Options::memory_budget; RocksDB: a strict-capacity LRU cache as block cache, "
                 "a WriteBufferManager charging memtables to it, index and filter blocks in it; "
                 "arenakv also scales its level targets down with its memtables, RocksDB keeps "
                 "--max-bytes-for-level-base)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 50))
      ->capture_default_str();
  app.add_option("--level0-file-num-compaction-trigger", o.level0_file_num_compaction_trigger,
                 "Level-0 files that start a compaction, both engines")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  app.add_option(
         "--delayed-write-rate", o.delayed_write_rate,
         "Bytes per second writes are held to at the level-0 slowdown trigger, both engines")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--target-file-size-base", o.target_file_size_base,
                 "Bytes of a compaction output file, both engines")
      ->check(CLI::Range(std::uint64_t{64} << 10, std::uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--max-bytes-for-level-base", o.max_bytes_for_level_base,
                 "Size target of level 1 in bytes, both engines")
      ->check(CLI::Range(std::uint64_t{64} << 10, std::uint64_t{1} << 50))
      ->capture_default_str();
  app.add_option("--max-bytes-for-level-multiplier", o.max_bytes_for_level_multiplier,
                 "Size target of level n+1 / level n, in [1, 1000], both engines")
      ->capture_default_str();
  app.add_option("--compression", o.compression, "Data block compression, every level")
      ->check(CLI::IsMember({"none", "lz4", "zstd"}))
      ->capture_default_str();
  app.add_option("--seek-nexts", o.seek_nexts, "Next() calls after each seek in seekrandom")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--hold-iterators", o.hold_iterators,
                 "Iterators each workload (but waitforcompaction) opens first (each on its own "
                 "key) and holds until it ends, pinning what they read")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app.add_flag("--sync", o.sync, "fdatasync every write (fillsync always syncs)");
  app.add_flag("--disable-wal", o.disable_wal, "Write without the write-ahead log");
  app.add_flag("--recycle-memtables", o.recycle_memtables,
               "arenakv: keep a flushed memtable's pages for the next one (Options)");
  app.add_flag("--memtable-huge-pages", o.memtable_huge_pages,
               "arenakv: transparent huge pages for memtable arenas (Options)");
  app.add_flag("--lower-background-priority", o.lower_background_priority,
               "Flush and compaction threads at the lowest CPU priority (arenakv: Options; "
               "RocksDB: Env::LowerThreadPoolCPUPriority, for every later run in the process)");
  app.add_option("--db", o.db,
                 "DB directory (one subdirectory per engine); default: a fresh temporary "
                 "directory removed at the end");
  app.add_flag("--use-existing-db", o.use_existing_db,
               "Open the DBs under --db as they are instead of destroying them first");
  app.add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
  app.add_option("--duration", o.duration, "Seconds per workload (0 = run by count)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--report-interval", o.report_interval,
                 "Seconds per sample of a throughput and latency time series per workload "
                 "(in the --json report; 0 = none)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--json", o.json, "Also write machine info, options and results here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (std::optional<std::string> error = Validate(o)) {
    std::fprintf(stderr, "kvbench: %s\n", error->c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace arenakv::kvbench
