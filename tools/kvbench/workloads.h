// SPDX-License-Identifier: Apache-2.0
// WorkloadRunner: runs kvbench's named workloads (options.h KnownBenchmarks)
// against one Engine, each on `--threads` client threads, and measures them.
//
// Workloads, in the terms of the options:
//   fillseq       num puts, keys in order (each thread a contiguous range)
//   fillrandom    num puts, uniformly random keys in [0, num)
//   overwrite     num puts, keys by --distribution
//   fillsync      num/1000 (at least 1) puts with sync, uniform keys
//   readrandom    reads gets, keys by --distribution
//   readmissing   reads gets of keys that were never written
//   readseq       up to reads entries of a forward scan from the first key
//   readreverse   the same backwards from the last key
//   seekrandom    reads seeks by --distribution, each followed by --seek-nexts Next(),
//                 all on one iterator per thread (it keeps the files it opened on)
//   readwhilewriting  readrandom, while one extra thread puts until the readers end
//                 (only the readers are measured)
//   deleterandom  num deletes, keys by --distribution
//   ycsb-a..f     reads operations of the YCSB core mixes: A 50% read/50% update,
//                 B 95/5, C read only, D 95% read-latest/5% insert, E 95% scans of
//                 1..100 entries/5% insert, F 50% read/50% read-modify-write.
//   txn-transfer  reads transactions, each moving a random amount between two
//                 accounts chosen by --distribution (keys [0, num), every balance
//                 set to 1000 first, unmeasured) with GetForUpdate, two Puts and a
//                 commit, retried until it commits; an operation is one committed
//                 transfer, retries included. Reports the aborts (commits that
//                 found a conflict), and fails if the balances' sum changed.
//   waitforcompaction  no operations: returns once the engine's flushes and
//                 compactions are done; after 10 minutes it warns, sets
//                 `settled` false and lets the next workload run. It ignores
//                 --duration and --hold-iterators.
// With --duration > 0 every other workload runs for that long instead of by
// count.
//
// Thread safety: Run is called by one thread at a time; it starts and joins
// its client threads itself. The runner borrows the engine and the optional
// Progress (both must outlive it) and owns the shared generators.
#ifndef ARENAKV_TOOLS_KVBENCH_WORKLOADS_H_
#define ARENAKV_TOOLS_KVBENCH_WORKLOADS_H_

#include <arenakv/mvcc/status.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/kvbench/engine.h"
#include "tools/kvbench/generators.h"
#include "tools/kvbench/histogram.h"
#include "tools/kvbench/interval_series.h"
#include "tools/kvbench/options.h"
#include "tools/kvbench/progress.h"
#include "tools/kvbench/zipfian.h"

namespace arenakv::kvbench {

struct WorkloadResult {
  std::string workload;
  std::string engine;
  std::uint64_t ops = 0;                  // measured operations, all threads
  std::uint64_t found = 0;                // point reads that found their key
  std::uint64_t bytes = 0;                // user bytes moved (keys + values read or written)
  std::uint64_t bytes_written = 0;        // user bytes written (for write amplification)
  std::uint64_t background_ops = 0;       // readwhilewriting's unmeasured writer puts
  std::uint64_t aborts = 0;               // txn-transfer's commits that found a conflict
  double seconds = 0;                     // wall time from start to the last thread's end
  Histogram latency;                      // nanoseconds per operation, merged
  std::vector<IntervalSample> intervals;  // --report-interval's time series
  bool settled = true;                    // waitforcompaction: the engine went idle in time
  // Highest resident bytes of the process during the workload, and resident
  // bytes when it started (process_memory.h); nullopt when not measurable.
  std::optional<std::uint64_t> peak_rss_bytes;
  std::optional<std::uint64_t> start_rss_bytes;

  double abort_rate() const {
    return ops + aborts > 0 ? static_cast<double>(aborts) / static_cast<double>(ops + aborts) : 0;
  }
  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double mb_per_sec() const {
    return seconds > 0 ? static_cast<double>(bytes) / seconds / (1024.0 * 1024.0) : 0;
  }
};

class WorkloadRunner {
 public:
  // `zipf` is shared (may be nullptr when neither --distribution zipfian nor
  // ycsb-d is used); it must outlive the runner. `progress`, when not null,
  // is started and finished around each workload and fed its finished
  // operations in batches.
  WorkloadRunner(const BenchOptions& options, Engine* engine, const ZipfianTable* zipf,
                 Progress* progress = nullptr);

  // Runs workload `name` (one of KnownBenchmarks()) and fills *result. Returns
  // the first engine error any thread saw (NotFound from reads is not one).
  Status Run(const std::string& name, WorkloadResult* result);

 private:
  struct Thread;
  enum class Op { kRead, kUpdate, kInsert, kScan, kReadModifyWrite, kReadLatest };

  template <typename Body>
  Status RunThreads(int threads, std::uint64_t total, Body body, WorkloadResult* result);

  std::uint64_t ChooseKey(Random& rng) const;
  std::uint64_t ChooseLatestKey(Random& rng) const;

  Status Write(Thread& t, std::uint64_t index, bool sync);
  Status Read(Thread& t, std::string_view key);
  Status Scan(Thread& t, std::uint64_t start, std::uint64_t entries);
  Status Sequential(Thread& t, bool forward);
  // Each operation is `first` with probability first_percent/100, else `second`.
  Status Mix(Thread& t, Op first, int first_percent, Op second);
  // txn-transfer: sets the balances, runs the transfers, checks the sum.
  Status TransferWorkload(int threads, std::uint64_t total, WorkloadResult* result);

  const BenchOptions& options_;
  Engine* const engine_;
  const ZipfianTable* const zipf_;
  Progress* const progress_;  // may be null
  const ValuePool values_;
  // Keys [0, key_count_) may exist: num after the fills, grown by YCSB inserts.
  std::atomic<std::uint64_t> key_count_;
  std::uint64_t runs_ = 0;  // workloads run so far: varies each one's random seed
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_WORKLOADS_H_
