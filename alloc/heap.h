// SPDX-License-Identifier: Apache-2.0
// Heap: one thread slot's allocation state inside one arena.
//
// Only the thread holding the slot touches a heap (the overflow heap: only under
// the arena's overflow mutex), except for two kinds of shared fields:
//   - remote_pending[slab]: set (release) by a thread that pushed a chunk onto an
//     empty remote-free list of one of this heap's pools; the owner clears it
//     with an acquire exchange before collecting, so a push is never missed.
//   - the statistic counters: written only by the owner, read by Stats() from
//     any thread. Relaxed atomics written as load+store, i.e. plain moves on
//     x86; sums across heaps are exact whenever no Alloc/Free is in flight.
//     A thread freeing a chunk counts the free in its own heap, so one heap's
//     counters may go negative; only the sum means something.
#ifndef ARENAKV_ALLOC_HEAP_H_
#define ARENAKV_ALLOC_HEAP_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "alloc/pool.h"
#include "alloc/size_classes.h"

namespace arenakv::alloc_internal {

struct SlabCache {
  Pool* current = nullptr;  // pool allocations come from
  Pool* partial = nullptr;  // stack of other pools with room (free or uncarved chunks)
  Pool* pools = nullptr;    // every pool of this slab owned by the heap
  Pool* spare = nullptr;    // an empty pool (not current) kept mapped; on partial
  std::uint32_t pool_count = 0;
};

class Counter {
 public:
  void Add(std::int64_t delta) {
    v_.store(v_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  std::int64_t Get() const { return v_.load(std::memory_order_relaxed); }
  void Clear() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

struct Heap {
  SlabCache slabs[kNumSlabs];
  std::atomic<bool> remote_pending[kNumSlabs] = {};
  std::size_t retired_bytes = 0;  // owner only: capacity its retired pools gave back, ever
  // Owner only: bit s set once slab s got a pool, so a Reset clears the
  // slabs in use instead of all kNumSlabs (12 KiB) of them.
  std::uint64_t used_slabs[(kNumSlabs + 63) / 64] = {};
  Counter requested;
  Counter allocated;
  Counter live_chunks;

  // Back to a new heap's state (ArenaState::Reset, with no thread using it).
  void Clear() {
    for (std::size_t word = 0; word < std::size(used_slabs); ++word) {
      for (std::uint64_t bits = used_slabs[word]; bits != 0; bits &= bits - 1) {
        const std::size_t slab = word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        slabs[slab] = SlabCache{};
        remote_pending[slab].store(false, std::memory_order_relaxed);
      }
      used_slabs[word] = 0;
    }
    retired_bytes = 0;
    requested.Clear();
    allocated.Clear();
    live_chunks.Clear();
  }
};

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_HEAP_H_
