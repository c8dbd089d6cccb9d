// SPDX-License-Identifier: Apache-2.0
// BlockCache internals. The contract is in mvcc/block_cache.h.
//
// Entry states (all transitions under the entry's shard mutex):
//
//   cached, unpinned  in `table`, on the LRU list        (evictable)
//   cached, pinned    in `table`, off the LRU list
//   detached, pinned  out of `table`, off the LRU list   (replaced/evicted while pinned)
//   freed             the chunk is back in the arena
//
// An entry is freed by whoever makes it "detached and unpinned": eviction or
// replacement of an unpinned entry, or the last Release of a detached one.
// Invariants per shard: usage == sum of sizes of the entries in `table`;
// detached == number of detached, pinned entries.
#include "mvcc/table/block_cache.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <unordered_map>

#include "arenakv/base/check.h"
#include "arenakv/base/mutex.h"

namespace arenakv {

// The header of an entry's arena chunk; the block bytes follow it.
struct BlockCache::Handle {
  std::uint64_t cache_id;
  std::uint64_t offset;
  // LRU links, meaningful only while on the LRU list. A detached entry about
  // to be freed reuses `next` to chain the shard's garbage list.
  Handle* prev;
  Handle* next;
  std::size_t size;    // bytes of contents
  std::uint32_t pins;  // outstanding handles from Insert/Lookup
  std::uint32_t shard;
  bool in_cache;  // in its shard's table

  char* data() { return reinterpret_cast<char*>(this) + sizeof(Handle); }
  const char* data() const { return reinterpret_cast<const char*>(this) + sizeof(Handle); }
};
static_assert(sizeof(BlockCache::Handle) % kAlignment == 0,
              "block bytes follow the header at an aligned offset");

namespace {

struct CacheKey {
  std::uint64_t cache_id;
  std::uint64_t offset;
  bool operator==(const CacheKey&) const = default;
};

// A 64-bit finalizer (splitmix64's): every input bit affects every output
// bit, so both the shard (top bits) and the table bucket (low bits) spread.
inline std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t HashKey(std::uint64_t cache_id, std::uint64_t offset) {
  return Mix64(cache_id ^ Mix64(offset + 0x9e3779b97f4a7c15ull));
}

struct CacheKeyHash {
  std::size_t operator()(const CacheKey& key) const {
    return static_cast<std::size_t>(HashKey(key.cache_id, key.offset));
  }
};

constexpr int kMaxShardBits = 16;
// Arena room beyond the pinned-overflow allowance: each thread commits its
// pools per slab in steps of 64 KiB, so 16 threads touching 64 slabs of block
// sizes hold 64 MiB of committed but unused space at worst while filling.
// Each thread may also keep an emptied pool per slab as its spare
// (docs/ALLOCATOR.md, "Reuse"); an insert that meets the limit makes its
// thread retire its own spares first. Slack costs address space only until
// used.
constexpr std::size_t kArenaSlack = std::size_t{64} << 20;

ArenaOptions ArenaOptionsFor(std::size_t cache_capacity) {
  ArenaOptions options;
  const std::size_t limit = kMaxArenaSize - kArenaSlack;
  options.capacity = std::min(cache_capacity, limit / 2) * 2 + kArenaSlack;
  return options;
}

}  // namespace

struct BlockCache::Impl {
  // One shard: its own mutex, table, LRU list and counters, on its own cache
  // lines so that threads using different shards do not share a line.
  struct alignas(64) Shard {
    Mutex mu;
    std::size_t capacity = 0;  // set once before any use
    std::size_t usage ARENAKV_GUARDED_BY(mu) = 0;
    std::size_t detached ARENAKV_GUARDED_BY(mu) = 0;
    // Dummy head: lru.next is the least recently released entry.
    Handle lru ARENAKV_GUARDED_BY(mu){};
    std::unordered_map<CacheKey, Handle*, CacheKeyHash> table ARENAKV_GUARDED_BY(mu);
    // Written under mu, read without it by the stats accessors: relaxed, as
    // they are counters that order nothing.
    std::atomic<std::size_t> usage_view{0};
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};

    Shard() { lru.prev = lru.next = &lru; }

    void LruUnlink(Handle* e) ARENAKV_REQUIRES(mu) {
      e->prev->next = e->next;
      e->next->prev = e->prev;
    }
    void LruAppend(Handle* e) ARENAKV_REQUIRES(mu) {  // as the most recently released
      e->next = &lru;
      e->prev = lru.prev;
      e->prev->next = e;
      lru.prev = e;
    }

    // `e` has just been removed from `table`. Frees it (via *garbage) if unpinned.
    void Detach(Handle* e, Handle** garbage) ARENAKV_REQUIRES(mu) {
      ARENAKV_DCHECK(e->in_cache && usage >= e->size);
      e->in_cache = false;
      usage -= e->size;
      if (e->pins == 0) {
        LruUnlink(e);
        e->next = *garbage;
        *garbage = e;
      } else {
        ++detached;
      }
    }

