// SPDX-License-Identifier: Apache-2.0
// ArenaState: the implementation behind arenakv::Arena (see arena.h for the
// contract and docs/ALLOCATOR.md for the design).
//
// Who may call what concurrently
//   Allocate, Free, Locate and Stats from any thread; Release and Reset only alone.
//
// Shared state and its synchronization
//   heaps_[slot]  published once per slot with a release store, read acquire.
//   base_         set once (first allocation) with a release store after the
//                 page map exists; read acquire by pointer lookups.
//   page_map_     one entry per 64 KiB granule of the address range, pointing at
//                 the pool covering it; entries are release-stored after the pool
//                 header is initialized, so a lookup that finds a pool sees it whole.
//   charge_       optional account (ArenaOptions::charge) that mirrors
//                 committed_: charged before pages are committed, released
//                 when they are given back.
//   committed_    bytes committed to pools; a CAS loop keeps it <= capacity_;
//                 a retired pool gives its bytes back (fetch_sub).
//   grow_mu_      serializes carving pools from the address range (and the
//                 list of retired ranges), the metadata
//                 arena, heap creation and the free lists of dedicated pools.
//   overflow_mu_  guards the overflow heap (threads without a slot).
//
// Memory ownership
//   Chunks: the caller, from Allocate until Free. Pools (address range),
//   metadata and heaps: the arena, until Release or destruction.
#ifndef ARENAKV_ALLOC_ARENA_STATE_H_
#define ARENAKV_ALLOC_ARENA_STATE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "alloc/heap.h"
#include "alloc/meta_arena.h"
#include "alloc/pool.h"
#include "alloc/size_classes.h"
#include "alloc/thread_slot.h"
#include "arenakv/alloc/arena.h"

namespace arenakv::alloc_internal {

constexpr std::size_t kGranuleShift = 16;  // pools start and end on 64 KiB granules
constexpr std::size_t kGranule = std::size_t{1} << kGranuleShift;
// Regular pools commit kMaxCommitStep at a time, or less in small arenas:
// capacity / 256, at least a page. Every slab a thread touches holds up to one
// step of committed but unused memory, so a 1 MiB arena touching 16 slabs would
// otherwise be full before it held any data; with 4 KiB steps 48 slabs take 192 KiB.
constexpr std::size_t kMaxCommitStep = 64 << 10;
constexpr std::size_t kMaxMinPoolSize = 128 << 20;  // keeps regular pools below 2^32 bytes
constexpr std::uint32_t kPoolRampSteps = 3;  // a slab's pools grow 1x, 2x, 4x, 8x min_pool_size
// Pools at least this large start on a 2 MiB boundary, are advised to use
// transparent huge pages and commit 2 MiB at a time. A slab only gets such a
// pool after filling 7 MiB of smaller ones, so the extra committed slack (< 2
// MiB per slab and thread) stays small next to what the slab holds, while page
// faults, which dominate the cost of filling fresh memory, drop 512-fold.
// Measured (alloc_bench, 2 cores): 4 MiB gave 6% more memtable allocs/s but
// 35% instead of 26% overhead on the churn pattern; 2 MiB gave 44%.
constexpr std::size_t kHugePoolMin = 8 << 20;
// Reset releases the arena outright when its free ranges number more than
// this (see ArenaState::Reset).
constexpr std::size_t kMaxFreeRanges = 1024;

// kCharge: the arena's MemoryCharge refused (ArenaOptions::charge).
enum class AllocFailure { kNone, kZeroSize, kCapacity, kCharge, kAddressSpace, kOsRefused };
// Failures that freeing memory can cure: reclaim, then try again.
inline bool OutOfRoom(AllocFailure why) {
  return why == AllocFailure::kCapacity || why == AllocFailure::kCharge;
}
enum class Misuse { kNone, kNull, kForeign, kInterior, kNotLive };

struct ChunkRef {
  Pool* pool = nullptr;
  std::uint32_t index = 0;
  Misuse error = Misuse::kNone;
};

class ArenaState {
 public:
  ArenaState(std::size_t capacity, std::size_t min_pool_size, MemoryCharge* charge = nullptr,
             bool huge_pages = true);
  ~ArenaState() { Release(); }

  void* Allocate(std::size_t n, AllocFailure* why) noexcept;
  Misuse Free(void* p);
  ChunkRef Locate(const void* p) const noexcept;
  ArenaStats Stats() const;
  void Release() noexcept;
  void Reset(std::size_t keep_committed) noexcept;  // Arena::Reset
  // The start of the address range (reserved now if need be), or nullptr if
  // the OS refuses the reservation.
  char* RangeBase() noexcept;

  std::size_t capacity() const { return capacity_; }
  std::size_t reserved() const { return committed_.load(std::memory_order_relaxed); }
  std::size_t idle() const { return idle_.load(std::memory_order_relaxed); }
  std::size_t CommitAhead() const noexcept;  // Arena::CommitAhead

 private:
  // The calling thread's heap, holding the overflow mutex if it is the overflow heap.
  struct HeapRef {
    Heap* heap = nullptr;
    std::unique_lock<std::mutex> lock;
  };

