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
      keep_alive_(std::move(keep_alive)),
      idle_(max_idle) {}

MemTableRecycler::~MemTableRecycler() = default;

MemTable* MemTableRecycler::Take() {
  std::unique_ptr<MemTable> table = idle_.Take();
  if (table != nullptr) reused_.fetch_add(1, std::memory_order_relaxed);
  return table.release();
}

void MemTableRecycler::Give(MemTable* table) noexcept {
  idle_.Give(std::unique_ptr<MemTable>(table), [this](MemTable& t) {
    return t.capacity() == capacity_ && t.write_buffer_size() == write_buffer_size_ &&
           t.Recycle(keep_bytes_);
  });
}

std::size_t MemTableRecycler::idle() const { return idle_.size(); }

std::size_t MemTableRecycler::idle_reserved_bytes() const {
  return idle_.Sum([](const MemTable& t) { return t.arena_reserved_bytes(); });
}

}  // namespace arenakv
