// SPDX-License-Identifier: Apache-2.0
// A concurrent sharded LRU cache whose entries are arena chunks: the block
// cache pattern. Four threads look keys up and insert them on a miss; the
// cache evicts the least recently used entries to stay within a byte budget,
// and the arena hands the evicted chunks to later inserts.
//
// Memory story
//   - Who allocates: Insert, one Arena::Alloc per entry; the chunk holds the
//     entry header, the key bytes and the value bytes, so an entry is one
//     allocation and one Free. The per-shard hash index (std::unordered_map
//     from the key, a string_view into the chunk, to the entry) lives on the
//     heap; only entries live in the arena.
//   - Charge: an entry costs Arena::ChunkSize(chunk), the bytes it really
//     takes (the request rounded up to its slab), not the bytes asked for.
//   - Who frees: whichever thread evicts, erases or replaces the entry, with
//     Arena::Free. That is often not the thread that allocated it; the arena
//     allows any thread to free any chunk (a "remote free"), and the freed
//     chunk is reused by later allocations of the same slab.
//   - When the arena is released: after the cache is destroyed (its
//     destructor frees what is left) and every thread has been joined;
//     Release() requires that nobody touches the arena or its chunks any more.
//
// Concurrency contract
//   Insert, Lookup and Erase may be called from any number of threads. Each of
//   the 8 shards has its own std::mutex guarding its list, index and charge;
//   a key always maps to the same shard. Arena calls are made outside the
//   lock: the arena is thread-safe and its fast path takes no shared lock, so
//   the critical section is only list and index surgery.
//
// Memory orders
//   The mutex orders everything inside a shard. Entry bytes are written before
//   the lock is taken and read only under it (or by the freeing thread after
//   unlinking), so the lock's acquire/release is what makes them visible.
//   The statistics counters are std::atomic with relaxed order: they are
//   independent totals, read only after the threads are joined (join
//   synchronizes), so no ordering between them is needed.
//
// Exits non-zero if a check fails, so it doubles as a test (ctest).
#include <arenakv/alloc/arena.h>

#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

bool ok = true;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what);
    ok = false;
  }
}

void PrintStats(const char* when, const arenakv::Arena& arena) {
  const arenakv::ArenaStats s = arena.Stats();
  std::printf("  %-26s live=%zu allocated=%zu reserved=%zu\n", when, s.live_chunks, s.allocated,
              s.reserved);
}

// The chunk layout: | Entry | key bytes | value bytes |. The header is 8-byte
// aligned because every chunk is; the bytes follow it unaligned.
struct Entry {
  Entry* prev;  // toward the most recently used end
  Entry* next;  // toward the least recently used end
  std::size_t charge;
  std::uint32_t key_size;
  std::uint32_t value_size;

  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() { return {bytes(), key_size}; }
  std::string_view value() { return {bytes() + key_size, value_size}; }
};

class LruCache {
 public:
  static constexpr std::size_t kShards = 8;

  LruCache(arenakv::Arena* arena, std::size_t capacity) : arena_(arena) {
    for (Shard& s : shards_) s.capacity = capacity / kShards;
  }
  ~LruCache() {
    for (Shard& s : shards_) {
      for (Entry* e = s.lru.next; e != &s.lru;) arena_->Free(std::exchange(e, e->next));
    }
  }

