// SPDX-License-Identifier: Apache-2.0
// BenchOptions: every kvbench command-line setting, and ParseOptions, which
// fills it from argv with CLI11 and validates it.
//
// Thread safety: a plain struct, written once by main before any benchmark
// thread starts and read-only afterwards.
#ifndef ARENAKV_TOOLS_KVBENCH_OPTIONS_H_
#define ARENAKV_TOOLS_KVBENCH_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace arenakv::kvbench {

struct BenchOptions {
  std::vector<std::string> benchmarks = {"fillrandom", "readrandom"};
  std::vector<std::string> engines = {"arenakv"};
  std::uint64_t num = 1000000;  // keys loaded by the fill workloads
  std::uint64_t reads = 0;      // operations of read/mixed workloads; 0 = num
  int threads = 1;
  std::size_t key_size = 16;
  std::size_t value_size = 100;
  std::string distribution = "uniform";  // uniform | zipfian
  double zipf_theta = 0.99;
  std::size_t write_buffer_size = 64 << 20;
  std::size_t cache_size = 64 << 20;
  int max_open_files = -1;        // table readers kept open, both engines; -1 = all
  std::size_t memory_budget = 0;  // hard memory limit in bytes, both engines; 0 = none
  // LSM shape, given to both engines under the same names (RocksDB's defaults).
  int level0_file_num_compaction_trigger = 4;
  std::uint64_t delayed_write_rate = 16 << 20;
  std::uint64_t target_file_size_base = 64 << 20;
  std::uint64_t max_bytes_for_level_base = 256 << 20;
  double max_bytes_for_level_multiplier = 10;
  std::string compression = "none";  // none | lz4 | zstd, every level
  int seek_nexts = 10;
  // Cursors each workload opens first (each Seek'd to its own key, spread
  // over the key space) and holds until it ends: what they pin stays.
  int hold_iterators = 0;
  bool sync = false;
  bool disable_wal = false;
  bool recycle_memtables = false;    // arenakv only
  bool memtable_huge_pages = false;  // arenakv only
  bool lower_background_priority = false;
  std::string db;  // empty: a fresh temporary directory, removed at the end
  bool use_existing_db = false;
  std::uint64_t seed = 301;
  double duration = 0;  // seconds per workload; 0 = run by count
  // Seconds per sample of each workload's throughput and latency time series
  // (WorkloadResult::intervals); 0 = none.
  double report_interval = 0;
  std::string json;  // empty: no JSON report

  bool zipfian() const { return distribution == "zipfian"; }
  std::uint64_t read_ops() const { return reads == 0 ? num : reads; }
};

// The workload names --benchmarks accepts, in documentation order.
const std::vector<std::string>& KnownBenchmarks();

// Parses and validates argv. On success returns nullopt and fills *options.
// Otherwise returns the process exit code: 0 after --help, non-zero after a
// message on stderr for a malformed or invalid argument.
std::optional<int> ParseOptions(int argc, char** argv, BenchOptions* options);

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_OPTIONS_H_
