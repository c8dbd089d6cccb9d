// SPDX-License-Identifier: Apache-2.0
// Pool: one contiguous region of the arena's address range holding same-size
// chunks of one slab.
//
// Memory layout of a regular pool (owned by one heap, i.e. one thread slot):
//
//   start                         bump          commit_end            end
//   | chunk 0 | chunk 1 | ... | chunk k |  never carved  |  not committed  |
//   '---- carved: live or on a free list ----'
//
// The pool's header lives out of band (MetaArena), so chunks are packed with no
// per-chunk header, and so is its waste map: one entry per chunk, recording
// (chunk size - request) so that Free can keep `requested` exact.
//
// Concurrency
//   - Fields above "owner only" are immutable once the pool is published (by the
//     release-store of its page-map entries, and for the owner by its own heap).
//   - Owner-only fields are touched only by the thread holding the owner heap's
//     slot (or under the overflow mutex for the overflow heap).
//   - commit_end and bump are written by the owner and read by any thread
//     validating a pointer: relaxed is enough, because a chunk handed to another thread was
//     carved after its pages were committed and the caller's own hand-off orders
//     that before the other thread's Free.
//   - remote_free is a lock-free stack (Treiber) that other threads push freed
//     chunks onto with a release CAS; the owner takes the whole stack with one
//     acquire exchange, so it never pops concurrently with another popper and
//     there is no ABA problem. Its own cache line keeps remote frees from
//     bouncing the owner's fields.
//   - Dedicated (large) pools have no owner heap; `large_live` says whether their
//     single chunk is handed out, and flips with an atomic exchange so a double
//     free is always caught.
//   - Retirement: once every chunk of a regular pool is back on its owner's
//     lists (`live` == 0) and it is not the slab's current pool, the owner
//     keeps it as the slab's one empty spare, or if there is one already (or
//     capacity ran out) retires it: its pages go back to the OS and its bytes back to the
//     arena's capacity, its page-map entries are cleared and the header (with
//     its range, waste map and live bitmap) waits on the arena's retired list
//     (grow mutex) to be carved again for any heap and any slab. The
//     "immutable" fields below are rewritten then, before the new
//     publication; no thread can still hold the old pool: every chunk was
//     freed, and a remote free reads the owner and slab before it pushes.
// Invariant (regular pool, owner's view): live + |local_free| ==
// (bump - start) / chunk_size, where `live` counts the chunks handed out and
// not yet back on the owner's local list: chunks on remote_free still count in
// `live` until the owner collects them.
#ifndef ARENAKV_ALLOC_POOL_H_
#define ARENAKV_ALLOC_POOL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace arenakv::alloc_internal {

struct Heap;

// A chunk on a free list. `tag` (only in chunks of 16 bytes or more) holds
// kFreeTag ^ address while the chunk is free, which is how a double free is
// caught in release builds.
struct FreeChunk {
  FreeChunk* next;
  std::uintptr_t tag;
};
constexpr std::uintptr_t kFreeTag = 0x5a17c0de0f4eeeedULL;

__extension__ typedef unsigned __int128 U128;

struct Pool {
  // --- immutable after publication ---
  char* start = nullptr;
  char* end = nullptr;  // start + chunk_count * chunk_size
  std::size_t chunk_size = 0;
  std::size_t pool_size = 0;    // bytes of address range carved (multiple of the granule)
  std::size_t commit_step = 0;  // the arena's commit step, or kHugePageSize for huge-page pools
  std::uint64_t div_magic = 0;  // ceil(2^64 / chunk_size): offset -> index without a divide
  std::uint32_t slab = 0;
  std::uint32_t chunk_count = 0;
  std::uint8_t waste_width = 0;  // bytes per waste-map entry; 0 for dedicated pools
  void* waste_map = nullptr;
  std::uint64_t* live_bits = nullptr;  // debug builds only; accessed through std::atomic_ref
  Heap* owner = nullptr;               // nullptr: dedicated pool of one large chunk

  std::size_t waste_map_bytes = 0;  // room in waste_map / live_bits, for reuse
  std::size_t live_bits_bytes = 0;

