// SPDX-License-Identifier: Apache-2.0
// ArenaState outside the allocation paths: pointer lookup and Free, carving
// pools from the address range, capacity accounting, Stats and Release.
#include "alloc/arena_state.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <new>

#include "alloc/fast_path.h"
#include "alloc/os_memory.h"
#include "arenakv/base/check.h"

namespace arenakv::alloc_internal {

namespace {

// Address space beyond capacity, for the uncommitted tails of pools: 64 threads
// touching 48 slabs each hold 3 GiB of pool tails. Costs no memory; the page
// map for it (4 MiB) is touched only where pools are carved.
constexpr std::size_t kAddressHeadroom = std::size_t{32} << 30;

std::size_t AlignUp(std::size_t v, std::size_t alignment) {
  return (v + alignment - 1) & ~(alignment - 1);
}

std::atomic_ref<Pool*> PageMapEntry(Pool** page_map, std::size_t granule) {
  return std::atomic_ref<Pool*>(page_map[granule]);
}

}  // namespace

ArenaState::ArenaState(std::size_t capacity, std::size_t min_pool_size, MemoryCharge* charge,
                       bool huge_pages)
    : capacity_(capacity),
      min_pool_size_(std::clamp(AlignUp(min_pool_size, kGranule), kGranule, kMaxMinPoolSize)),
      large_threshold_(min_pool_size_ / 8),
      commit_step_(std::clamp(std::bit_floor(capacity / 256), kPageSize, kMaxCommitStep)),
      charge_(charge),
      huge_pages_(huge_pages) {}

std::size_t ArenaState::CommitAhead() const noexcept {
  return huge_pages_ && HugePagesEnabled() && capacity_ >= kHugePoolMin ? kHugePageSize
                                                                        : commit_step_;
}

Misuse ArenaState::FreeLarge(Pool* pool) {
  if (!pool->large_live.exchange(false, std::memory_order_acq_rel)) return Misuse::kNotLive;
  const std::size_t c = pool->chunk_size;
  const std::size_t waste = pool->large_waste;
  HeapRef mine = AcquireHeap();
  mine.heap->requested.Add(-static_cast<std::int64_t>(c - waste));
  mine.heap->allocated.Add(-static_cast<std::int64_t>(c));
  mine.heap->live_chunks.Add(-1);
  std::lock_guard lock(grow_mu_);
  pool->next_large_free = large_free_[pool->slab];
  large_free_[pool->slab] = pool;
  return Misuse::kNone;
}

char* ArenaState::RangeBase() noexcept {
  if (char* base = base_.load(std::memory_order_acquire)) return base;
  std::lock_guard lock(grow_mu_);
  AllocFailure why;
  return EnsureAddressRange(&why) ? base_.load(std::memory_order_relaxed) : nullptr;
}

bool ArenaState::EnsureAddressRange(AllocFailure* why) noexcept {
  if (base_.load(std::memory_order_relaxed) != nullptr) return true;
  // Address space is cheap and only committed pages count against capacity, so
  // the range leaves room for pools' uncommitted tails.
  const std::size_t size = AlignUp(capacity_ + kAddressHeadroom, kGranule);
  // The page map holds one Pool* per granule.
  // NOLINTNEXTLINE(bugprone-sizeof-expression)
  const std::size_t map_bytes = AlignUp((size >> kGranuleShift) * sizeof(Pool*), kPageSize);
  auto* page_map = static_cast<Pool**>(MapMetadata(map_bytes));
  char* base = page_map == nullptr ? nullptr : ReserveAddressSpace(size, kHugePageSize);
  if (base == nullptr) {
    if (page_map != nullptr) UnmapMetadata(page_map, map_bytes);
    *why = AllocFailure::kAddressSpace;
    return false;
  }
  range_size_ = size;
  page_map_ = page_map;
  page_map_bytes_ = map_bytes;
  range_carved_ = 0;
  base_.store(base, std::memory_order_release);
  return true;
}

Pool* ArenaState::CarvePool(std::size_t pool_bytes, std::size_t chunk_size, std::uint32_t slab,
                            Heap* owner, AllocFailure* why) noexcept {
  if (!EnsureAddressRange(why)) return nullptr;
  if (owner != nullptr) {
    // A retired range first, so the address range is not spent again: the
    // one whose committed prefix (kept by Reset) covers most of the pool, and
    // of those the smallest that holds the pool asked for, cut to that size (a
    // larger pool would commit in larger steps, and its waste map would grow
    // with it).
    auto warm = [pool_bytes](const Pool* p) {
      return std::min(
          static_cast<std::size_t>(p->commit_end.load(std::memory_order_relaxed) - p->start),
          pool_bytes);
    };
    auto better = [&](const Pool* a, const Pool* b) {
      return warm(a) != warm(b) ? warm(a) > warm(b) : a->pool_size < b->pool_size;
    };
    // Kept pages serve best the slab that held them before a Reset: an
    // engine that recycles an arena repeats its pattern, so each slab finds
    // its own pools again, in the same sizes (closest to pool_bytes first).
    Pool** same = nullptr;
    auto closer = [pool_bytes](const Pool* a, const Pool* b) {
      if ((a->pool_size >= pool_bytes) != (b->pool_size >= pool_bytes)) {
        return a->pool_size >= pool_bytes;
      }
      return a->pool_size >= pool_bytes ? a->pool_size < b->pool_size : a->pool_size > b->pool_size;
    };
    for (Pool** p = &retired_; *p != nullptr; p = &(*p)->next_retired) {
      if ((*p)->slab == slab && (*p)->pool_size >= chunk_size && warm(*p) > 0 &&
          (same == nullptr || closer(*p, *same))) {
        same = p;
      }
    }
    if (same != nullptr) {
      return ReuseRetired(same, std::min(pool_bytes, (*same)->pool_size), chunk_size, slab, owner,
                          why);
    }
    Pool** best = nullptr;
    for (Pool** p = &retired_; *p != nullptr; p = &(*p)->next_retired) {
      if ((*p)->pool_size >= pool_bytes && (best == nullptr || better(*p, *best))) best = p;
    }
    if (best == nullptr || warm(*best) == 0) {
      // No warm range holds the pool asked for: a smaller pool on kept pages
      // beats fresh pages beside them (which would leave the kept ones idle
      // and the arena holding both). The warmest range the chunk fits, whole.
      Pool** warmest = nullptr;
      for (Pool** p = &retired_; *p != nullptr; p = &(*p)->next_retired) {
        if ((*p)->pool_size >= chunk_size && warm(*p) > 0 &&
            (warmest == nullptr || warm(*p) > warm(*warmest))) {
          warmest = p;
        }
      }
      if (warmest != nullptr) {
        return ReuseRetired(warmest, (*warmest)->pool_size, chunk_size, slab, owner, why);
      }
    }
    if (best != nullptr) return ReuseRetired(best, pool_bytes, chunk_size, slab, owner, why);
  }
  // Near the end of the range, regular pools shrink to one granule (or chunk)
  // so the rest of the range still serves every slab.
  const std::size_t left = range_size_ - range_carved_;
  if (owner != nullptr && left - std::min(pool_bytes, left) < range_size_ / 8) {
    pool_bytes = AlignUp(chunk_size, kGranule);
  }
  if (pool_bytes >= kHugePoolMin && HugePagesEnabled()) {
    // Skipped granules stay unmapped in the page map, i.e. foreign to lookups.
    const std::size_t pad = AlignUp(range_carved_, kHugePageSize) - range_carved_;
    range_carved_ += std::min(pad, left);
  }
  const std::size_t available = range_size_ - range_carved_;
  if (pool_bytes > available) pool_bytes = available;  // both are granule multiples
  if (pool_bytes < chunk_size) {
    // The fresh range is spent: any retired range the chunk fits in, whole.
    if (owner != nullptr) {
      for (Pool** p = &retired_; *p != nullptr; p = &(*p)->next_retired) {
        if ((*p)->pool_size >= chunk_size) {
          return ReuseRetired(p, (*p)->pool_size, chunk_size, slab, owner, why);
        }
      }
    }
    *why = AllocFailure::kAddressSpace;
    return nullptr;
  }
  void* header = meta_.Allocate(sizeof(Pool));
  if (header == nullptr) {
    *why = AllocFailure::kOsRefused;
    return nullptr;
  }
  auto* pool = new (header) Pool;
  char* start = base_.load(std::memory_order_relaxed) + range_carved_;
  if (!InitPool(pool, start, pool_bytes, chunk_size, slab, owner, why))
    return nullptr;  // header kept
  range_carved_ += pool_bytes;
  return pool;
}

Pool* ArenaState::ReuseRetired(Pool** link, std::size_t pool_bytes, std::size_t chunk_size,
                               std::uint32_t slab, Heap* owner, AllocFailure* why) noexcept {
  Pool* retired = *link;
  Pool* pool = retired;
  char* const committed_end = retired->commit_end.load(std::memory_order_relaxed);
  if (retired->pool_size > pool_bytes) {
    // Cut the front off for a new header; the rest stays retired. Committed
    // pages go with the piece they lie in.
    void* header = meta_.Allocate(sizeof(Pool));
    if (header == nullptr) {
      *why = AllocFailure::kOsRefused;
      return nullptr;
    }
    pool = new (header) Pool;
    pool->start = retired->start;
    retired->start += pool_bytes;
    retired->pool_size -= pool_bytes;
    retired->commit_end.store(std::max(committed_end, retired->start), std::memory_order_relaxed);
  } else {
    *link = retired->next_retired;
    retired->next_retired = nullptr;
  }
  char* const pool_committed_end = std::min(committed_end, pool->start + pool_bytes);
  if (!InitPool(pool, pool->start, pool_bytes, chunk_size, slab, owner, why, pool_committed_end)) {
    if (pool != retired) {  // give the front back to the rest (a fresh header is kept)
      retired->start = pool->start;
      retired->pool_size += pool_bytes;
      retired->commit_end.store(committed_end, std::memory_order_relaxed);
    } else {
      pool->next_retired = retired_;
      retired_ = pool;
    }
    return nullptr;
  }
  return pool;
}

bool ArenaState::InitPool(Pool* pool, char* start, std::size_t pool_bytes, std::size_t chunk_size,
                          std::uint32_t slab, Heap* owner, AllocFailure* why,
                          char* committed_end) noexcept {
  if (committed_end == nullptr) committed_end = start;
  const std::size_t count = owner == nullptr ? 1 : pool_bytes / chunk_size;
  const std::uint8_t width = owner == nullptr ? 0 : WasteWidth(slab);
  if (owner != nullptr) {
    // A reused header keeps its waste map and bitmap when they are large
    // enough; a larger one replaces them (what it held stays in meta_).
    // Metadata stays bounded by the ranges' sizes: each header's maps grow
    // only to what its range needs, and a cut range's pieces need no more
    // than the whole did, about twice over with the header it came from.
    const std::size_t waste_bytes = count * width;
    if (waste_bytes > pool->waste_map_bytes) {
      void* map = meta_.Allocate(waste_bytes);
      if (map == nullptr) {
        *why = AllocFailure::kOsRefused;
        return false;
      }
      pool->waste_map = map;
      pool->waste_map_bytes = waste_bytes;
    }
#if ARENAKV_DEBUG_CHECKS
    // Every bit is clear in a retired pool's map: each of its chunks was freed.
    const std::size_t bits_bytes = (count + 63) / 64 * sizeof(std::uint64_t);
    if (bits_bytes > pool->live_bits_bytes) {
      void* bits = meta_.Allocate(bits_bytes);
      if (bits == nullptr) {
        *why = AllocFailure::kOsRefused;
        return false;
      }
      pool->live_bits = static_cast<std::uint64_t*>(bits);
      pool->live_bits_bytes = bits_bytes;
    }
#endif
  }
  const bool huge = huge_pages_ && pool_bytes >= kHugePoolMin && HugePagesEnabled() &&
                    reinterpret_cast<std::uintptr_t>(start) % kHugePageSize == 0;
  pool->start = start;
  pool->end = start + count * chunk_size;
  pool->chunk_size = chunk_size;
  pool->pool_size = pool_bytes;
  pool->commit_step = huge ? kHugePageSize : commit_step_;
  if (huge) AdviseHugePages(start, pool_bytes);
  pool->div_magic = ~std::uint64_t{0} / chunk_size + 1;
  pool->slab = slab;
  pool->chunk_count = static_cast<std::uint32_t>(count);
  pool->waste_width = width;
  pool->owner = owner;
  pool->live = 0;
  pool->local_free = nullptr;
  pool->next_in_slab = pool->next_partial = nullptr;
  pool->in_partial = false;
  pool->bump.store(start, std::memory_order_relaxed);
  pool->carve_limit = start;
  pool->commit_end.store(start, std::memory_order_relaxed);
  pool->warm_end = committed_end;  // CommitMore takes these pages first

  const std::size_t first =
      static_cast<std::size_t>(start - base_.load(std::memory_order_relaxed)) >> kGranuleShift;
  for (std::size_t g = first; g < first + (pool_bytes >> kGranuleShift); ++g) {
    PageMapEntry(page_map_, g).store(pool, std::memory_order_release);
  }
  return true;
}

std::size_t ArenaState::RetirePool(Heap* heap, Pool* pool) noexcept {
  SlabCache& sc = heap->slabs[pool->slab];
  // Out of the slab's lists (a slab holds a handful of pools: the ramp grows
  // them to 8 x min_pool_size).
  for (Pool** p = &sc.pools; *p != nullptr; p = &(*p)->next_in_slab) {
    if (*p == pool) {
      *p = pool->next_in_slab;
      break;
    }
  }
  if (pool->in_partial) {
    for (Pool** p = &sc.partial; *p != nullptr; p = &(*p)->next_partial) {
      if (*p == pool) {
        *p = pool->next_partial;
        break;
      }
    }
  }
  if (sc.spare == pool) sc.spare = nullptr;
  --sc.pool_count;
  char* const commit_end = pool->commit_end.load(std::memory_order_relaxed);
  if (pool->warm_end > commit_end) {  // kept pages it never took stop being idle
    idle_.fetch_sub(static_cast<std::size_t>(pool->warm_end - commit_end),
                    std::memory_order_relaxed);
  }
  const std::size_t committed = Decommit(pool);
  heap->retired_bytes += committed;
  std::lock_guard lock(grow_mu_);
  // A pointer into the range is foreign until the range is carved again.
  const std::size_t first =
      static_cast<std::size_t>(pool->start - base_.load(std::memory_order_relaxed)) >>
      kGranuleShift;
  for (std::size_t g = first; g < first + (pool->pool_size >> kGranuleShift); ++g) {
    PageMapEntry(page_map_, g).store(nullptr, std::memory_order_release);
  }
  pool->next_retired = retired_;
  retired_ = pool;
  return committed;
}

std::size_t ArenaState::Decommit(Pool* pool, std::size_t keep) noexcept {
  char* const end = pool->committed_end();
  char* const from = pool->start + keep;
  if (end <= from) return 0;
  const auto bytes = static_cast<std::size_t>(end - from);
  DecommitPages(from, bytes);
  UnreserveCapacity(bytes);
  pool->commit_end.store(std::min(pool->commit_end.load(std::memory_order_relaxed), from),
                         std::memory_order_relaxed);
  pool->warm_end = std::min(pool->warm_end, from);
  return bytes;
}

bool ArenaState::PoolEmptied(Heap* heap, Pool* pool) noexcept {
  SlabCache& sc = heap->slabs[pool->slab];
  if (sc.spare == nullptr) {
    sc.spare = pool;  // kept mapped: the next pool this slab needs
    return false;
  }
  RetirePool(heap, pool);
  return true;
}

bool ArenaState::ReserveCapacity(std::size_t bytes, AllocFailure* why) noexcept {
  std::size_t current = committed_.load(std::memory_order_relaxed);
  do {
    if (bytes > capacity_ - current) {
      *why = AllocFailure::kCapacity;
      return false;
    }
  } while (!committed_.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed));
  if (charge_ != nullptr && !charge_->TryCharge(bytes)) {
    committed_.fetch_sub(bytes, std::memory_order_relaxed);
    *why = AllocFailure::kCharge;
    return false;
  }
  return true;
}

