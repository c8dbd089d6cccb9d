// SPDX-License-Identifier: Apache-2.0
#include "mvcc/memtable/memtable_recycler.h"

#include <utility>

#include "mvcc/memtable/memtable.h"

namespace arenakv {

MemTableRecycler::MemTableRecycler(std::size_t write_buffer_size, std::size_t capacity,
                                   std::size_t keep_bytes, std::size_t max_idle,
                                   std::shared_ptr<const void> keep_alive)
    : write_buffer_size_(write_buffer_size),
      capacity_(capacity),
      keep_bytes_(keep_bytes),
      max_idle_(max_idle),
      keep_alive_(std::move(keep_alive)) {}

MemTableRecycler::~MemTableRecycler() = default;

MemTable* MemTableRecycler::Take() {
  MutexLock lock(&mu_);
  if (idle_.empty()) return nullptr;
  MemTable* table = idle_.back().release();
  idle_.pop_back();
  reused_.fetch_add(1, std::memory_order_relaxed);
  return table;
}

void MemTableRecycler::Give(MemTable* table) noexcept {
  std::unique_ptr<MemTable> owned(table);
  {
    MutexLock lock(&mu_);
    if (idle_.size() >= max_idle_) return;  // destroyed below, outside the lock
  }
  if (owned->capacity() != capacity_ || owned->write_buffer_size() != write_buffer_size_ ||
      !owned->Recycle(keep_bytes_)) {
    return;
  }
  MutexLock lock(&mu_);
  if (idle_.size() >= max_idle_) return;
  try {
    idle_.push_back(std::move(owned));
  } catch (const std::bad_alloc&) {  // no room to keep it: destroyed instead
  }
}

std::size_t MemTableRecycler::idle() const {
  MutexLock lock(&mu_);
  return idle_.size();
}

std::size_t MemTableRecycler::idle_reserved_bytes() const {
  MutexLock lock(&mu_);
  std::size_t bytes = 0;
  for (const auto& table : idle_) bytes += table->arena_reserved_bytes();
  return bytes;
}

}  // namespace arenakv
