// SPDX-License-Identifier: Apache-2.0
#include "mvcc/version/table_file.h"

#include <utility>

namespace arenakv {

TableFile::TableFile(FileMetaData meta, std::shared_ptr<const Table> pinned, FileSystem* fs,
                     std::string path)
    : meta_(std::move(meta)), pinned_(std::move(pinned)), fs_(fs), path_(std::move(path)) {}

TableFile::TableFile(FileMetaData meta, TableCache* cache, std::uint64_t block_cache_id,
                     FileSystem* fs, std::string path)
    : meta_(std::move(meta)),
      cache_(cache),
      block_cache_id_(block_cache_id),
      fs_(fs),
      path_(std::move(path)) {}

TableFile::~TableFile() {
  // The cached reader goes with its TableFile (there is one per file): an
  // abandoned output or a deleted file must not hold a descriptor.
  if (cache_ != nullptr) cache_->Erase(meta_.number);
  if (obsolete_.load(std::memory_order_relaxed)) {
    (void)fs_->RemoveFile(path_);  // a leftover is deleted at the next Open
  }
}

Status TableFile::GetTable(std::shared_ptr<const Table>* table, ReaderUse use) const {
  if (pinned_ != nullptr) {
    *table = pinned_;
    return Status::OK();
  }
  Status s = cache_->Find(meta_, block_cache_id_, table, use);
  // Written once (a store on every Get would bounce the line between readers).
  if (s.ok() && num_entries_.load(std::memory_order_relaxed) == kUnknown) {
    num_entries_.store((*table)->properties().num_entries, std::memory_order_relaxed);
  }
  return s;
}

std::uint64_t TableFile::NumEntries() const {
  if (pinned_ != nullptr) return pinned_->properties().num_entries;
  std::uint64_t n = num_entries_.load(std::memory_order_relaxed);
  if (n != kUnknown) return n;
  std::shared_ptr<const Table> table;
  return GetTable(&table).ok() ? table->properties().num_entries : 0;
}

std::unique_ptr<InternalIterator> TableFile::NewIterator(bool verify_checksums, bool fill_cache,
                                                         ReaderUse use, bool key_first) const {
  if (pinned_ != nullptr) return pinned_->NewIterator(verify_checksums, fill_cache, key_first);
  std::shared_ptr<const Table> table;
  const Status s = GetTable(&table, use);
  if (!s.ok()) return std::make_unique<ErrorIterator>(s);
  return Table::NewIterator(std::move(table), verify_checksums, fill_cache, key_first);
}

std::uint64_t TotalBytes(const std::vector<TableFileRef>& files) {
  std::uint64_t total = 0;
  for (const TableFileRef& f : files) total += f->meta().file_size;
  return total;
}

}  // namespace arenakv