void ArenaState::UnreserveCapacity(std::size_t bytes) noexcept {
  committed_.fetch_sub(bytes, std::memory_order_relaxed);
  if (charge_ != nullptr && bytes > 0) charge_->Release(bytes);
}

ArenaStats ArenaState::Stats() const {
  std::int64_t requested = 0, allocated = 0, live = 0;
  auto add = [&](const Heap& heap) {
    requested += heap.requested.Get();
    allocated += heap.allocated.Get();
    live += heap.live_chunks.Get();
  };
  for (const auto& slot : heaps_) {
    if (const Heap* heap = slot.load(std::memory_order_acquire)) add(*heap);
  }
  add(overflow_heap_);
  ArenaStats stats;
  stats.capacity = capacity_;
  stats.requested = static_cast<std::size_t>(std::max<std::int64_t>(requested, 0));
  stats.allocated = static_cast<std::size_t>(std::max<std::int64_t>(allocated, 0));
  stats.live_chunks = static_cast<std::size_t>(std::max<std::int64_t>(live, 0));
  stats.reserved = committed_.load(std::memory_order_relaxed);
  std::lock_guard lock(grow_mu_);
  // NOLINTBEGIN(bugprone-sizeof-expression): one Pool* per granule
  const std::size_t page_map_used =
      AlignUp((range_carved_ >> kGranuleShift) * sizeof(Pool*), kPageSize);
  // NOLINTEND(bugprone-sizeof-expression)
  stats.overhead = sizeof(ArenaState) + meta_.bytes() + page_map_used;
  return stats;
}