    // Evicts least recently released entries until usage fits, or none is left
    // unpinned.
    void EvictOverflow(Handle** garbage) ARENAKV_REQUIRES(mu) {
      while (usage > capacity && lru.next != &lru) EvictOne(garbage);
      usage_view.store(usage, std::memory_order_relaxed);
    }

    // Evicts unpinned entries until `bytes` of contents are gone or none is
    // left; returns the bytes evicted.
    std::size_t EvictBytes(std::size_t bytes, Handle** garbage) ARENAKV_REQUIRES(mu) {
      std::size_t evicted = 0;
      while (evicted < bytes && lru.next != &lru) evicted += EvictOne(garbage);
      usage_view.store(usage, std::memory_order_relaxed);
      return evicted;
    }

    std::size_t EvictOne(Handle** garbage) ARENAKV_REQUIRES(mu) {
      Handle* victim = lru.next;
      const std::size_t size = victim->size;
      table.erase(CacheKey{victim->cache_id, victim->offset});
      Detach(victim, garbage);
      return size;
    }
  };

  Impl(std::size_t capacity_bytes, int bits, MemoryCharge* charge)
      : arena(ArenaOptionsFor(capacity_bytes)),
        charge(charge),
        capacity(capacity_bytes),
        shard_bits(std::clamp(bits, 0, kMaxShardBits)),
        shards(new Shard[std::size_t{1} << shard_bits]) {
    const std::size_t count = std::size_t{1} << shard_bits;
    for (std::size_t i = 0; i < count; ++i) {
      shards[i].capacity = capacity / count + (i < capacity % count ? 1 : 0);
    }
  }

  std::size_t shard_count() const { return std::size_t{1} << shard_bits; }
  std::uint32_t ShardIndex(std::uint64_t hash) const {
    return shard_bits == 0 ? 0 : static_cast<std::uint32_t>(hash >> (64 - shard_bits));
  }

  // Frees a garbage list built by Shard::Detach; call unlocked.
  void FreeAll(Handle* garbage) {
    while (garbage != nullptr) {
      Handle* next = garbage->next;
      Free(garbage);
      garbage = next;
    }
  }

  // An entry's chunk, charged to `charge` (if any) or nullptr; a refused
  // charge first evicts older entries, `shard` first.
  void* Allocate(std::size_t bytes, std::size_t shard) {
    void* chunk = arena.TryAlloc(bytes);
    if (chunk == nullptr && Shed(bytes, shard) > 0) chunk = arena.TryAlloc(bytes);
    if (chunk == nullptr || charge == nullptr) return chunk;
    const std::size_t size = arena.ChunkSize(chunk);
    if (charge->TryCharge(size)) return chunk;
    if (Shed(size, shard) > 0 && charge->TryCharge(size)) return chunk;
    arena.Free(chunk);
    return nullptr;
  }
  void Free(Handle* e) {
    if (charge != nullptr) charge->Release(arena.ChunkSize(e));
    arena.Free(e);
  }

  // Evicts at least `bytes` from the shards, `first` first; returns the bytes
  // evicted.
  std::size_t Shed(std::size_t bytes, std::size_t first) {
    std::size_t evicted = 0;
    for (std::size_t i = 0; i < shard_count() && evicted < bytes; ++i) {
      Shard& shard = shards[(first + i) % shard_count()];
      Handle* garbage = nullptr;
      {
        MutexLock lock(&shard.mu);
        evicted += shard.EvictBytes(bytes - evicted, &garbage);
      }
      FreeAll(garbage);
    }
    shed.fetch_add(evicted, std::memory_order_relaxed);
    return evicted;
  }

  Arena arena;                 // every entry's chunk; thread-safe
  MemoryCharge* const charge;  // may be null: each live chunk's size is charged
  const std::size_t capacity;
  std::atomic<std::uint64_t> shed{0};
  const int shard_bits;
  std::unique_ptr<Shard[]> shards;
  std::atomic<std::uint64_t> next_id{1};
};

BlockCache::BlockCache(std::size_t capacity, int shard_bits, MemoryCharge* charge)
    : impl_(std::make_unique<Impl>(capacity, shard_bits, charge)) {}

BlockCache::~BlockCache() {
  for (std::size_t i = 0; i < impl_->shard_count(); ++i) {
    Impl::Shard& shard = impl_->shards[i];
    ARENAKV_DCHECK(shard.detached == 0);
    for (auto& [key, e] : shard.table) {
      ARENAKV_DCHECK(e->pins == 0);
      impl_->Free(e);
    }
    shard.table.clear();
  }
}