  // --- owner only ---
  std::uint32_t live = 0;  // see Invariant
  FreeChunk* local_free = nullptr;
  char* carve_limit = nullptr;   // min(commit_end, end): bump may advance up to here
  Pool* next_in_slab = nullptr;  // all pools of this slab in the owner heap
  Pool* next_partial = nullptr;  // owner heap's stack of pools with room (free or uncarved chunks)
  bool in_partial = false;
  // Pages [commit_end, warm_end) are committed already: a Reset kept them in
  // the free range this pool was carved from. They count as the arena's idle
  // bytes until CommitMore hands them to the pool, as it would fresh pages.
  char* warm_end = nullptr;

  // --- shared ---
  std::atomic<char*> commit_end{nullptr};
  // Next chunk never handed out. Written by the owner only (relaxed load+store,
  // plain moves on x86); read by pointer validation, for which a chunk handed
  // to another thread is ordered by the caller's own hand-off.
  std::atomic<char*> bump{nullptr};
  std::size_t large_waste = 0;  // dedicated pools: waste of the live chunk
  std::atomic<bool> large_live{false};
  Pool* next_large_free = nullptr;  // arena's free list of dedicated pools (grow mutex)
  Pool* next_retired = nullptr;     // arena's list of retired regular pools (grow mutex)
  alignas(64) std::atomic<FreeChunk*> remote_free{nullptr};

  bool dedicated() const { return owner == nullptr; }
  // The end of the committed pages: the pool's own and the warm ones.
  char* committed_end() const {
    return std::max(commit_end.load(std::memory_order_relaxed), warm_end);
  }

  // Owner only: true if the next never-used chunk lies below `limit`.
  bool CanCarve(const char* limit) const {
    return static_cast<std::size_t>(limit - bump.load(std::memory_order_relaxed)) >= chunk_size;
  }
  // Owner only: hands out the next never-used chunk (CanCarve must hold).
  char* Carve() {
    char* chunk = bump.load(std::memory_order_relaxed);
    bump.store(chunk + chunk_size, std::memory_order_relaxed);
    return chunk;
  }

  bool IsLive(std::uint32_t index) const {
    std::atomic_ref<std::uint64_t> word(live_bits[index / 64]);
    return (word.load(std::memory_order_relaxed) >> (index % 64)) & 1;
  }
  // Debug builds: flips chunk `index` live (true) or free; returns its old state.
  bool ExchangeLive(std::uint32_t index, bool live) {
    std::atomic_ref<std::uint64_t> word(live_bits[index / 64]);
    const std::uint64_t bit = std::uint64_t{1} << (index % 64);
    const std::uint64_t old = live ? word.fetch_or(bit, std::memory_order_relaxed)
                                   : word.fetch_and(~bit, std::memory_order_relaxed);
    return (old & bit) != 0;
  }

  // Index of the chunk at byte offset `offset` (offset < 2^32, which pool sizes
  // guarantee), or chunk_count if offset is not the start of a chunk.
  std::uint32_t IndexAt(std::size_t offset) const {
    const auto index = static_cast<std::uint32_t>((U128{div_magic} * offset) >> 64);
    return index * chunk_size == offset ? index : chunk_count;
  }

  std::size_t WasteAt(std::uint32_t index) const {
    switch (waste_width) {
      case 1:
        return static_cast<const std::uint8_t*>(waste_map)[index];
      case 2:
        return static_cast<const std::uint16_t*>(waste_map)[index];
      case 4:
        return static_cast<const std::uint32_t*>(waste_map)[index];
      case 8:
        return static_cast<const std::uint64_t*>(waste_map)[index];
      default:
        return large_waste;
    }
  }

  void SetWaste(std::uint32_t index, std::size_t waste) {
    switch (waste_width) {
      case 1:
        static_cast<std::uint8_t*>(waste_map)[index] = static_cast<std::uint8_t>(waste);
        break;
      case 2:
        static_cast<std::uint16_t*>(waste_map)[index] = static_cast<std::uint16_t>(waste);
        break;
      case 4:
        static_cast<std::uint32_t*>(waste_map)[index] = static_cast<std::uint32_t>(waste);
        break;
      case 8:
        static_cast<std::uint64_t*>(waste_map)[index] = waste;
        break;
      default:
        large_waste = waste;
    }
  }
};

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_POOL_H_