  // Copies key and value into a new entry, replacing the key's old entry, and
  // evicts the least recently used entries of the key's shard until it fits.
  // Returns false, caching nothing, if the arena is full or the entry is
  // larger than a shard's whole budget.
  bool Insert(std::string_view key, std::string_view value) {
    const std::size_t n = sizeof(Entry) + key.size() + value.size();
    void* chunk = arena_->TryAlloc(n);
    if (chunk == nullptr) return false;
    auto* e = new (chunk) Entry{};
    e->charge = arena_->ChunkSize(e);
    e->key_size = static_cast<std::uint32_t>(key.size());
    e->value_size = static_cast<std::uint32_t>(value.size());
    std::memcpy(e->bytes(), key.data(), key.size());
    std::memcpy(e->bytes() + key.size(), value.data(), value.size());

    Shard& s = ShardOf(key);
    if (e->charge > s.capacity) {
      arena_->Free(e);
      return false;
    }
    Entry* dead = nullptr;  // entries to free once the lock is dropped
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (auto it = s.index.find(key); it != s.index.end()) Detach(s, it->second, &dead);
      // Evict from the cold end; the list is not empty while charge > 0.
      while (s.charge + e->charge > s.capacity) {
        Detach(s, s.lru.prev, &dead);
        evictions_.fetch_add(1, std::memory_order_relaxed);
      }
      s.index.emplace(e->key(), e);
      LinkFront(s, e);
      if (s.charge > s.capacity) over_budget_.store(true, std::memory_order_relaxed);
    }
    FreeAll(dead);
    return true;
  }

  // Copies the value out and marks the entry most recently used. The copy is
  // made under the lock because, once it is dropped, another thread may evict
  // the entry and its chunk may be handed to a different key. (A real block
  // cache pins entries with a reference count instead, to avoid the copy.)
  bool Lookup(std::string_view key, std::string* value) {
    Shard& s = ShardOf(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return false;
    Entry* e = it->second;
    Unlink(s, e);
    LinkFront(s, e);
    value->assign(e->value());
    return true;
  }

  void Erase(std::string_view key) {
    Shard& s = ShardOf(key);
    Entry* dead = nullptr;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (auto it = s.index.find(key); it != s.index.end()) Detach(s, it->second, &dead);
    }
    FreeAll(dead);
  }

  // Totals over the shards; exact when no other thread is using the cache.
  std::size_t Entries() {
    return Sum([](Shard& s) { return s.index.size(); });
  }
  std::size_t Charge() {
    return Sum([](Shard& s) { return s.charge; });
  }
  std::uint64_t Evictions() const { return evictions_.load(std::memory_order_relaxed); }
  bool WentOverBudget() const { return over_budget_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    std::mutex mu;
    // Circular list through a sentinel: lru.next is the most recently used
    // entry, lru.prev the least. Invariant: charge == sum of the entries'
    // charges <= capacity, and the index holds exactly the listed entries.
    Entry lru{&lru, &lru, 0, 0, 0};
    std::unordered_map<std::string_view, Entry*> index;  // keys point into the chunks
    std::size_t charge = 0;
    std::size_t capacity = 0;
  };

  template <typename Field>
  std::size_t Sum(Field field) {
    std::size_t n = 0;
    for (Shard& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      n += field(s);
    }
    return n;
  }
  Shard& ShardOf(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
  }
  // Takes e out of its shard's index and list and pushes it onto *dead (a
  // list through `next`). Requires the shard's lock.
  static void Detach(Shard& s, Entry* e, Entry** dead) {
    s.index.erase(e->key());
    Unlink(s, e);
    e->next = std::exchange(*dead, e);
  }
  // Detached entries are unreachable for other threads: free them, unlocked.
  void FreeAll(Entry* dead) {
    while (dead != nullptr) arena_->Free(std::exchange(dead, dead->next));
  }
  static void Unlink(Shard& s, Entry* e) {
    e->prev->next = e->next;
    e->next->prev = e->prev;
    s.charge -= e->charge;
  }
  static void LinkFront(Shard& s, Entry* e) {
    e->prev = &s.lru;
    e->next = s.lru.next;
    e->next->prev = e;
    s.lru.next = e;
    s.charge += e->charge;
  }

  arenakv::Arena* const arena_;
  Shard shards_[kShards];
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<bool> over_budget_{false};
};

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 30000;
constexpr std::uint32_t kKeys = 4096;
constexpr std::size_t kCacheBytes = 128 << 10;

std::string KeyOf(std::uint32_t k) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key-%05u", static_cast<unsigned>(k));
  return buf;
}

// A key's value repeats the key (so a lookup can tell whose value it got) to
// one of four lengths, so entries fall into four slabs.
std::string ValueOf(std::uint32_t k) {
  static constexpr std::size_t kSizes[] = {40, 100, 220, 460};
  const std::string key = KeyOf(k);
  std::string value;
  while (value.size() < kSizes[k % 4]) value += key + ';';
  value.resize(kSizes[k % 4]);
  return value;
}

