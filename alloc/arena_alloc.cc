// SPDX-License-Identifier: Apache-2.0
// Allocation paths of ArenaState: the fast path (Allocate), the per-slab slow
// path (AllocateFromHeap) and dedicated pools for large chunks (AllocateLarge).
#include <cstdint>
#include <new>

#include "alloc/arena_state.h"
#include "alloc/fast_path.h"
#include "alloc/os_memory.h"
#include "arenakv/base/check.h"

namespace arenakv::alloc_internal {

namespace {

char* AlignUp(char* p, std::size_t alignment) {
  const auto v = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<char*>((v + alignment - 1) & ~(std::uintptr_t{alignment} - 1));
}

std::size_t AlignUp(std::size_t v, std::size_t alignment) {
  return (v + alignment - 1) & ~(alignment - 1);
}

std::uint32_t ListLength(const FreeChunk* list) {
  std::uint32_t n = 0;
  for (; list != nullptr; list = list->next) ++n;
  return n;
}

}  // namespace

ArenaState::HeapRef ArenaState::AcquireHeap() noexcept {
  const int slot = ThisThreadSlot();
  if (slot >= 0) {
    Heap* heap = heaps_[slot].load(std::memory_order_acquire);
    if (heap != nullptr) return {heap, {}};
    std::lock_guard lock(grow_mu_);
    if (void* mem = meta_.Allocate(sizeof(Heap))) {
      heap = new (mem) Heap;
      heaps_[slot].store(heap, std::memory_order_release);
      return {heap, {}};
    }
  }
  return {&overflow_heap_, std::unique_lock(overflow_mu_)};
}

void* ArenaState::AllocateSlow(std::size_t n, std::uint32_t slab, AllocFailure* why) noexcept {
  HeapRef ref = AcquireHeap();
  return AllocateFromHeap(ref.heap, n, slab, why);
}

// Where the next chunk of a slab comes from, cheapest and most memory-frugal
// first: the current pool's free list and committed space, chunks other
// threads freed into it, other pools' free chunks, remote frees into other
// pools, more committed space in the current pool, and last a new pool.
// Invariant kept here: every pool other than `current` is fully carved, and a
// pool is on the partial stack iff it is not current and has local free chunks.
void* ArenaState::AllocateFromHeap(Heap* heap, std::size_t n, std::uint32_t slab,
                                   AllocFailure* why) noexcept {
  SlabCache& sc = heap->slabs[slab];
  bool reclaimed = false;
  for (;;) {
    Pool* pool = sc.current;
    if (pool != nullptr) {
      if (FreeChunk* chunk = pool->local_free) {
        pool->local_free = chunk->next;
        return HandOut(heap, pool, chunk, n);
      }
      if (pool->CanCarve(pool->carve_limit)) return HandOut(heap, pool, pool->Carve(), n);
      if (FreeChunk* list = pool->remote_free.exchange(nullptr, std::memory_order_acquire)) {
        pool->live -= ListLength(list);
        pool->local_free = list;
        continue;
      }
    }
    if (Pool* other = sc.partial) {
      if (pool == nullptr || !pool->CanCarve(pool->end)) {
        sc.partial = other->next_partial;  // current is used up: switch to `other`
        other->in_partial = false;
        if (sc.spare == other) sc.spare = nullptr;
        sc.current = other;
        continue;
      }
      FreeChunk* chunk = other->local_free;  // current can still grow: keep it
      other->local_free = chunk->next;
      if (sc.spare == other) sc.spare = nullptr;
      if (other->local_free == nullptr) {
        sc.partial = other->next_partial;
        other->in_partial = false;
      }
      return HandOut(heap, other, chunk, n);
    }
    if (heap->remote_pending[slab].load(std::memory_order_relaxed) &&
        heap->remote_pending[slab].exchange(false, std::memory_order_acquire) &&
        CollectRemoteFrees(heap, slab)) {
      continue;
    }
    if (pool != nullptr && pool->CanCarve(pool->end)) {
      if (CommitMore(pool, why)) continue;
    } else if (NewPool(heap, slab, why) != nullptr) {
      continue;
    }
    // Out of capacity: what this heap holds empty goes back, then one more try.
    if (!OutOfRoom(*why) || reclaimed || !ReclaimEmptyPools(heap, slab)) {
      return nullptr;
    }
    reclaimed = true;
  }
}

bool ArenaState::ReclaimEmptyPools(Heap* heap, std::uint32_t keep) noexcept {
  std::size_t freed = 0;
  for (std::uint32_t slab = 0; slab < kNumSlabs; ++slab) {
    SlabCache& sc = heap->slabs[slab];
    if (sc.pools == nullptr) continue;
    // Cleared before collecting (acq_rel: not reordered after the exchanges
    // below), so a push that misses this collection sets it again.
    heap->remote_pending[slab].exchange(false, std::memory_order_acq_rel);
    const std::size_t before = heap->retired_bytes;
    CollectRemoteFrees(heap, slab);  // may retire pools it empties
    freed += heap->retired_bytes - before;
    if (sc.spare != nullptr) freed += RetirePool(heap, sc.spare);
    Pool* current = sc.current;
    if (slab != keep && current != nullptr && current->live == 0) {
      sc.current = nullptr;
      freed += RetirePool(heap, current);
    }
  }
  bool reclaimed = freed > 0;
  // Free dedicated pools keep their pages for the next chunk of their slab;
  // under pressure those pages go back too (the pool is recommitted on reuse).
  // So do the free ranges Reset kept warm.
  std::lock_guard lock(grow_mu_);
  for (Pool* pool : large_free_) {
    for (; pool != nullptr; pool = pool->next_large_free) {
      if (Decommit(pool) > 0) reclaimed = true;
    }
  }
  for (Pool* pool = retired_; pool != nullptr; pool = pool->next_retired) {
    const std::size_t bytes = Decommit(pool);  // a free range's pages are all idle
    idle_.fetch_sub(bytes, std::memory_order_relaxed);
    if (bytes > 0) reclaimed = true;
  }
  return reclaimed;
}

// Moves every remote-free list of the slab's pools onto their local lists.
bool ArenaState::CollectRemoteFrees(Heap* heap, std::uint32_t slab) noexcept {
  SlabCache& sc = heap->slabs[slab];
  bool found = false;
  for (Pool *pool = sc.pools, *next; pool != nullptr; pool = next) {
    next = pool->next_in_slab;  // read first: a retired pool may be reused at once
    FreeChunk* list = pool->remote_free.exchange(nullptr, std::memory_order_acquire);
    if (list == nullptr) continue;
    found = true;
    std::uint32_t n = 1;
    FreeChunk* tail = list;
    for (; tail->next != nullptr; ++n) tail = tail->next;  // bounded by chunk_count
    pool->live -= n;
    if (pool->live == 0 && pool != sc.current && PoolEmptied(heap, pool)) {
      continue;  // retired: its chunks (and the list) went with it
    }
    tail->next = pool->local_free;
    pool->local_free = list;
    if (pool != sc.current && !pool->in_partial) {
      pool->in_partial = true;
      pool->next_partial = sc.partial;
      sc.partial = pool;
    }
  }
  return found;
}

// Commits the next step of the current pool (its commit_step), or at the edge of
// the capacity just the pages the next chunk needs.
bool ArenaState::CommitMore(Pool* pool, AllocFailure* why) noexcept {
  char* from = pool->commit_end.load(std::memory_order_relaxed);
  char* const next_end = pool->bump.load(std::memory_order_relaxed) + pool->chunk_size;
  // Up to the pool's last byte, not its last chunk, so a huge page is never cut short.
  char* to = std::min(AlignUp(next_end, pool->commit_step), pool->start + pool->pool_size);
  if (from < pool->warm_end) {
    // Pages a Reset kept first: committed and charged already, they only
    // stop being idle. No system call, no page fault.
    char* const warm = std::min(to, pool->warm_end);
    idle_.fetch_sub(static_cast<std::size_t>(warm - from), std::memory_order_relaxed);
    pool->commit_end.store(warm, std::memory_order_relaxed);
    pool->carve_limit = std::min(warm, pool->end);
    if (warm >= next_end) return true;
    from = warm;
  }
  if (!ReserveCapacity(static_cast<std::size_t>(to - from), why)) {
    to = AlignUp(next_end, kPageSize);
    if (!ReserveCapacity(static_cast<std::size_t>(to - from), why)) return false;
  }
  if (!CommitPages(from, static_cast<std::size_t>(to - from))) {
    UnreserveCapacity(static_cast<std::size_t>(to - from));
    *why = AllocFailure::kOsRefused;
    return false;
  }
  pool->commit_end.store(to, std::memory_order_relaxed);
  pool->carve_limit = std::min(to, pool->end);
  return true;
}

Pool* ArenaState::NewPool(Heap* heap, std::uint32_t slab, AllocFailure* why) noexcept {
  SlabCache& sc = heap->slabs[slab];
  const std::size_t bytes = min_pool_size_ << std::min(sc.pool_count, kPoolRampSteps);
  Pool* pool;
  {
    std::lock_guard lock(grow_mu_);
    pool = CarvePool(bytes, kSlabTable[slab], slab, heap, why);
  }
  if (pool == nullptr) return nullptr;
  pool->next_in_slab = sc.pools;
  sc.pools = pool;
  ++sc.pool_count;
  heap->used_slabs[slab / 64] |= std::uint64_t{1} << (slab % 64);
  sc.current = pool;
  return pool;
}

void* ArenaState::AllocateLarge(std::size_t n, std::uint32_t slab, AllocFailure* why) noexcept {
  HeapRef ref = AcquireHeap();
  void* chunk = AllocateLargeFromHeap(ref.heap, n, slab, why);
  // Out of capacity: what this heap holds empty goes back, then one more try.
  if (chunk == nullptr && OutOfRoom(*why) && ReclaimEmptyPools(ref.heap, kNumSlabs)) {
    chunk = AllocateLargeFromHeap(ref.heap, n, slab, why);
  }
  return chunk;
}

void* ArenaState::AllocateLargeFromHeap(Heap* heap, std::size_t n, std::uint32_t slab,
                                        AllocFailure* why) noexcept {
  const std::size_t c = kSlabTable[slab];
  const std::size_t commit = AlignUp(c, kPageSize);
  Pool* pool;
  {
    std::lock_guard lock(grow_mu_);
    pool = large_free_[slab];
    if (pool != nullptr) {
      large_free_[slab] = pool->next_large_free;
    } else {
      pool = CarvePool(AlignUp(c, kGranule), c, slab, nullptr, why);
      if (pool == nullptr) return nullptr;
    }
    // A pool whose commit failed earlier sits on the free list uncommitted.
    if (pool->commit_end.load(std::memory_order_relaxed) == pool->start) {
      bool ok = ReserveCapacity(commit, why);
      if (ok && !(ok = CommitPages(pool->start, commit))) {
        UnreserveCapacity(commit);
        *why = AllocFailure::kOsRefused;
      }
      if (!ok) {
        pool->next_large_free = large_free_[slab];
        large_free_[slab] = pool;
        return nullptr;
      }
      pool->commit_end.store(pool->start + commit, std::memory_order_relaxed);
    }
  }
  pool->large_waste = c - n;
  pool->large_live.store(true, std::memory_order_release);
  heap->requested.Add(static_cast<std::int64_t>(n));
  heap->allocated.Add(static_cast<std::int64_t>(c));
  heap->live_chunks.Add(1);
  return pool->start;
}

}  // namespace arenakv::alloc_internal
