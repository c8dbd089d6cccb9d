// SPDX-License-Identifier: Apache-2.0
// TableCache: the open readers (Table) of a DB's table files, at most
// `capacity` of them at once, the least recently used closed first. With a
// bounded capacity it is what bounds the DB's file descriptors and the memory
// of index, filter and properties blocks at any data size
// (Options::max_open_files).
//
// Used with a bounded max_open_files, and with a memory budget (then with
// max_open_files -1 its capacity is unlimited, and the budget alone closes
// readers). Otherwise every TableFile keeps its reader open for life and
// never asks the cache (table_file.h).
//
// Memory budget: each open reader's memory (Table::MemoryUsage) is charged
// to the budget (MemoryBudget::Consumer::kTableReaders) from its open until
// its last reference is dropped. When the budget refuses a reader, Find
// sheds the block cache and then closes idle readers (held by the cache
// alone), least recently used first, then asks the other DBs sharing the
// budget to do the same, as long as that frees something. If there is still
// no room (memtables or live iterators hold it), what happens depends on how long the caller holds
// the reader (ReaderUse): an iterator gets MemoryLimit; a Get, a verification, a flush or a
// compaction gets the reader uncharged and uncached, closed when that one call or job lets go. So a
// read never fails because memtables fill the budget, and the work that gives memory back never
// fails for lack of it; the uncharged memory is bounded by the calls and jobs in flight (one reader
// per Get) and counted in uncharged_opens(). CloseIdle lets the write path take memory from idle
// readers too.
//
// Concurrency: every method is thread-safe; one mutex guards the LRU list and
// the index. A miss opens the table outside the lock (reads of the footer,
// index, filter and properties), so a slow open never blocks hits on other
// files; two threads missing the same file at once may both open it, and the
// second to insert uses the first's reader. Readers evicted or closed are
// destroyed after the lock is released.
//
// Ownership: entries are std::shared_ptr<const Table>. Eviction drops the
// cache's reference only: a Get or iterator that holds the reader keeps it
// (and its descriptor and charge) until it lets go, so at most capacity +
// (readers pinned by live iterators and in-flight Gets) tables are open.
#ifndef ARENAKV_MVCC_VERSION_TABLE_CACHE_H_
#define ARENAKV_MVCC_VERSION_TABLE_CACHE_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/memory_budget.h>
#include <arenakv/mvcc/status.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "arenakv/base/mutex.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/table.h"
#include "mvcc/version/version_edit.h"

namespace arenakv {

// OK if table file meta.number of `dir` exists with the manifest's size;
// Corruption naming it if not, or the file system's error.
Status CheckTableFileSize(const std::string& dir, FileSystem* fs, const FileMetaData& meta);

// Opens table file meta.number of `dir` (its size must be the manifest's),
// reading and checking its footer, index, filter and properties blocks; with
// `paranoid` also that its key range is meta's. Data blocks are read through
// `block_cache` (may be null) under block_cache_id (0: a new id). Corruption
// names the file.
Status OpenTableReader(const std::string& dir, FileSystem* fs, const TableOptions& options,
                       BlockCache* block_cache, std::uint64_t block_cache_id,
                       const FileMetaData& meta, bool paranoid, std::unique_ptr<Table>* table);

// `table` shared, with its memory (Table::MemoryUsage) charged to `budget`
// until the last reference is dropped; false (and *shared left alone) if the
// budget refuses the charge. A null budget charges nothing. The budget must
// outlive the reader.
bool ShareChargedTable(std::unique_ptr<Table>* table, MemoryBudget* budget,
                       std::shared_ptr<const Table>* shared);

// How long the caller holds a reader, which decides what happens when the
// memory budget has no room for it (see TableCache): kHeld, an iterator
// (MemoryLimit); kBrief, one Get, verification, flush or compaction (an
// uncharged, uncached reader).
enum class ReaderUse { kHeld, kBrief };

class TableCache final : public MemoryBudget::Reliever {
 public:
  static constexpr std::size_t kUnlimited = ~std::size_t{0};

