// SPDX-License-Identifier: Apache-2.0
// arenakv::Arena: a thread-safe slab/pool allocator.
//
// Vocabulary (from gostore's malloc):
//   arena  - a bucket of memory with a hard capacity; empty at first, it fills up
//            as chunks are allocated, and gives everything back at once in Release().
//   slab   - a size class. Requests are rounded up to the smallest slab that fits.
//            Slabs span 8 B .. 1 TiB: exact 8-byte steps up to 512 B, then eight
//            slabs per power of two, so a request above 512 B wastes < 12.5 %
//            (and a request of at most 512 B wastes < 8 B). 67 B gets a 72 B chunk.
//   pool   - one contiguous region holding same-size chunks of one slab.
//            Regular pools are 1..8 x min_pool_size (a ramp per slab and thread);
//            a request whose slab is larger than min_pool_size / 8 gets a
//            dedicated pool holding exactly one chunk.
//   chunk  - the unit handed to callers; 8-byte aligned; never moves.
//
// Features
//   - Alloc and Free take no shared lock on the fast path: each thread allocates
//     from its own current pool per slab and pops its own free list without
//     atomics; a chunk freed by another thread goes onto the pool's lock-free
//     remote-free list, which the owner takes in one exchange.
//   - Free and ChunkSize find a chunk's pool by arithmetic on the address (one
//     virtual range per arena, a page map with one entry per 64 KiB granule).
//   - Stats are exact and cheap (sums of per-thread counters).
//
// Memory model (see docs/ALLOCATOR.md for the full story)
//   The arena reserves one range of address space on first use. Pools are carved
//   from it; a pool's pages are committed (made readable/writable) in steps of
//   64 KiB as chunks are carved, and only committed bytes count as `reserved` and
//   against `capacity`. Freed chunks are reused by later allocations of the same
//   slab; a pool whose chunks are all free (and that is not its slab's current
//   pool) is retired: its pages go back to the OS and its bytes to `capacity`,
//   and its range is carved again by any thread for any slab. A thread that
//   runs out of capacity first collects other threads' frees into its pools and
//   retires what they emptied. The precise contract: docs/ALLOCATOR.md, "Reuse".
//
// Thread safety
//   Alloc, TryAlloc, Free, ChunkSize, Owns and Stats may be called concurrently
//   from any number of threads. Release() and the destructor require that no
//   other thread uses the arena and that no chunk is touched afterwards.
//   Several arenas may be used by one thread at the same time.
//
// Misuse detection (ArenaMisuse)
//   Always: Free(nullptr); a pointer outside this arena (another arena, malloc,
//   the stack); a pointer inside this arena that is not the start of a chunk
//   (interior pointers, or space never carved); a double free of a chunk of at
//   least 16 bytes, and of any chunk from a dedicated (large) pool.
//   Debug builds (NDEBUG not defined) also keep a per-chunk live bitmap, which
//   catches the double free of 8-byte chunks and the free of a chunk that was
//   carved but never handed out.
#ifndef ARENAKV_ALLOC_ARENA_H_
#define ARENAKV_ALLOC_ARENA_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>

#include "arenakv/alloc/memory_charge.h"

