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
  std::vector<std::pair<std::string, std::string>> stats;  // Engine::Stats()

  // db_bytes / user_bytes_written; 0 when nothing was written.
  double write_amplification() const {
    return user_bytes_written == 0
               ? 0.0
               : static_cast<double>(db_bytes) / static_cast<double>(user_bytes_written);
  }
};

using ResultsByEngine = std::vector<std::vector<WorkloadResult>>;

// arenakv ops/s divided by rocksdb ops/s for workload w, when both ran it.
std::optional<double> ArenakvVsRocksdb(const ResultsByEngine& results, std::size_t w);

void PrintEngineSummary(const EngineSummary& summary, std::FILE* out);
void PrintTable(const ResultsByEngine& results, std::FILE* out);

std::string ReportJson(const BenchOptions& options, const MachineInfo& machine,
                       const std::string& commit, const ResultsByEngine& results,
                       const std::vector<EngineSummary>& summaries);

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_REPORT_H_
