// SPDX-License-Identifier: Apache-2.0
// Engine: the narrow key-value interface kvbench drives, with one adapter per
// engine (engine_arenakv.cc, engine_rocksdb.cc) so every workload runs the
// same code against each. Errors are arenakv::Status; the RocksDB adapter
// translates its own.
//
// Thread safety: Put/Get/Delete/NewCursor/Transfer may be called from any number of
// threads at once (both engines allow it). A Cursor is used by one thread.
// WaitForBackgroundWork and Stats are called after the workloads, by main.
// The Engine owns its DB; cursors must be destroyed before it.
#ifndef ARENAKV_TOOLS_KVBENCH_ENGINE_H_
#define ARENAKV_TOOLS_KVBENCH_ENGINE_H_

#include <arenakv/mvcc/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/kvbench/options.h"

namespace arenakv::kvbench {

// A forward/backward iterator over the latest state at its creation.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual const char* name() const = 0;
  // sync: fdatasync before returning; the WAL setting comes from the options
  // the engine was opened with.
  virtual Status Put(std::string_view key, std::string_view value, bool sync) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // NotFound when absent.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<Cursor> NewCursor() = 0;
  // One optimistic transaction (txn-transfer) at snapshot isolation: reads
  // both balances (decimal strings) with GetForUpdate at the snapshot taken
  // when it began, writes `from` - amount and `to` + amount, and commits
  // with the engine's write options. *committed is false when the commit
  // found a conflicting write (nothing written; the caller retries).
  virtual Status Transfer(std::string_view from, std::string_view to, std::int64_t amount,
                          bool* committed) = 0;
  // Engine statistics printed after a run: (label, value) pairs, including
  // files per level and, for arenakv, the memtable arena stats.
  virtual std::vector<std::pair<std::string, std::string>> Stats() = 0;
  // Returns once no flush or compaction is queued or running, so what the
  // engine wrote for the workloads has been written. Busy when that has not
  // happened within `limit`.
  virtual Status WaitForBackgroundWork(std::chrono::milliseconds limit) = 0;
};

// Calls `idle` every 10 ms until it sets *done, for at most `limit`. Returns
// the first error `idle` returns, Busy when `limit` passes first.
Status PollUntilIdle(const std::function<Status(bool* done)>& idle,
                     std::chrono::milliseconds limit);

// Opens the named engine's DB in `path` configured from `options` (same write
// buffer, WAL, sync, block cache, LSM shape and compression for both engines).
// Unless options.use_existing_db, destroys whatever DB is at `path` first.
// NotSupported for "rocksdb" when kvbench was built without RocksDB.
Status OpenEngine(const std::string& name, const BenchOptions& options, const std::string& path,
                  std::unique_ptr<Engine>* engine);

// A balance written by txn-transfer, parsed; Corruption if it is not a number.
Status ParseBalance(std::string_view text, std::int64_t* balance);

// Whether this build of kvbench includes the named engine.
bool EngineBuiltIn(const std::string& name);

// Per-engine factories; OpenEngine dispatches to them.
Status OpenArenakvEngine(const BenchOptions& options, const std::string& path,
                         std::unique_ptr<Engine>* engine);
Status OpenRocksdbEngine(const BenchOptions& options, const std::string& path,
                         std::unique_ptr<Engine>* engine);

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_ENGINE_H_