// Relaxed counters: independent totals, read after the threads are joined.
struct Totals {
  std::atomic<std::uint64_t> hits{0}, inserts{0}, inserted_bytes{0}, wrong_values{0}, failed{0};
  void Add(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

// Lookups with a hot set (80 % of them on 512 keys); a miss inserts the key.
void Worker(LruCache& cache, int t, Totals& totals) {
  std::uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(t + 1);
  std::string value;
  for (int i = 0; i < kOpsPerThread; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    const auto r = static_cast<std::uint32_t>(x >> 32);
    const std::uint32_t k = r % 5 != 0 ? r / 5 % 512 : r / 5 % kKeys;
    const std::string key = KeyOf(k);
    if (r % 97 == 0) {
      cache.Erase(key);
    } else if (cache.Lookup(key, &value)) {
      totals.Add(totals.hits, 1);
      if (value != ValueOf(k)) totals.Add(totals.wrong_values, 1);
    } else {
      const std::string fresh = ValueOf(k);
      totals.Add(cache.Insert(key, fresh) ? totals.inserts : totals.failed, 1);
      totals.Add(totals.inserted_bytes, sizeof(Entry) + key.size() + fresh.size());
    }
  }
}

}  // namespace

int main() {
  arenakv::ArenaOptions options;
  options.capacity = 4 << 20;        // a few times what the cache needs, far below what it inserts
  options.min_pool_size = 64 << 10;  // small pools, so `reserved` tracks use closely
  arenakv::Arena arena(options);     // declared first: outlives the cache
  std::printf("LRU cache: %zu shards, %zu KiB budget, %d threads x %d operations on %u keys\n",
              LruCache::kShards, kCacheBytes >> 10, kThreads, kOpsPerThread, kKeys);
  PrintStats("arena before:", arena);
  {
    LruCache cache(&arena, kCacheBytes);
    Totals totals;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back(Worker, std::ref(cache), t, std::ref(totals));
    for (std::thread& th : threads) th.join();

    const std::uint64_t inserted = totals.inserted_bytes.load();
    const std::size_t entries = cache.Entries();
    std::printf("  hits=%" PRIu64 " inserts=%" PRIu64 " evictions=%" PRIu64 "\n",
                totals.hits.load(), totals.inserts.load(), cache.Evictions());
    std::printf("  inserted %" PRIu64 " KiB: %.0fx the budget, %.1fx the arena's capacity\n",
                inserted >> 10, static_cast<double>(inserted) / kCacheBytes,
                static_cast<double>(inserted) / static_cast<double>(options.capacity));
    std::printf("  %zu entries charge %zu bytes\n", entries, cache.Charge());
    PrintStats("arena with the cache full:", arena);

    const arenakv::ArenaStats s = arena.Stats();
    Expect(totals.wrong_values.load() == 0, "every lookup returns the value inserted for its key");
    Expect(!cache.WentOverBudget() && cache.Charge() <= kCacheBytes, "charge within budget");
    Expect(cache.Evictions() > 0, "the workload evicts");
    Expect(s.live_chunks == entries, "one live chunk per cached entry");
    Expect(s.allocated == cache.Charge(), "the charge is the entries' chunk bytes");
    // The arena could not hold what was inserted: it coped only because the
    // chunks of evicted entries were reused.
    Expect(inserted > options.capacity, "inserts are more than the arena's capacity");
    Expect(totals.failed.load() == 0, "every insert found room in the arena");
  }  // ~LruCache frees the remaining entries
  PrintStats("after the cache is dropped:", arena);
  Expect(arena.Stats().live_chunks == 0, "no live chunk once the cache is gone");
  arena.Release();
  PrintStats("after Release:", arena);
  Expect(arena.Stats().reserved == 0, "nothing reserved after Release");

  std::printf("%s\n", ok ? "lru_cache_example: OK" : "lru_cache_example: FAILED");
  return ok ? 0 : 1;
}
