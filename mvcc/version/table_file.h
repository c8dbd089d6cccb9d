// SPDX-License-Identifier: Apache-2.0
// TableFile: one table file of the DB, with the manifest's record of it
// (FileMetaData) and the way to its reader (Table). Shared (TableFileRef) by
// every Version that contains it and by the iterators reading it.
//
// Readers: with max_open_files -1 the reader is opened with the TableFile and
// held for life (pinned). Otherwise it lives in the DB's TableCache, opened on
// first use and closed when evicted; GetTable and NewIterator hand out a
// shared reference that keeps it open while a Get or iterator uses it.
//
// Lifetime: when a flush or compaction removes the file from the current
// Version it is marked obsolete; the file is deleted from disk (and its
// reader dropped from the table cache) when the last holder lets go.
// Thread-safe: meta(), GetTable() and NewIterator() may be called from any
// thread; MarkObsolete may race with readers (a relaxed flag read once, at
// destruction, after every holder is gone). The TableCache must outlive
// every TableFile using it.
#ifndef ARENAKV_MVCC_VERSION_TABLE_FILE_H_
#define ARENAKV_MVCC_VERSION_TABLE_FILE_H_

#include <arenakv/mvcc/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/table/table.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/table_cache.h"
#include "mvcc/version/version_edit.h"

namespace arenakv {

class TableFile {
 public:
  // A file whose reader `pinned` stays open for life.
  TableFile(FileMetaData meta, std::shared_ptr<const Table> pinned, FileSystem* fs,
            std::string path);
  // A file read through `cache` (opened there on demand); its data blocks
  // are cached in the block cache under block_cache_id whenever it is open.
  TableFile(FileMetaData meta, TableCache* cache, std::uint64_t block_cache_id, FileSystem* fs,
            std::string path);
  ~TableFile();
  TableFile(const TableFile&) = delete;
  TableFile& operator=(const TableFile&) = delete;

  const FileMetaData& meta() const { return meta_; }
  // The open reader: the pinned one, or the table cache's (opening the file
  // if it is not cached; the error if that fails; `use`: TableCache::Find's).
  Status GetTable(std::shared_ptr<const Table>* table, ReaderUse use = ReaderUse::kBrief) const;
  // The same for a caller that only needs it briefly: *table is valid while
  // this TableFile and *holder live. A pinned reader costs no reference
  // count (the read path's common case).
  Status Reader(std::shared_ptr<const Table>* holder, const Table** table) const {
    if (pinned_ != nullptr) {
      *table = pinned_.get();
      return Status::OK();
    }
    Status s = GetTable(holder);
    *table = holder->get();
    return s;
  }
  // An iterator over the file that keeps its reader open; when the file
  // cannot be opened, an empty iterator reporting why.
  // fill_cache, key_first: Table::NewIterator's; use: TableCache::Find's.
  std::unique_ptr<InternalIterator> NewIterator(bool verify_checksums, bool fill_cache = true,
                                                ReaderUse use = ReaderUse::kBrief,
                                                bool key_first = false) const;
  // Entries in the file (its properties): remembered from the first open, so
  // an estimate over every file does not reopen evicted ones; 0 if the file
  // cannot be opened.
  std::uint64_t NumEntries() const;
  // The file is deleted from disk when this object is destroyed.
  void MarkObsolete() { obsolete_.store(true, std::memory_order_relaxed); }

 private:
  const FileMetaData meta_;
  const std::shared_ptr<const Table> pinned_;  // null: read through cache_
  TableCache* const cache_ = nullptr;
  const std::uint64_t block_cache_id_ = 0;
  FileSystem* const fs_;
  const std::string path_;
  std::atomic<bool> obsolete_{false};
  // NumEntries() once known, else kUnknown. Relaxed: a plain cached value,
  // every thread computes the same one.
  static constexpr std::uint64_t kUnknown = ~std::uint64_t{0};
  mutable std::atomic<std::uint64_t> num_entries_{kUnknown};
};
using TableFileRef = std::shared_ptr<TableFile>;

// Bytes of all `files` on disk.
std::uint64_t TotalBytes(const std::vector<TableFileRef>& files);

inline std::string_view SmallestUserKey(const TableFile& f) {
  return ExtractUserKey(f.meta().smallest);
}
inline std::string_view LargestUserKey(const TableFile& f) {
  return ExtractUserKey(f.meta().largest);
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_TABLE_FILE_H_