BlockCache::Handle* BlockCache::Insert(std::uint64_t cache_id, std::uint64_t offset,
                                       std::string_view contents) {
  Handle* e = Reserve(cache_id, offset, contents.size());
  if (e == nullptr) return nullptr;
  if (!contents.empty()) std::memcpy(e->data(), contents.data(), contents.size());
  return Commit(e, contents.size());
}

BlockCache::Handle* BlockCache::Reserve(std::uint64_t cache_id, std::uint64_t offset,
                                        std::size_t size) {
  const std::uint32_t index = impl_->ShardIndex(HashKey(cache_id, offset));
  const Impl::Shard& shard = impl_->shards[index];
  if (shard.capacity == 0 || size > shard.capacity) return nullptr;

  // Allocated and filled outside the lock: the entry is private until linked.
  void* chunk = impl_->Allocate(sizeof(Handle) + size, index);
  if (chunk == nullptr) return nullptr;
  auto* e = new (chunk) Handle{};
  e->cache_id = cache_id;
  e->offset = offset;
  e->size = size;
  e->pins = 1;
  e->shard = index;
  return e;
}

char* BlockCache::Buffer(Handle* reserved) {
  ARENAKV_DCHECK(reserved != nullptr && !reserved->in_cache);
  return reserved->data();
}

BlockCache::Handle* BlockCache::Commit(Handle* e, std::size_t used) {
  ARENAKV_DCHECK(e != nullptr && !e->in_cache && e->pins == 1 && used <= e->size);
  e->size = used;
  e->in_cache = true;
  Impl::Shard& shard = impl_->shards[e->shard];
  Handle* garbage = nullptr;
  {
    MutexLock lock(&shard.mu);
    auto [it, inserted] = shard.table.try_emplace(CacheKey{e->cache_id, e->offset}, e);
    if (!inserted) {
      shard.Detach(it->second, &garbage);
      it->second = e;
    }
    shard.usage += e->size;
    shard.EvictOverflow(&garbage);
  }
  impl_->FreeAll(garbage);
  return e;
}

void BlockCache::Abandon(Handle* reserved) {
  ARENAKV_DCHECK(reserved != nullptr && !reserved->in_cache && reserved->pins == 1);
  impl_->Free(reserved);
}

BlockCache::Handle* BlockCache::Lookup(std::uint64_t cache_id, std::uint64_t offset) {
  Impl::Shard& shard = impl_->shards[impl_->ShardIndex(HashKey(cache_id, offset))];
  MutexLock lock(&shard.mu);
  auto it = shard.table.find(CacheKey{cache_id, offset});
  if (it == shard.table.end()) {
    shard.misses.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  Handle* e = it->second;
  if (e->pins == 0) shard.LruUnlink(e);
  ++e->pins;
  shard.hits.fetch_add(1, std::memory_order_relaxed);
  return e;
}

void BlockCache::Release(Handle* handle) {
  ARENAKV_DCHECK(handle != nullptr);
  Impl::Shard& shard = impl_->shards[handle->shard];
  Handle* garbage = nullptr;
  {
    MutexLock lock(&shard.mu);
    ARENAKV_DCHECK(handle->pins > 0);
    if (--handle->pins == 0) {
      if (handle->in_cache) {
        shard.LruAppend(handle);
        // Pinned entries may have pushed usage past capacity; now one more
        // entry is evictable.
        shard.EvictOverflow(&garbage);
      } else {
        --shard.detached;
        handle->next = nullptr;
        garbage = handle;
      }
    }
  }
  impl_->FreeAll(garbage);
}

std::string_view BlockCache::Value(const Handle* handle) {
  ARENAKV_DCHECK(handle != nullptr);
  return {handle->data(), handle->size};
}

std::size_t BlockCache::Shed(std::size_t bytes) { return impl_->Shed(bytes, 0); }

std::uint64_t BlockCache::shed_bytes() const { return impl_->shed.load(std::memory_order_relaxed); }

std::uint64_t BlockCache::NewId() { return impl_->next_id.fetch_add(1, std::memory_order_relaxed); }

std::size_t BlockCache::capacity() const { return impl_->capacity; }

std::size_t BlockCache::usage() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < impl_->shard_count(); ++i) {
    total += impl_->shards[i].usage_view.load(std::memory_order_relaxed);
  }
  return total;
}

std::uint64_t BlockCache::hits() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < impl_->shard_count(); ++i) {
    total += impl_->shards[i].hits.load(std::memory_order_relaxed);
  }
  return total;
}

std::uint64_t BlockCache::misses() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < impl_->shard_count(); ++i) {
    total += impl_->shards[i].misses.load(std::memory_order_relaxed);
  }
  return total;
}

ArenaStats BlockCache::arena_stats() const { return impl_->arena.Stats(); }

}  // namespace arenakv
