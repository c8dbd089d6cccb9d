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

bool ShareChargedTable(std::unique_ptr<Table>* table, MemoryBudget* budget,
                       std::shared_ptr<const Table>* shared) {
  if (budget == nullptr) {
    *shared = std::move(*table);
    return true;
  }
  // The charge goes with the reader: the shared pointer aliases the holder,
  // whose destructor runs when the last reference is dropped.
  struct Charged {
    Charged(std::unique_ptr<Table> t, MemoryBudget* b, std::size_t n)
        : table(std::move(t)), budget(b), bytes(n) {}
    Charged(const Charged&) = delete;
    Charged& operator=(const Charged&) = delete;
    ~Charged() {
      table.reset();
      budget->Release(MemoryBudget::Consumer::kTableReaders, bytes);
    }
    std::unique_ptr<Table> table;
    MemoryBudget* budget;
    std::size_t bytes;
  };
  const std::size_t bytes = (*table)->MemoryUsage();
  if (!budget->TryCharge(MemoryBudget::Consumer::kTableReaders, bytes)) return false;
  auto holder = std::make_shared<Charged>(std::move(*table), budget, bytes);
  *shared = std::shared_ptr<const Table>(holder, holder->table.get());
  return true;
}

TableCache::TableCache(std::string dir, FileSystem* fs, TableOptions options,
                       BlockCache* block_cache, bool paranoid, std::size_t capacity,
                       MemoryBudget* budget)
    : dir_(std::move(dir)),
      fs_(fs),
      options_(options),
      block_cache_(block_cache),
      paranoid_(paranoid),
      capacity_(capacity < 1 ? 1 : capacity),
      budget_(budget) {
  if (budget_ != nullptr) budget_->AddReliever(this);
}

TableCache::~TableCache() {
  if (budget_ != nullptr) budget_->RemoveReliever(this);
}

Status TableCache::Find(const FileMetaData& meta, std::uint64_t block_cache_id,
                        std::shared_ptr<const Table>* table, ReaderUse use) {
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
  const std::size_t bytes = opened->MemoryUsage();
  std::shared_ptr<const Table> fresh;
  std::vector<std::shared_ptr<const Table>> evicted;  // closed after unlocking
  // Make room while that frees something (bounded: other threads may take
  // what was freed).
  for (int attempt = 0; !ShareChargedTable(&opened, budget_, &fresh); ++attempt) {
    if (attempt < kReliefAttempts && RelieveAll(bytes) > 0) continue;
    if (use == ReaderUse::kBrief) {
      MutexLock lock(&mu_);
      ++opens_;
      ++uncharged_opens_;
      *table = std::move(opened);
      return Status::OK();
    }
    return Status::MemoryLimit("the memory budget (" + budget_->Describe() +
                               ") has no room for the " + std::to_string(bytes) +
                               "-byte reader of table file " + std::to_string(meta.number) +
                               " that an iterator would hold, and no DB sharing the budget has an "
                               "idle reader or cached block left to free");
  }
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
    lru_.push_front(Entry{meta.number, fresh, bytes});
    index_.emplace(meta.number, lru_.begin());
    bytes_ += bytes;
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().number);
      bytes_ -= lru_.back().bytes;
      evicted.push_back(std::move(lru_.back().table));
      lru_.pop_back();
      ++evictions_;
    }
  }
  *table = std::move(fresh);
  return Status::OK();
}

std::size_t TableCache::Relieve(std::size_t bytes) {
  // Cached blocks first, then idle readers: a reader serves every read of its
  // file, a block only reads of its keys. Closing readers first made reads
  // over more files than the budget holds readers for reopen a table per Get.
  std::size_t freed = block_cache_ != nullptr ? block_cache_->Shed(bytes) : 0;
  if (freed < bytes) freed += CloseIdle(bytes - freed);
  return freed;
}

std::size_t TableCache::RelieveAll(std::size_t bytes) {
  std::size_t freed = Relieve(bytes);
  if (freed < bytes && budget_ != nullptr) freed += budget_->RelieveOthers(bytes - freed, this);
  return freed;
}

bool TableCache::ChargeJob(std::size_t bytes) {
  if (budget_ == nullptr) return false;
  // One round of relief per step: a flush usually starts because the budget
  // is full, and must not empty the cache and close every reader on the way.
  if (budget_->TryCharge(MemoryBudget::Consumer::kCompaction, bytes) ||
      (RelieveAll(bytes) > 0 && budget_->TryCharge(MemoryBudget::Consumer::kCompaction, bytes))) {
    charged_job_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return true;
  }
  uncharged_job_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return false;
}

void TableCache::ReleaseJob(std::size_t bytes) {
  if (bytes == 0) return;
  charged_job_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  budget_->Release(MemoryBudget::Consumer::kCompaction, bytes);
}

std::size_t TableCache::CloseIdle(std::size_t bytes) {
  std::vector<std::shared_ptr<const Table>> closed;  // destroyed after unlocking
  MutexLock lock(&mu_);
  return CloseIdleLocked(bytes, &closed);
}

std::size_t TableCache::CloseIdleLocked(std::size_t bytes,
                                        std::vector<std::shared_ptr<const Table>>* closed) {
  std::size_t released = 0;
  for (auto it = lru_.end(); it != lru_.begin() && released < bytes;) {
    --it;
    // Held by the cache alone (a racing Find that copies it now only
    // delays the release until it lets go).
    if (it->table.use_count() != 1) continue;
    released += it->bytes;
    bytes_ -= it->bytes;
    ++budget_closes_;
    closed->push_back(std::move(it->table));
    index_.erase(it->number);
    it = lru_.erase(it);
  }
  return released;
}

void TableCache::Erase(std::uint64_t number) {
  std::shared_ptr<const Table> erased;  // closed after unlocking
  MutexLock lock(&mu_);
  auto it = index_.find(number);
  if (it == index_.end()) return;
  erased = std::move(it->second->table);
  bytes_ -= it->second->bytes;
  lru_.erase(it->second);
  index_.erase(it);
}

std::size_t TableCache::size() const {
  MutexLock lock(&mu_);
  return lru_.size();
}

std::size_t TableCache::bytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

std::uint64_t TableCache::opens() const {
  MutexLock lock(&mu_);
  return opens_;
}

std::uint64_t TableCache::evictions() const {
  MutexLock lock(&mu_);
  return evictions_;
}

std::uint64_t TableCache::budget_closes() const {
  MutexLock lock(&mu_);
  return budget_closes_;
}

std::uint64_t TableCache::uncharged_opens() const {
  MutexLock lock(&mu_);
  return uncharged_opens_;
}

}  // namespace arenakv
