// SPDX-License-Identifier: Apache-2.0
// MemTableRecycler: memtables made new again instead of destroyed.
//
// A flushed memtable's arena holds about write_buffer_size of resident
// pages. Destroying it unmaps them (in whichever thread drops the last
// reference: a reader, a writer, the flush), and the next memtable faults
// the same amount in again. Given to a recycler instead, the memtable is
// Recycle()d (every entry forgotten at once, its arena Reset with up to
// `keep_bytes` of pages kept, alloc/arena.h) and waits, at most `max_idle`
// of them, for the engine's next memtable, which then writes to resident
// pages: no mmap, no page fault. Pebble recycles its memtable arenas the
// same way.
//
// Memory: an idle memtable keeps its kept pages committed, and, with a
// memory budget, charged to it as memtables: the budget bounds them like any
// memtable. At most max_idle * keep_bytes wait. (The engine keeps one only
// with Options::recycle_memtables, and none under a budget: see DBImpl's
// constructor.)
//
// Thread safety: Take and Give may run on any threads at once (IdleList).
// Give runs where a memtable's last reference goes.
#ifndef ARENAKV_MVCC_MEMTABLE_MEMTABLE_RECYCLER_H_
#define ARENAKV_MVCC_MEMTABLE_MEMTABLE_RECYCLER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mvcc/memtable/idle_list.h"

namespace arenakv {

class MemTable;

class MemTableRecycler {
 public:
  // Recycles memtables of this write_buffer_size and capacity only.
  // `keep_alive` lives as long as the recycler (the budget idle memtables
  // charge).
  MemTableRecycler(std::size_t write_buffer_size, std::size_t capacity, std::size_t keep_bytes,
                   std::size_t max_idle, std::shared_ptr<const void> keep_alive = nullptr);
  ~MemTableRecycler();  // destroys the idle memtables
  MemTableRecycler(const MemTableRecycler&) = delete;
  MemTableRecycler& operator=(const MemTableRecycler&) = delete;

  std::size_t write_buffer_size() const { return write_buffer_size_; }
  std::size_t capacity() const { return capacity_; }

  // An idle memtable, empty and writable, or nullptr. The caller owns it.
  MemTable* Take();
  // Takes ownership of `table`, which nothing references any more: recycles
  // and keeps it, or destroys it (another size, no room left, or its arena
  // could not be made new).
  void Give(MemTable* table) noexcept;

  std::size_t idle() const;
  std::size_t idle_reserved_bytes() const;  // committed pages the idle memtables keep
  std::uint64_t reused() const { return reused_.load(std::memory_order_relaxed); }

 private:
  const std::size_t write_buffer_size_;
  const std::size_t capacity_;
  const std::size_t keep_bytes_;
  const std::shared_ptr<const void> keep_alive_;  // outlives the idle memtables
  std::atomic<std::uint64_t> reused_{0};
  IdleList<MemTable> idle_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_MEMTABLE_RECYCLER_H_
