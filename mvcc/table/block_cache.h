// SPDX-License-Identifier: Apache-2.0
// BlockCache: a sharded LRU cache of SST blocks whose bytes live in a slab
// arena (alloc/), so the engine exercises the allocator's Free path in
// production: an evicted block's chunk is freed back to its slab and reused.
//
// Keys are (cache_id, offset): cache_id names one open table file (NewId()),
// offset is the block's offset in it. Values are immutable byte strings.
//
// Concurrency: every method is thread-safe. Each shard has its own mutex; a
// key always maps to the same shard (hash of the key), so threads touching
// different blocks rarely contend.
//
// Ownership and pinning: Insert and Lookup return a pinned Handle; the bytes
// stay valid (never freed, never moved) until Release(handle), even if the
// entry is evicted or replaced meanwhile. An entry's arena chunk is freed
// when it is both out of the cache and unpinned. The cache must outlive
// every handle.
//
// Memory: one Arena serves the whole cache. Each entry is one arena chunk, a
// small header (the Handle: key, LRU links, pin count) followed by the block
// bytes, so evicting a block is one Free. The arena's hard capacity is
// 2 x capacity + 64 MiB: room for pinned entries that outlive eviction plus
// the commit slack of per-thread pools; past it Insert returns nullptr.
// Caveat: a chunk freed by another thread returns to the inserting thread's
// pool, and its memory to the arena's capacity only when that pool is wholly
// free (docs/ALLOCATOR.md, "Reuse"), so when many threads take turns filling
// the cache the arena's committed memory can grow past capacity up to that
// limit; an insert that meets it makes its thread reclaim first.
//
// Memory budget: with a MemoryCharge (the engine's budget), every entry's
// chunk size is charged while the entry lives (cached or pinned), so an
// eviction gives its bytes back at once. An Insert the charge refuses evicts
// least recently released entries (its own shard first, then the others)
// and tries once more; then it returns nullptr. Shed() evicts on request, so
// that the write path can take memory from the cache before it flushes
// early. (Pages, not chunks, would be exact, but an evicted chunk's page
// goes back only when its whole pool is free; charged that way, a cache that
// readers keep refilling would never give memory back to the writers.) Not
// charged: the arena's committed but free space (freed chunks, commit slack,
// spare pools), which later inserts reuse.
//
// Eviction: per shard, least recently released first. An entry is on its
// shard's LRU list only while it is cached and unpinned; usage() counts
// pinned entries too, so while many blocks are pinned usage may exceed
// capacity, and the excess is evicted as they are released.
//
// Cost: Insert is one arena allocation and a copy outside the lock (none for
// Reserve and Commit: the caller writes the bytes in place), then O(1)
// work under the shard mutex plus one unlink per evicted entry; Lookup and
// Release are O(1) under the shard mutex; chunks are freed after unlocking.
#ifndef ARENAKV_MVCC_TABLE_BLOCK_CACHE_H_
#define ARENAKV_MVCC_TABLE_BLOCK_CACHE_H_

#include <arenakv/alloc/arena.h>
#include <arenakv/alloc/memory_charge.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace arenakv {

class BlockCache {
 public:
  struct Handle;  // opaque

  // capacity: bytes of block contents held (pinned entries may exceed it
  // until released); 0 disables caching (every Insert returns nullptr).
  // 2^shard_bits shards, shard_bits clamped to [0, 16]; each shard holds
  // capacity / 2^shard_bits bytes (the remainder spread over the first ones).
  // Reserves nothing until the first Insert.
  // `charge` (may be null; must outlive the cache): where the arena's pages
  // are charged.
  explicit BlockCache(std::size_t capacity, int shard_bits = 4, MemoryCharge* charge = nullptr);
  // Requires that no handle is outstanding; frees every cached chunk.
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Copies `contents` into the arena and caches it under the key, replacing
  // any entry with the same key. Returns a pinned handle, or nullptr if the
  // block does not fit (larger than a shard's capacity, or the arena is
  // exhausted); the caller then keeps using its own copy.
  Handle* Insert(std::uint64_t cache_id, std::uint64_t offset, std::string_view contents);
  // Insert in two steps, for a block read straight into the cache's memory:
  // Reserve takes an entry of `size` bytes for the key that no Lookup sees
  // yet, or nullptr where Insert would return nullptr; the caller writes the
  // contents at Buffer(entry), then either Commit(entry, used) (used <= size:
  // the first `used` bytes are cached as Insert caches them, and the entry
  // is returned pinned; its chunk, charged from Reserve on, keeps the size
  // reserved) or Abandon(entry) (its memory and charge are given back). Each
  // reserved entry is committed or abandoned exactly once, by one thread.
  Handle* Reserve(std::uint64_t cache_id, std::uint64_t offset, std::size_t size);
  static char* Buffer(Handle* reserved);
  Handle* Commit(Handle* reserved, std::size_t used);
  void Abandon(Handle* reserved);
  // A pinned handle, or nullptr on a miss (counted in hits()/misses()).
  Handle* Lookup(std::uint64_t cache_id, std::uint64_t offset);
  // Unpins a handle from Insert or Lookup; each handle is released exactly
  // once. The entry's chunk is freed here if it has already left the cache.
  void Release(Handle* handle);
  // The cached bytes; valid until Release(handle). Takes no lock.
  static std::string_view Value(const Handle* handle);

  // Evicts least recently released, unpinned entries, shard by shard, until
  // at least `bytes` of contents are gone or none is left; returns the bytes
  // evicted. Their charge goes back at once (pinned ones' at their Release).
  std::size_t Shed(std::size_t bytes);
  // Bytes evicted by Shed() and by inserts the charge refused.
  std::uint64_t shed_bytes() const;

  // A fresh id for a newly opened table file; never returns the same id twice.
  std::uint64_t NewId();

  std::size_t capacity() const;
  std::size_t usage() const;  // bytes of contents currently cached (pinned or not)
  std::uint64_t hits() const;
  std::uint64_t misses() const;

  // Stats of the arena holding the entries (a test hook: live_chunks is the
  // number of entries cached or pinned).
  ArenaStats arena_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_BLOCK_CACHE_H_
