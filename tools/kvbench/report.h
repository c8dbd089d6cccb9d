// SPDX-License-Identifier: Apache-2.0
// The report: the aligned results table, each engine's after-run summary, and
// the JSON document of --json.
//
// results[e][w] is engine e's result of options.benchmarks[w]; every engine
// ran the same workloads in the same order, so w matches across engines.
//
// Thread safety: plain functions over values; called by main after the runs.
#ifndef ARENAKV_TOOLS_KVBENCH_REPORT_H_
#define ARENAKV_TOOLS_KVBENCH_REPORT_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/kvbench/machine_info.h"
#include "tools/kvbench/options.h"
#include "tools/kvbench/workloads.h"

namespace arenakv::kvbench {

// What one engine left behind after all its workloads.
struct EngineSummary {
  std::string engine;
  std::uint64_t db_bytes = 0;            // bytes of all files under its DB directory
  std::uint64_t user_bytes_written = 0;  // keys + values the workloads wrote
  // Bytes the engine passed to write syscalls from before its open until its
  // background work settled after the last workload (/proc/self/io wchar;
  // see process_io.h). nullopt when /proc/self/io could not be read.
  std::optional<std::uint64_t> disk_bytes_written;
  // The same span's /proc/self/io write_bytes, a second opinion.
  std::optional<std::uint64_t> disk_write_bytes;
  // Seconds spent waiting for flushes and compactions after the last
  // workload; whether they ended within the limit.
  double settle_seconds = 0;
  bool settled = true;
  std::vector<std::pair<std::string, std::string>> stats;  // Engine::Stats()

  // disk_bytes_written / user_bytes_written; nullopt when either is unknown
  // or nothing was written.
  std::optional<double> write_amplification() const {
    if (!disk_bytes_written || user_bytes_written == 0) return std::nullopt;
    return static_cast<double>(*disk_bytes_written) / static_cast<double>(user_bytes_written);
  }
  // db_bytes / user_bytes_written; nullopt when nothing was written.
  std::optional<double> space_amplification() const {
    if (user_bytes_written == 0) return std::nullopt;
    return static_cast<double>(db_bytes) / static_cast<double>(user_bytes_written);
  }
};

using ResultsByEngine = std::vector<std::vector<WorkloadResult>>;

// arenakv ops/s divided by rocksdb ops/s for workload w, when both ran it.
std::optional<double> ArenakvVsRocksdb(const ResultsByEngine& results, std::size_t w);

void PrintEngineSummary(const EngineSummary& summary, std::FILE* out);
// One line comparing arenakv's write amplification with RocksDB's; nothing
// unless both engines are in `summaries`.
void PrintWriteAmplificationComparison(const std::vector<EngineSummary>& summaries, std::FILE* out);
void PrintTable(const ResultsByEngine& results, std::FILE* out);

std::string ReportJson(const BenchOptions& options, const MachineInfo& machine,
                       const std::string& commit, const ResultsByEngine& results,
                       const std::vector<EngineSummary>& summaries);

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_REPORT_H_