void ArenaState::Release() noexcept {
  if (char* base = base_.exchange(nullptr, std::memory_order_relaxed)) {
    ReleaseAddressSpace(base, range_size_, range_carved_);
    UnmapMetadata(page_map_, page_map_bytes_);
  }
  page_map_ = nullptr;
  range_size_ = page_map_bytes_ = range_carved_ = 0;
  for (auto& slot : heaps_) slot.store(nullptr, std::memory_order_relaxed);
  meta_.ReleaseAll();  // pool headers and heaps live here
  large_free_.fill(nullptr);
  retired_ = nullptr;
  idle_.store(0, std::memory_order_relaxed);
  const std::size_t committed = committed_.exchange(0, std::memory_order_relaxed);
  if (charge_ != nullptr && committed > 0) charge_->Release(committed);
  std::destroy_at(&overflow_heap_);
  std::construct_at(&overflow_heap_);
}

void ArenaState::Reset(std::size_t keep_committed) noexcept {
  if (base_.load(std::memory_order_relaxed) == nullptr) return;  // nothing carved yet
  std::unique_lock lock(grow_mu_);
  // Every pool in the range is found through the page map: regular pools
  // become free ranges (warm while their pages are kept), dedicated pools go
  // back on their slab's free list.
  large_free_.fill(nullptr);
  std::size_t kept = 0;
  // A free range keeps the pages of its committed prefix that fit what is
  // left to keep; a dedicated pool keeps none (large chunks are rare, and
  // IdleBytes() counts free ranges only).
  auto keep_or_decommit = [&](Pool* pool) {
    const auto committed =
        static_cast<std::size_t>(pool->commit_end.load(std::memory_order_relaxed) - pool->start);
    std::size_t keep = pool->dedicated() ? 0 : std::min(committed, keep_committed - kept);
    keep &= ~(kPageSize - 1);
    Decommit(pool, keep);
    kept += keep;
  };
  // Ranges still free since an earlier Reset may hold pages too.
  for (Pool* pool = retired_; pool != nullptr; pool = pool->next_retired) keep_or_decommit(pool);
  const std::size_t granules = range_carved_ >> kGranuleShift;
  for (std::size_t g = 0; g < granules;) {
    Pool* pool = PageMapEntry(page_map_, g).load(std::memory_order_relaxed);
    if (pool == nullptr) {
      ++g;
      continue;
    }
    const std::size_t first = g;
    g += pool->pool_size >> kGranuleShift;
    // As a free range, every committed page is in [start, commit_end).
    pool->commit_end.store(pool->committed_end(), std::memory_order_relaxed);
    pool->warm_end = nullptr;
    keep_or_decommit(pool);
    if (pool->dedicated()) {
      pool->large_live.store(false, std::memory_order_relaxed);
      pool->next_large_free = large_free_[pool->slab];
      large_free_[pool->slab] = pool;
      continue;
    }
    // A pointer into the range is foreign until the range is carved again.
    for (std::size_t i = first; i < g; ++i) {
      PageMapEntry(page_map_, i).store(nullptr, std::memory_order_relaxed);
    }
#if ARENAKV_DEBUG_CHECKS
    // InitPool expects a free range's bitmap clear.
    if (pool->live_bits != nullptr) std::memset(pool->live_bits, 0, pool->live_bits_bytes);
#endif
    pool->remote_free.store(nullptr, std::memory_order_relaxed);
    pool->next_retired = retired_;
    retired_ = pool;
  }
  idle_.store(kept, std::memory_order_relaxed);
  // The heaps start over: no pools, no free lists, zero counters.
  for (auto& slot : heaps_) {
    if (Heap* heap = slot.load(std::memory_order_relaxed)) heap->Clear();
  }
  overflow_heap_.Clear();
  // Free ranges are never merged, and each cut of one takes a new header and
  // waste map: an arena reset again and again under changing patterns could
  // fragment its range and grow its metadata without bound. Past a bound, it
  // starts over instead (its warm pages are lost, nothing else).
  std::size_t ranges = 0;
  for (Pool* pool = retired_; pool != nullptr; pool = pool->next_retired) ++ranges;
  if (ranges > kMaxFreeRanges) {
    lock.unlock();
    Release();
  }
}

}  // namespace arenakv::alloc_internal
