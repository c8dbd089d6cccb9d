// SPDX-License-Identifier: Apache-2.0
// The arena's fast paths, inline so that arena.cc (the public entry points)
// compiles them into Arena::Alloc, Arena::Free and friends: no lock, no atomic
// read-modify-write, no system call (except a Free that empties a pool while
// its slab already keeps an empty spare: that pool is retired, pool.h). Everything else is out of
// line in arena_alloc.cc (allocation slow paths) and arena_state.cc.
#ifndef ARENAKV_ALLOC_FAST_PATH_H_
#define ARENAKV_ALLOC_FAST_PATH_H_

#include <atomic>
#include <cstdint>

#include "alloc/arena_state.h"
#include "arenakv/base/check.h"

namespace arenakv::alloc_internal {

inline Heap* ArenaState::ThisThreadHeap() const noexcept {
  const int slot = ThisThreadSlot();
  return slot >= 0 ? heaps_[slot].load(std::memory_order_acquire) : nullptr;
}

// Fast path: no lock, no atomic read-modify-write, no system call. Falls back to
// AllocateSlow for the first allocation of a thread or slab, for an empty
// current pool, and for large or invalid requests.
inline void* ArenaState::Allocate(std::size_t n, AllocFailure* why) noexcept {
  std::uint32_t slab;
  if (n - 1 < kSmallMax) [[likely]] {  // 1 <= n <= 512 (n == 0 wraps around)
    slab = static_cast<std::uint32_t>((n - 1) / kSmallStep);
  } else {
    if (n == 0) {
      *why = AllocFailure::kZeroSize;
      return nullptr;
    }
    if (n > capacity_) {
      *why = AllocFailure::kCapacity;
      return nullptr;
    }
    slab = SlabIndex(n);
    if (kSlabTable[slab] > large_threshold_) return AllocateLarge(n, slab, why);
  }
  if (Heap* heap = ThisThreadHeap()) [[likely]] {
    Pool* pool = heap->slabs[slab].current;
    if (pool != nullptr) [[likely]] {
      if (FreeChunk* chunk = pool->local_free) {
        pool->local_free = chunk->next;
        return HandOut(heap, pool, chunk, n);
      }
      if (pool->CanCarve(pool->carve_limit)) return HandOut(heap, pool, pool->Carve(), n);
    }
  }
  return AllocateSlow(n, slab, why);
}

inline void* ArenaState::HandOut(Heap* heap, Pool* pool, void* chunk, std::size_t n) noexcept {
  const std::size_t c = pool->chunk_size;
  const std::uint32_t index = pool->IndexAt(static_cast<char*>(chunk) - pool->start);
  ARENAKV_DCHECK(index < pool->chunk_count);
  // Clears the free tag. Never-used chunks hold zero there already; one store
  // costs less than telling them apart from recycled ones.
  if (c >= sizeof(FreeChunk)) static_cast<FreeChunk*>(chunk)->tag = 0;
  pool->SetWaste(index, c - n);
  ++pool->live;
#if ARENAKV_DEBUG_CHECKS
  const bool was_live = pool->ExchangeLive(index, true);
  ARENAKV_DCHECK(!was_live);
#endif
  heap->requested.Add(static_cast<std::int64_t>(n));
  heap->allocated.Add(static_cast<std::int64_t>(c));
  heap->live_chunks.Add(1);
  return chunk;
}

inline ChunkRef ArenaState::Locate(const void* p) const noexcept {
  if (p == nullptr) return {.error = Misuse::kNull};
  const char* base = base_.load(std::memory_order_acquire);
  if (base == nullptr) return {.error = Misuse::kForeign};
  const std::uintptr_t offset =
      reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base);
  if (offset >= range_size_) return {.error = Misuse::kForeign};
  Pool* pool =
      std::atomic_ref<Pool*>(page_map_[offset >> kGranuleShift]).load(std::memory_order_acquire);
  if (pool == nullptr) return {.error = Misuse::kForeign};
  const char* chunk = static_cast<const char*>(p);
  const auto pool_offset = static_cast<std::size_t>(chunk - pool->start);
  if (pool->dedicated()) {
    return pool_offset == 0 ? ChunkRef{.pool = pool} : ChunkRef{.error = Misuse::kInterior};
  }
  if (chunk >= pool->bump.load(std::memory_order_relaxed)) return {.error = Misuse::kInterior};
  const std::uint32_t index = pool->IndexAt(pool_offset);
  if (index >= pool->chunk_count) return {.error = Misuse::kInterior};
  return {.pool = pool, .index = index};
}

inline Misuse ArenaState::Free(void* p) {
  const ChunkRef ref = Locate(p);
  if (ref.error != Misuse::kNone) return ref.error;
  Pool* pool = ref.pool;
  if (pool->dedicated()) return FreeLarge(pool);

  const std::size_t c = pool->chunk_size;
  auto* chunk = static_cast<FreeChunk*>(p);
  const std::uintptr_t tag = kFreeTag ^ reinterpret_cast<std::uintptr_t>(p);
  if (c >= sizeof(FreeChunk) && chunk->tag == tag) return Misuse::kNotLive;
#if ARENAKV_DEBUG_CHECKS
  if (!pool->ExchangeLive(ref.index, false)) return Misuse::kNotLive;
#endif
  const std::size_t waste = pool->WasteAt(ref.index);

  Heap* heap = ThisThreadHeap();
  if (heap == nullptr) [[unlikely]] {
    HeapRef mine = AcquireHeap();
    PushFree(mine.heap, pool, chunk, c - waste);
    return Misuse::kNone;
  }
  PushFree(heap, pool, chunk, c - waste);
  return Misuse::kNone;
}

inline void ArenaState::PushFree(Heap* heap, Pool* pool, FreeChunk* chunk,
                                 std::size_t requested) noexcept {
  const std::size_t c = pool->chunk_size;
  heap->requested.Add(-static_cast<std::int64_t>(requested));
  heap->allocated.Add(-static_cast<std::int64_t>(c));
  heap->live_chunks.Add(-1);
  if (c >= sizeof(FreeChunk)) chunk->tag = kFreeTag ^ reinterpret_cast<std::uintptr_t>(chunk);

  Heap* const owner = pool->owner;  // read before the push: see pool.h, Retirement
  const std::uint32_t slab = pool->slab;
  if (owner == heap) {
    SlabCache& sc = heap->slabs[slab];
    if (--pool->live == 0 && pool != sc.current && PoolEmptied(heap, pool)) {
      return;  // retired: every chunk is back, and the memory went back too
    }
    chunk->next = pool->local_free;
    pool->local_free = chunk;
    if (pool != sc.current && !pool->in_partial) {
      pool->in_partial = true;
      pool->next_partial = sc.partial;
      sc.partial = pool;
    }
    return;
  }
  // Remote free: publish the chunk (release) to the owner, who takes the list
  // with an acquire exchange. The first push onto an empty list tells the owner.
  FreeChunk* head = pool->remote_free.load(std::memory_order_relaxed);
  do {
    chunk->next = head;
  } while (!pool->remote_free.compare_exchange_weak(head, chunk, std::memory_order_release,
                                                    std::memory_order_relaxed));
  if (head == nullptr) owner->remote_pending[slab].store(true, std::memory_order_release);
}

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_FAST_PATH_H_