  // The calling thread's own heap if it has one (no lock needed), else nullptr.
  Heap* ThisThreadHeap() const noexcept;
  HeapRef AcquireHeap() noexcept;
  void PushFree(Heap* heap, Pool* pool, FreeChunk* chunk, std::size_t requested) noexcept;
  void* AllocateSlow(std::size_t n, std::uint32_t slab, AllocFailure* why) noexcept;
  void* AllocateFromHeap(Heap* heap, std::size_t n, std::uint32_t slab, AllocFailure* why) noexcept;
  void* AllocateLarge(std::size_t n, std::uint32_t slab, AllocFailure* why) noexcept;
  void* AllocateLargeFromHeap(Heap* heap, std::size_t n, std::uint32_t slab,
                              AllocFailure* why) noexcept;
  bool CollectRemoteFrees(Heap* heap, std::uint32_t slab) noexcept;
  bool CommitMore(Pool* pool, AllocFailure* why) noexcept;
  Pool* NewPool(Heap* heap, std::uint32_t slab, AllocFailure* why) noexcept;
  // Carves a pool from the address range; requires grow_mu_. Commits nothing.
  // Takes the smallest retired range that holds pool_bytes (cut to it), else
  // fresh range, else (fresh range spent) any retired range the chunk fits.
  Pool* CarvePool(std::size_t pool_bytes, std::size_t chunk_size, std::uint32_t slab, Heap* owner,
                  AllocFailure* why) noexcept;
  // (Re)initializes `pool` over [start, start + pool_bytes) for `slab` and
  // publishes it in the page map; requires grow_mu_. False if metadata
  // cannot be had (the pool is left unpublished).
  // Pages [start, committed_end) are committed already (a warm range).
  bool InitPool(Pool* pool, char* start, std::size_t pool_bytes, std::size_t chunk_size,
                std::uint32_t slab, Heap* owner, AllocFailure* why,
                char* committed_end = nullptr) noexcept;
  // Gives the committed pages of an unused pool (or range) back to the OS,
  // except its first `keep` bytes (a multiple of the page size); returns
  // the bytes given back. The caller settles idle_.
  std::size_t Decommit(Pool* pool, std::size_t keep = 0) noexcept;
  // Takes the retired range *link (cut to pool_bytes if larger) for a new
  // pool; requires grow_mu_.
  Pool* ReuseRetired(Pool** link, std::size_t pool_bytes, std::size_t chunk_size,
                     std::uint32_t slab, Heap* owner, AllocFailure* why) noexcept;
  // Owner only, the pool not current and every chunk back (live == 0):
  // unlinks it from its slab, gives its pages and capacity back, and puts it
  // on the retired list. Takes grow_mu_. Returns the bytes given back.
  std::size_t RetirePool(Heap* heap, Pool* pool) noexcept;
  // Owner only: `pool` (not current) just became empty. The slab keeps one
  // empty pool mapped as its spare, so a steady churn does not map and unmap
  // memory; a second one is retired. True if `pool` was retired (the caller
  // must not touch it or its chunks again).
  bool PoolEmptied(Heap* heap, Pool* pool) noexcept;
  // Capacity ran out in `heap`: collects every remote free of its slabs and
  // retires every pool left empty (current ones included, except `keep`).
  // True if anything was given back.
  bool ReclaimEmptyPools(Heap* heap, std::uint32_t keep) noexcept;
  bool EnsureAddressRange(AllocFailure* why) noexcept;  // requires grow_mu_
  // Counts `bytes` against capacity_ and charge_; false (and *why) if either
  // refuses, with nothing counted once it returns (while a refused charge is
  // undone, another thread may briefly see the capacity as used).
  bool ReserveCapacity(std::size_t bytes, AllocFailure* why) noexcept;
  void UnreserveCapacity(std::size_t bytes) noexcept;
  Misuse FreeLarge(Pool* pool);
  static void* HandOut(Heap* heap, Pool* pool, void* chunk, std::size_t n) noexcept;

  const std::size_t capacity_;
  const std::size_t min_pool_size_;
  const std::size_t large_threshold_;  // slabs above this get dedicated pools
  const std::size_t commit_step_;      // for regular (not huge-page) pools
  MemoryCharge* const charge_;         // may be null
  const bool huge_pages_;              // ArenaOptions::huge_pages

  std::atomic<char*> base_{nullptr};
  std::size_t range_size_ = 0;
  Pool** page_map_ = nullptr;  // accessed through std::atomic_ref
  std::size_t page_map_bytes_ = 0;
  std::size_t range_carved_ = 0;  // guarded by grow_mu_

  std::atomic<std::size_t> committed_{0};
  // Committed bytes no pool uses: free ranges' pages kept by Reset, and the
  // warm tails (Pool::warm_end) of pools carved from them, until CommitMore
  // hands them over. Set alone (Reset, Release), lowered anywhere.
  std::atomic<std::size_t> idle_{0};
  std::array<std::atomic<Heap*>, kMaxThreadSlots> heaps_{};

  mutable std::mutex grow_mu_;
  MetaArena meta_;                             // guarded by grow_mu_
  std::array<Pool*, kNumSlabs> large_free_{};  // guarded by grow_mu_
  // Free ranges of the address range: pools retired (no pages committed)
  // and, after Reset, whole pools whose committed prefix [start, commit_end)
  // is kept warm. Guarded by grow_mu_.
  Pool* retired_ = nullptr;

  std::mutex overflow_mu_;
  Heap overflow_heap_;  // guarded by overflow_mu_; also the fallback if a heap cannot be made
};

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_ARENA_STATE_H_