namespace arenakv {

constexpr std::size_t kMaxArenaSize = 1ull << 40;  // 1 TiB
constexpr std::size_t kAlignment = 8;              // every chunk is at least 8-byte aligned

struct ArenaOptions {
  // Hard limit on committed pool memory (ArenaStats::reserved); 1 .. kMaxArenaSize.
  std::size_t capacity = 1ull << 30;
  // Size of a slab's first pool per thread; later pools grow to 8x this. Rounded
  // up to 64 KiB. Larger values mean fewer pools and less metadata, at the price
  // of address space (never of memory: pools are committed as they fill).
  std::size_t min_pool_size = 1 << 20;
  // Optional account every committed byte is also charged to (a budget shared
  // with other arenas; memory_charge.h). Not owned: it must outlive the arena.
  // A refused charge fails the allocation like exhausted capacity.
  MemoryCharge* charge = nullptr;
  // Pools of 8 MiB and more use transparent huge pages where the kernel
  // offers them, committing 2 MiB at a time (far fewer page faults). Off, every
  // pool commits in the regular steps, which keeps CommitAhead() small.
  bool huge_pages = true;
};

struct ArenaStats {
  std::size_t capacity = 0;     // as configured
  std::size_t requested = 0;    // sum of live request sizes                   (R)
  std::size_t allocated = 0;    // sum of live chunk (slab) sizes              (U)
  std::size_t reserved = 0;     // pool bytes committed from the OS            (P)
  std::size_t overhead = 0;     // allocator metadata bytes (pool headers, maps, thread state)
  std::size_t live_chunks = 0;  // chunks allocated and not yet freed
  double utilization() const {  // requested / reserved (0 when nothing is reserved)
    return reserved == 0 ? 0.0 : static_cast<double>(requested) / static_cast<double>(reserved);
  }
};

// Thrown by Alloc when the arena cannot grow within its capacity.
class ArenaExhausted : public std::bad_alloc {
 public:
  explicit ArenaExhausted(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

// Thrown when the arena is used against its contract (see "Misuse detection").
class ArenaMisuse : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace alloc_internal {
class ArenaState;
}

class Arena {
 public:
  // Throws std::invalid_argument if capacity is 0 or above kMaxArenaSize, or if
  // min_pool_size is above kMaxArenaSize. Reserves nothing until the first Alloc.
  explicit Arena(ArenaOptions options = {});
  ~Arena();  // releases every pool
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns a chunk of at least n bytes (n >= 1), 8-byte aligned, uninitialized.
  // Throws ArenaExhausted (a std::bad_alloc) when capacity would be exceeded,
  // ArenaMisuse for n == 0.
  void* Alloc(std::size_t n);

  // As Alloc, but returns nullptr where Alloc would throw.
  void* TryAlloc(std::size_t n) noexcept;

  // Returns a chunk to its pool for reuse by later allocations of the same slab
  // (and, once its whole pool is free, of any slab; see "Memory model").
  // Any thread may free any chunk of this arena. Throws ArenaMisuse (see above).
  void Free(void* p);

  // Usable bytes of the live chunk p (its slab size, >= the request).
  // Throws ArenaMisuse if p is not a chunk of this arena.
  std::size_t ChunkSize(const void* p) const;

  // The chunk size a request of n bytes gets (0 -> 8, 67 -> 72).
  // Throws std::length_error if n > kMaxArenaSize.
  static std::size_t SlabSize(std::size_t n);

  // Every slab, ascending, from 8 to kMaxArenaSize.
  static std::span<const std::size_t> Slabs();

  // True if p is the start of a chunk carved by this arena (live or free).
  bool Owns(const void* p) const noexcept;

  // Exact when no Alloc/Free runs concurrently; otherwise a snapshot that may
  // miss operations in flight. Cost: one pass over the arena's thread heaps.
  ArenaStats Stats() const;

  // Stats().reserved alone: one atomic load, cheap enough for every write
  // (a memtable checks it against its budget).
  std::size_t ReservedBytes() const noexcept;

  // The part of ReservedBytes() that Reset kept and no pool uses yet (one
  // atomic load): ReservedBytes() - IdleBytes() is what the arena's pools
  // hold committed since the last Reset.
  std::size_t IdleBytes() const noexcept;

  // The most one allocation may commit beyond its chunk's own bytes: a commit
  // step (capacity / 256 clamped to 4..64 KiB, or 2 MiB with huge pages).
  // With n allocations of chunks totalling b bytes, the arena commits at most
  // b + n * CommitAhead() (what a caller reserves in a budget ahead of time).
  std::size_t CommitAhead() const noexcept;

  // The start of the one contiguous address range every chunk of this arena
  // lies in (reserved now if no chunk was allocated yet; nullptr if the OS
  // refuses). Chunks lie at offsets below capacity + 32 GiB from it. Stable
  // until Release(). Lets a structure with many links store them as 32-bit
  // offsets (<arenakv/alloc/compact_refs.h>) instead of 64-bit pointers.
  const char* RangeBase() noexcept;

  // Returns all pools to the OS (their pages freed in 2 MiB steps, so that
  // other threads' mmap calls never wait long behind it, then the range
  // unmapped) and leaves the arena empty and reusable.
  // The caller guarantees no concurrent use and that no chunk is used afterwards.
  void Release();

  // Frees every chunk at once, like Release(), but keeps the address range,
  // the metadata and up to `keep_committed` bytes of committed pages (free
  // ranges kept by an earlier Reset first, then pools in address order; the
  // pages of large chunks' dedicated pools and the rest go back to the OS).
  // Later allocations, from any thread and of any slab, carve the kept pages
  // first: no system call, no page fault. This is how an arena is recycled: Release()
  // and a fresh first Alloc cost four munmaps, three mmaps, two mprotects and
  // page faults (about 250 us, measured), Reset a pass over the arena's pools.
  // Kept pages stay in ReservedBytes(), count against capacity and stay
  // charged; an allocation that runs out of capacity gives them back first.
  // Free ranges are not merged: an arena whose ranges Resets have cut into
  // more than 1024 pieces (allocation patterns that change from one use to
  // the next) is released instead, which bounds its metadata.
  // Same contract as Release(): no concurrent use, no chunk used afterwards
  // (freeing one is ArenaMisuse until its range is carved again; after that
  // it could free another chunk, so it is undefined, as after Release).
  void Reset(std::size_t keep_committed = kMaxArenaSize);

 private:
  std::unique_ptr<alloc_internal::ArenaState> state_;
};

}  // namespace arenakv

#endif  // ARENAKV_ALLOC_ARENA_H_
