// SPDX-License-Identifier: Apache-2.0
// TableFile: one open table file of the DB, with the manifest's record of it
// (FileMetaData) and its reader (Table). Shared (TableFileRef) by every
// Version that contains it and by the iterators reading it.
//
// Lifetime: when a flush or compaction removes the file from the current
// Version it is marked obsolete; the file is deleted from disk when the last
// holder lets go. Thread-safe: meta() and table() are immutable, and
// MarkObsolete may race with readers (a relaxed flag read once, at
// destruction, after every holder is gone).
#ifndef ARENAKV_MVCC_VERSION_TABLE_FILE_H_
#define ARENAKV_MVCC_VERSION_TABLE_FILE_H_

#include <arenakv/mvcc/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/table/table.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_edit.h"

namespace arenakv {

class TableFile {
 public:
  TableFile(FileMetaData meta, std::unique_ptr<Table> table, FileSystem* fs, std::string path)
      : meta_(std::move(meta)), table_(std::move(table)), fs_(fs), path_(std::move(path)) {}
  ~TableFile();
  TableFile(const TableFile&) = delete;
  TableFile& operator=(const TableFile&) = delete;

  const FileMetaData& meta() const { return meta_; }
  const Table& table() const { return *table_; }
  // The file is deleted from disk when this object is destroyed.
  void MarkObsolete() { obsolete_.store(true, std::memory_order_relaxed); }

 private:
  const FileMetaData meta_;
  const std::unique_ptr<Table> table_;
  FileSystem* const fs_;
  const std::string path_;
  std::atomic<bool> obsolete_{false};
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
