// SPDX-License-Identifier: Apache-2.0
// TableCache: the open readers (Table) of a DB's table files, at most
// `capacity` of them at once, the least recently used closed first. It is
// what bounds the DB's file descriptors and the memory of index, filter and
// properties blocks at any data size (Options::max_open_files).
//
// Used only with a bounded max_open_files: with -1 every TableFile keeps its
// reader open for life and never asks the cache (table_file.h).
//
// Concurrency: every method is thread-safe; one mutex guards the LRU list and
// the index. A miss opens the table outside the lock (reads of the footer,
// index, filter and properties), so a slow open never blocks hits on other
// files; two threads missing the same file at once may both open it, and the
// second to insert uses the first's reader. Readers evicted by an insert are
// closed after the lock is released.
//
// Ownership: entries are std::shared_ptr<const Table>. Eviction drops the
// cache's reference only: a Get or iterator that holds the reader keeps it
// (and its descriptor) open until it lets go, so at most capacity + (readers
// pinned by live iterators and in-flight Gets) tables are open.
#ifndef ARENAKV_MVCC_VERSION_TABLE_CACHE_H_
#define ARENAKV_MVCC_VERSION_TABLE_CACHE_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

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

class TableCache {
 public:
  // capacity >= 1: readers kept open. Opens as OpenTableReader does.
  TableCache(std::string dir, FileSystem* fs, TableOptions options, BlockCache* block_cache,
             bool paranoid, std::size_t capacity);
  ~TableCache();
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // The reader of table file meta.number, opened if it is not cached (then
  // cached, evicting the least recently used beyond capacity). On failure
  // nothing is cached, so a later call tries again.
  Status Find(const FileMetaData& meta, std::uint64_t block_cache_id,
              std::shared_ptr<const Table>* table) ARENAKV_EXCLUDES(mu_);
  // Drops file `number`'s reader, if cached (its file is being deleted).
  void Erase(std::uint64_t number) ARENAKV_EXCLUDES(mu_);

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const ARENAKV_EXCLUDES(mu_);
  std::uint64_t opens() const ARENAKV_EXCLUDES(mu_);      // misses that opened a file
  std::uint64_t evictions() const ARENAKV_EXCLUDES(mu_);  // readers closed for room

 private:
  struct Entry {
    std::uint64_t number;
    std::shared_ptr<const Table> table;
  };

  const std::string dir_;
  FileSystem* const fs_;
  const TableOptions options_;
  BlockCache* const block_cache_;
  const bool paranoid_;
  const std::size_t capacity_;

  mutable Mutex mu_;
  std::list<Entry> lru_ ARENAKV_GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::uint64_t, std::list<Entry>::iterator> index_ ARENAKV_GUARDED_BY(mu_);
  std::uint64_t opens_ ARENAKV_GUARDED_BY(mu_) = 0;
  std::uint64_t evictions_ ARENAKV_GUARDED_BY(mu_) = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_TABLE_CACHE_H_
