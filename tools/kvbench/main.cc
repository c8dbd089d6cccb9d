// SPDX-License-Identifier: Apache-2.0
// kvbench: a db_bench-style command-line benchmark. Runs the --benchmarks
// workloads in order on one DB per engine (arenakv, and RocksDB when built
// with it), then prints one aligned table comparing them; see workloads.h for
// what each workload does and `kvbench --help` for the options.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "tools/kvbench/engine.h"
#include "tools/kvbench/interrupt_cleanup.h"
#include "tools/kvbench/machine_info.h"
#include "tools/kvbench/options.h"
#include "tools/kvbench/process_io.h"
#include "tools/kvbench/process_memory.h"
#include "tools/kvbench/progress.h"
#include "tools/kvbench/report.h"
#include "tools/kvbench/workloads.h"
#include "tools/kvbench/zipfian.h"

#ifndef ARENAKV_KVBENCH_SOURCE_COMMIT
#define ARENAKV_KVBENCH_SOURCE_COMMIT "unknown"  // tools/CMakeLists.txt sets it
#endif

namespace arenakv::kvbench {
namespace {

namespace fs = std::filesystem;

// Bytes of all regular files under `dir` (0 if it cannot be read).
std::uint64_t DirectoryBytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const std::uintmax_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

// The --db directory, or a fresh temporary one that is removed on destruction.
class DbRoot {
 public:
  static std::optional<DbRoot> Make(const std::string& requested) {
    DbRoot root;
    if (!requested.empty()) {
      root.path_ = requested;
      std::error_code ec;
      fs::create_directories(root.path_, ec);
      if (ec) {
        std::fprintf(stderr, "kvbench: cannot create %s: %s\n", requested.c_str(),
                     ec.message().c_str());
        return std::nullopt;
      }
      return root;
    }
    std::string pattern = (fs::temp_directory_path() / "kvbench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("kvbench: mkdtemp");
      return std::nullopt;
    }
    root.path_ = pattern;
    root.temporary_ = true;
    return root;
  }
  DbRoot(DbRoot&& other) noexcept : path_(std::move(other.path_)), temporary_(other.temporary_) {
    other.temporary_ = false;
  }
  DbRoot& operator=(DbRoot&&) = delete;
  ~DbRoot() {
    if (!temporary_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  bool temporary() const { return temporary_; }

 private:
  DbRoot() = default;
  fs::path path_;
  bool temporary_ = false;
};

bool Contains(const std::vector<std::string>& list, const std::string& name) {
  for (const std::string& s : list) {
    if (s == name) return true;
  }
  return false;
}

// Waits for the engine's flushes and compactions to end, then fills in what
// it wrote since `io_before`. A wait that runs out is reported and the bytes
// written so far are kept, marked unsettled.
void SettleAndMeasure(Engine* engine, const std::optional<ProcessIo>& io_before,
                      EngineSummary* summary) {
  constexpr std::chrono::minutes kSettleLimit(10);
  const auto start = std::chrono::steady_clock::now();
  const Status s = engine->WaitForBackgroundWork(kSettleLimit);
  summary->settle_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary->settled = s.ok();
  if (s.ok()) {
    std::fprintf(stderr, "%s: background work settled after %.2f s\n", engine->name(),
                 summary->settle_seconds);
  } else {
    std::fprintf(stderr, "kvbench: %s: background work did not settle: %s\n", engine->name(),
                 s.ToString().c_str());
  }
  const std::optional<ProcessIo> io_after = ReadProcessIo();
  if (!io_before || !io_after) return;
  summary->disk_bytes_written = io_after->wchar - io_before->wchar;
  if (io_before->write_bytes && io_after->write_bytes) {
    summary->disk_write_bytes = *io_after->write_bytes - *io_before->write_bytes;
  }
}

int Main(int argc, char** argv) {
  BenchOptions options;
  if (std::optional<int> exit_code = ParseOptions(argc, argv, &options)) return *exit_code;
  for (const std::string& engine : options.engines) {
    if (!EngineBuiltIn(engine)) {
      std::fprintf(stderr,
                   "kvbench: engine '%s' is not built in (RocksDB needs librocksdb-dev at "
                   "configure time and -DARENAKV_WITH_ROCKSDB=ON)\n",
                   engine.c_str());
      return 2;
    }
  }
  // The report's path is checked before the run, not after it.
  if (!options.json.empty()) {
    std::ofstream probe(options.json, std::ios::binary | std::ios::app);
    if (!probe) {
      std::fprintf(stderr, "kvbench: cannot write --json %s\n", options.json.c_str());
      return 2;
    }
  }
  std::optional<DbRoot> root = DbRoot::Make(options.db);
  if (!root) return 1;
  if (root->temporary()) (void)RemoveOnInterrupt(root->path());

  // Built once, shared by every engine's runner: zeta(n) costs O(num).
  std::unique_ptr<ZipfianTable> zipf;
  if (options.zipfian() || Contains(options.benchmarks, "ycsb-d")) {
    zipf = std::make_unique<ZipfianTable>(options.num, options.zipf_theta);
  }

  // The live status line only on a terminal: redirected stderr stays a log.
  Progress progress(stderr, isatty(STDERR_FILENO) == 1);
  ResultsByEngine results;
  std::vector<EngineSummary> summaries;
  for (const std::string& name : options.engines) {
    const fs::path path = root->path() / name;
    // Before the open: what the open itself writes (manifest, WAL) counts. So
    // does kvbench's own terminal output meanwhile, under 1 KiB a second.
    const std::optional<ProcessIo> io_before = ReadProcessIo();
    std::unique_ptr<Engine> engine;
    Status s = OpenEngine(name, options, path.string(), &engine);
    if (!s.ok()) {
      std::fprintf(stderr, "kvbench: opening %s at %s: %s\n", name.c_str(), path.c_str(),
                   s.ToString().c_str());
      return 1;
    }
    WorkloadRunner runner(options, engine.get(), zipf.get(), &progress);
    std::vector<WorkloadResult>& runs = results.emplace_back();
    EngineSummary summary;
    summary.engine = name;
    for (const std::string& workload : options.benchmarks) {
      WorkloadResult& result = runs.emplace_back();
      result.start_rss_bytes = ResetPeakRss();
      s = runner.Run(workload, &result);
      if (result.start_rss_bytes) result.peak_rss_bytes = ReadPeakRss();
      if (!s.ok()) {
        std::fprintf(stderr, "kvbench: %s on %s failed: %s\n", workload.c_str(), name.c_str(),
                     s.ToString().c_str());
        return 1;
      }
      summary.user_bytes_written += result.bytes_written;
      std::fprintf(stderr, "%s %s: %.0f ops/s\n", name.c_str(), workload.c_str(),
                   result.ops_per_sec());
    }
    SettleAndMeasure(engine.get(), io_before, &summary);
    summary.stats = engine->Stats();
    summary.db_bytes = DirectoryBytes(path);
    PrintEngineSummary(summary, stdout);
    std::fflush(stdout);
    summaries.push_back(std::move(summary));
  }
  PrintWriteAmplificationComparison(summaries, stdout);
  std::printf("\n");
  PrintTable(results, stdout);

  if (!options.json.empty()) {
    std::ofstream out(options.json, std::ios::binary | std::ios::trunc);
    out << ReportJson(options, ReadMachineInfo(), ARENAKV_KVBENCH_SOURCE_COMMIT, results,
                      summaries);
    out.close();
    if (!out) {
      std::fprintf(stderr, "kvbench: cannot write %s\n", options.json.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace arenakv::kvbench

int main(int argc, char** argv) { return arenakv::kvbench::Main(argc, argv); }
