// SPDX-License-Identifier: Apache-2.0
#include "mvcc/version/table_cache.h"

#include <utility>
#include <vector>

#include "mvcc/env/filename.h"

namespace arenakv {

Status CheckTableFileSize(const std::string& dir, FileSystem* fs, const FileMetaData& meta) {
  const std::string path = TableFileName(dir, meta.number);
  std::uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  if (s.IsNotFound()) return Status::Corruption("missing table file " + path);
  if (!s.ok()) return s;
  if (size != meta.file_size) {
    return Status::Corruption("table file " + path + " has " + std::to_string(size) +
                              " bytes, the manifest says " + std::to_string(meta.file_size));
  }
  return Status::OK();
}

Status OpenTableReader(const std::string& dir, FileSystem* fs, const TableOptions& options,
                       BlockCache* block_cache, std::uint64_t block_cache_id,
                       const FileMetaData& meta, bool paranoid, std::unique_ptr<Table>* table) {
  Status s = CheckTableFileSize(dir, fs, meta);
  if (!s.ok()) return s;
  const std::string path = TableFileName(dir, meta.number);
  std::unique_ptr<RandomAccessFile> raw;
  s = fs->NewRandomAccessFile(path, &raw);
  if (!s.ok()) return s;
  s = Table::Open(options, std::move(raw), meta.file_size, block_cache, table, block_cache_id);
  if (s.ok() && paranoid &&
      ((*table)->properties().smallest_key != meta.smallest ||
       (*table)->properties().largest_key != meta.largest)) {
    table->reset();
    s = Status::Corruption("its key range is not the manifest's record of it");
  }
  if (!s.ok()) return s.IsCorruption() ? Status::Corruption(path + ": " + s.message()) : s;
  return Status::OK();
}

TableCache::TableCache(std::string dir, FileSystem* fs, TableOptions options,
                       BlockCache* block_cache, bool paranoid, std::size_t capacity)
    : dir_(std::move(dir)),
      fs_(fs),
      options_(options),
      block_cache_(block_cache),
      paranoid_(paranoid),
      capacity_(capacity < 1 ? 1 : capacity) {}

TableCache::~TableCache() = default;

Status TableCache::Find(const FileMetaData& meta, std::uint64_t block_cache_id,
                        std::shared_ptr<const Table>* table) {
  {
    MutexLock lock(&mu_);
    auto it = index_.find(meta.number);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      *table = it->second->table;
      return Status::OK();
    }
  }
  std::unique_ptr<Table> opened;
  Status s =
      OpenTableReader(dir_, fs_, options_, block_cache_, block_cache_id, meta, paranoid_, &opened);
  if (!s.ok()) return s;
  std::shared_ptr<const Table> fresh(std::move(opened));
  std::vector<std::shared_ptr<const Table>> evicted;  // closed after unlocking
  {
    MutexLock lock(&mu_);
    ++opens_;
    auto it = index_.find(meta.number);
    if (it != index_.end()) {  // another thread opened it meanwhile: use that one
      lru_.splice(lru_.begin(), lru_, it->second);
      *table = it->second->table;
      evicted.push_back(std::move(fresh));
      return Status::OK();
    }
    lru_.push_front(Entry{meta.number, fresh});
    index_.emplace(meta.number, lru_.begin());
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().number);
      evicted.push_back(std::move(lru_.back().table));
      lru_.pop_back();
      ++evictions_;
    }
  }
  *table = std::move(fresh);
  return Status::OK();
}

void TableCache::Erase(std::uint64_t number) {
  std::shared_ptr<const Table> erased;  // closed after unlocking
  MutexLock lock(&mu_);
  auto it = index_.find(number);
  if (it == index_.end()) return;
  erased = std::move(it->second->table);
  lru_.erase(it->second);
  index_.erase(it);
}

std::size_t TableCache::size() const {
  MutexLock lock(&mu_);
  return lru_.size();
}

std::uint64_t TableCache::opens() const {
  MutexLock lock(&mu_);
  return opens_;
}

std::uint64_t TableCache::evictions() const {
  MutexLock lock(&mu_);
  return evictions_;
}

}  // namespace arenakv