  // capacity >= 1: readers kept open (kUnlimited: as many as the budget
  // allows). Opens as OpenTableReader does. `budget` (may be null; must
  // outlive the cache and every reader) is charged for the open readers.
  TableCache(std::string dir, FileSystem* fs, TableOptions options, BlockCache* block_cache,
             bool paranoid, std::size_t capacity, MemoryBudget* budget = nullptr);
  ~TableCache();
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // The reader of table file meta.number, opened if it is not cached (then
  // cached, evicting the least recently used beyond capacity). On failure
  // nothing is cached, so a later call tries again. MemoryLimit if the
  // memory budget cannot hold the reader even after closing idle ones and
  // shedding the block cache (kHeld only; see the file comment).
  Status Find(const FileMetaData& meta, std::uint64_t block_cache_id,
              std::shared_ptr<const Table>* table, ReaderUse use = ReaderUse::kBrief)
      ARENAKV_EXCLUDES(mu_);
  // Closes readers only the cache holds, least recently used first, until
  // `bytes` of their memory is released or none is left; returns the bytes
  // released.
  std::size_t CloseIdle(std::size_t bytes) ARENAKV_EXCLUDES(mu_);
  // With a memory budget: charges `bytes` of a flush's or compaction's
  // buffers (MemoryBudget::Consumer::kCompaction), after one round of relief
  // (RelieveAll) if the budget refuses them. False, charging nothing,
  // without a budget or if there is still no room: the job goes on
  // uncharged (it gives memory back, so it never fails for lack of it), and
  // the bytes are counted in uncharged_job_bytes().
  bool ChargeJob(std::size_t bytes);
  // Gives back `bytes` ChargeJob charged.
  void ReleaseJob(std::size_t bytes);
  // Drops file `number`'s reader, if cached (its file is being deleted).
  void Erase(std::uint64_t number) ARENAKV_EXCLUDES(mu_);
  // One round of relief for `bytes` the budget refused: sheds the block
  // cache, then closes idle readers for what that did not free; returns the
  // bytes freed. With a budget, the cache is registered as one of its
  // relievers, so the other DBs sharing the budget call this too.
  std::size_t Relieve(std::size_t bytes) override ARENAKV_EXCLUDES(mu_);

  std::size_t capacity() const { return capacity_; }
  MemoryBudget* budget() const { return budget_; }
  std::size_t size() const ARENAKV_EXCLUDES(mu_);
  // Memory of the cached readers (Table::MemoryUsage, what the budget is
  // charged for them; readers evicted but still in use are not counted).
  std::size_t bytes() const ARENAKV_EXCLUDES(mu_);
  std::uint64_t opens() const ARENAKV_EXCLUDES(mu_);      // misses that opened a file
  std::uint64_t evictions() const ARENAKV_EXCLUDES(mu_);  // readers closed for room
  // Readers closed to give their memory back (CloseIdle, and Find's relief).
  std::uint64_t budget_closes() const ARENAKV_EXCLUDES(mu_);
  // kBrief readers opened uncharged because the budget had no room.
  std::uint64_t uncharged_opens() const ARENAKV_EXCLUDES(mu_);
  // Bytes this DB's jobs hold charged now (ChargeJob less ReleaseJob).
  std::size_t charged_job_bytes() const {
    return charged_job_bytes_.load(std::memory_order_relaxed);
  }
  // Bytes ChargeJob could not charge, in all.
  std::uint64_t uncharged_job_bytes() const {
    return uncharged_job_bytes_.load(std::memory_order_relaxed);
  }

 private:
  // Rounds of closing idle readers / shedding the block cache before Find
  // gives up on charging a reader.
  static constexpr int kReliefAttempts = 8;

  struct Entry {
    std::uint64_t number;
    std::shared_ptr<const Table> table;
    std::size_t bytes;  // table->MemoryUsage()
  };

  // Relieve, then for what that did not free the other relievers of the
  // budget (other DBs sharing it); returns the bytes freed.
  std::size_t RelieveAll(std::size_t bytes) ARENAKV_EXCLUDES(mu_);
  // Closes idle readers (as CloseIdle) into *closed, for the caller to drop
  // after unlocking.
  std::size_t CloseIdleLocked(std::size_t bytes, std::vector<std::shared_ptr<const Table>>* closed)
      ARENAKV_REQUIRES(mu_);

  const std::string dir_;
  FileSystem* const fs_;
  const TableOptions options_;
  BlockCache* const block_cache_;
  const bool paranoid_;
  const std::size_t capacity_;
  MemoryBudget* const budget_;

  mutable Mutex mu_;
  std::list<Entry> lru_ ARENAKV_GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::uint64_t, std::list<Entry>::iterator> index_ ARENAKV_GUARDED_BY(mu_);
  std::uint64_t opens_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::uint64_t evictions_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::size_t bytes_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::uint64_t budget_closes_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::uint64_t uncharged_opens_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::atomic<std::size_t> charged_job_bytes_{0};
  std::atomic<std::uint64_t> uncharged_job_bytes_{0};
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_TABLE_CACHE_H_
