// SPDX-License-Identifier: Apache-2.0
// BlockCache: hits and misses, LRU eviction per shard, pinning across
// eviction and replacement, the arena chunks behind entries (every entry that
// is neither cached nor pinned is freed), and a multi-threaded stress test
// whose blocks validate themselves.
#include "mvcc/table/block_cache.h"

#include <arenakv/mvcc/memory_budget.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace arenakv {
namespace {

using Handle = BlockCache::Handle;

// Inserts and releases at once; returns whether the cache took the block.
bool Put(BlockCache& cache, std::uint64_t id, std::uint64_t offset, const std::string& contents) {
  Handle* h = cache.Insert(id, offset, contents);
  if (h == nullptr) return false;
  cache.Release(h);
  return true;
}

// The cached bytes, or "<miss>".
std::string Get(BlockCache& cache, std::uint64_t id, std::uint64_t offset) {
  Handle* h = cache.Lookup(id, offset);
  if (h == nullptr) return "<miss>";
  std::string value(BlockCache::Value(h));
  cache.Release(h);
  return value;
}

// Bytes of arena request per entry beyond its contents (the entry header),
// measured on an empty block.
std::size_t EntryOverhead() {
  BlockCache cache(1024, 0);
  Handle* h = cache.Insert(1, 0, "");
  EXPECT_NE(h, nullptr);
  const std::size_t overhead = cache.arena_stats().requested;
  cache.Release(h);
  return overhead;
}

TEST(BlockCacheTest, InsertedBlockIsFoundAndCounted) {
  BlockCache cache(1 << 20);
  EXPECT_EQ(Get(cache, 1, 0), "<miss>");
  Handle* h = cache.Insert(1, 0, "block zero");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(BlockCache::Value(h), "block zero");
  cache.Release(h);

  EXPECT_EQ(Get(cache, 1, 0), "block zero");
  EXPECT_EQ(Get(cache, 1, 0), "block zero");
  EXPECT_EQ(Get(cache, 1, 4096), "<miss>");  // same file, other offset
  EXPECT_EQ(Get(cache, 2, 0), "<miss>");     // same offset, other file
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.usage(), 10u);
  EXPECT_EQ(cache.capacity(), std::size_t{1} << 20);
}

TEST(BlockCacheTest, EmptyBinaryAndLargeBlocksRoundTrip) {
  BlockCache cache(std::size_t{8} << 20, 0);
  const std::string binary("\0a\0\xff\x01", 5);
  const std::string large(std::size_t{3} << 20, 'x');  // a dedicated arena pool
  ASSERT_TRUE(Put(cache, 7, 0, ""));
  ASSERT_TRUE(Put(cache, 7, 1, binary));
  ASSERT_TRUE(Put(cache, 7, 2, large));
  EXPECT_EQ(Get(cache, 7, 0), "");
  EXPECT_EQ(Get(cache, 7, 1), binary);
  EXPECT_EQ(Get(cache, 7, 2), large);
  EXPECT_EQ(cache.usage(), binary.size() + large.size());
  EXPECT_EQ(cache.arena_stats().live_chunks, 3u);
}

TEST(BlockCacheTest, EvictsTheLeastRecentlyReleasedBlock) {
  BlockCache cache(300, 0);
  const std::string block(100, 'b');
  ASSERT_TRUE(Put(cache, 1, 0, block));    // A
  ASSERT_TRUE(Put(cache, 1, 100, block));  // B
  ASSERT_TRUE(Put(cache, 1, 200, block));  // C
  EXPECT_EQ(Get(cache, 1, 0), block);      // A is now the most recent

  ASSERT_TRUE(Put(cache, 1, 300, block));  // D pushes out B
  EXPECT_EQ(Get(cache, 1, 100), "<miss>");
  EXPECT_EQ(Get(cache, 1, 0), block);
  EXPECT_EQ(Get(cache, 1, 200), block);
  EXPECT_EQ(Get(cache, 1, 300), block);
  EXPECT_EQ(cache.usage(), 300u);
  EXPECT_EQ(cache.arena_stats().live_chunks, 3u);

  // The lookups above left the order A, C, D (oldest first).
  ASSERT_TRUE(Put(cache, 1, 400, block));
  EXPECT_EQ(Get(cache, 1, 0), "<miss>");
  EXPECT_EQ(Get(cache, 1, 200), block);
}

TEST(BlockCacheTest, PinnedBlocksAreNotEvictedAndOverflowShrinksOnRelease) {
  BlockCache cache(100, 0);
  const std::string a(60, 'a');
  const std::string b(60, 'b');
  Handle* ha = cache.Insert(1, 0, a);
  Handle* hb = cache.Insert(1, 1, b);
  ASSERT_NE(ha, nullptr);
  ASSERT_NE(hb, nullptr);
  EXPECT_EQ(cache.usage(), 120u);  // over capacity while both are pinned
  EXPECT_EQ(cache.arena_stats().live_chunks, 2u);

  cache.Release(ha);  // A becomes evictable, and goes
  EXPECT_EQ(cache.usage(), 60u);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
  EXPECT_EQ(Get(cache, 1, 0), "<miss>");
  EXPECT_EQ(BlockCache::Value(hb), b);

  cache.Release(hb);  // fits: stays
  EXPECT_EQ(Get(cache, 1, 1), b);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
}

TEST(BlockCacheTest, EvictedBlockStaysReadableWhilePinnedThenIsFreed) {
  BlockCache cache(200, 0);
  const std::string old_block(100, 'o');
  ASSERT_TRUE(Put(cache, 1, 0, old_block));
  Handle* pinned = cache.Lookup(1, 0);
  ASSERT_NE(pinned, nullptr);

  // Replacing the key detaches the pinned entry: out of the cache, bytes intact.
  ASSERT_TRUE(Put(cache, 1, 0, std::string(150, 'n')));
  EXPECT_EQ(Get(cache, 1, 0), std::string(150, 'n'));
  EXPECT_EQ(cache.usage(), 150u);
  EXPECT_EQ(BlockCache::Value(pinned), old_block);
  EXPECT_EQ(cache.arena_stats().live_chunks, 2u);

  cache.Release(pinned);  // the last pin of a detached entry frees its chunk
  const ArenaStats stats = cache.arena_stats();
  EXPECT_EQ(stats.live_chunks, 1u);
  EXPECT_EQ(stats.requested, EntryOverhead() + 150u);
}

TEST(BlockCacheTest, ReplacingAnUnpinnedBlockFreesTheOldChunk) {
  BlockCache cache(1000, 0);
  ASSERT_TRUE(Put(cache, 3, 9, "first"));
  ASSERT_TRUE(Put(cache, 3, 9, "second, longer"));
  EXPECT_EQ(Get(cache, 3, 9), "second, longer");
  EXPECT_EQ(cache.usage(), 14u);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
}

TEST(BlockCacheTest, TwoPinsOfOneEntryNeedTwoReleases) {
  BlockCache cache(100, 0);
  Handle* first = cache.Insert(1, 0, std::string(100, 'x'));
  Handle* second = cache.Lookup(1, 0);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first, second);
  ASSERT_TRUE(Put(cache, 1, 1, std::string(100, 'y')));  // nothing evictable but itself
  cache.Release(first);
  EXPECT_EQ(Get(cache, 1, 0), std::string(100, 'x'));  // still pinned by `second`
  cache.Release(second);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
}

TEST(BlockCacheTest, BlockLargerThanAShardIsRefused) {
  BlockCache cache(1000, 2);  // four shards of 250 bytes
  EXPECT_EQ(cache.Insert(1, 0, std::string(251, 'x')), nullptr);
  EXPECT_EQ(Get(cache, 1, 0), "<miss>");
  EXPECT_TRUE(Put(cache, 1, 0, std::string(250, 'x')));
  EXPECT_EQ(cache.usage(), 250u);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);  // the refused block left nothing
}

TEST(BlockCacheTest, ZeroCapacityCachesNothing) {
  BlockCache cache(0);
  EXPECT_EQ(cache.Insert(1, 0, ""), nullptr);
  EXPECT_EQ(cache.Insert(1, 0, "x"), nullptr);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(BlockCacheTest, ShardCapacitiesAddUpToTheCapacity) {
  // 1001 bytes over 4 shards: 251, 250, 250, 250. Filling every shard with
  // blocks of one byte must cache exactly 1001 of them.
  BlockCache cache(1001, 2);
  for (std::uint64_t offset = 0; offset < 5000; ++offset) {
    ASSERT_TRUE(Put(cache, 1, offset, "x"));
  }
  EXPECT_EQ(cache.usage(), 1001u);
  EXPECT_EQ(cache.arena_stats().live_chunks, 1001u);
}

TEST(BlockCacheTest, NewIdNeverRepeats) {
  BlockCache cache(100);
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(ids.insert(cache.NewId()).second);
}

// ---- Reserve, Commit, Abandon -------------------------------------------------

// A reserved entry is invisible until committed; committed, it holds the
// first `used` bytes written at its buffer and behaves as an inserted one.
TEST(BlockCacheTest, ReservedEntryIsHiddenUntilCommittedWithItsUsedBytes) {
  BlockCache cache(1 << 20, 0);
  Handle* h = cache.Reserve(3, 64, 16);
  ASSERT_NE(h, nullptr);
  std::memcpy(BlockCache::Buffer(h), "contents+trailer", 16);
  EXPECT_EQ(Get(cache, 3, 64), "<miss>");
  EXPECT_EQ(cache.usage(), 0u);

  EXPECT_EQ(cache.Commit(h, 8), h);
  EXPECT_EQ(BlockCache::Value(h), "contents");
  EXPECT_EQ(cache.usage(), 8u);
  cache.Release(h);
  EXPECT_EQ(Get(cache, 3, 64), "contents");
  EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
}

// Abandoning frees the entry and its charge, and leaves an entry already
// cached under the same key in place; committing replaces it.
TEST(BlockCacheTest, AbandonedEntryFreesItsChunkAndChargeAndKeepsTheCachedOne) {
  MemoryBudget budget(std::size_t{1} << 20);
  {
    BlockCache cache(1 << 20, 0, budget.Account(MemoryBudget::Consumer::kBlockCache));
    ASSERT_TRUE(Put(cache, 1, 0, "old"));
    const std::size_t charged = budget.charged();

    Handle* h = cache.Reserve(1, 0, 1000);
    ASSERT_NE(h, nullptr);
    EXPECT_GT(budget.charged(), charged);
    EXPECT_EQ(cache.arena_stats().live_chunks, 2u);
    cache.Abandon(h);
    EXPECT_EQ(budget.charged(), charged);
    EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
    EXPECT_EQ(Get(cache, 1, 0), "old");

    h = cache.Reserve(1, 0, 3);
    ASSERT_NE(h, nullptr);
    std::memcpy(BlockCache::Buffer(h), "new", 3);
    cache.Release(cache.Commit(h, 3));
    EXPECT_EQ(Get(cache, 1, 0), "new");
    EXPECT_EQ(cache.arena_stats().live_chunks, 1u);
    EXPECT_EQ(cache.usage(), 3u);
  }
  EXPECT_EQ(budget.charged(), 0u);
}

TEST(BlockCacheTest, ReservingMoreThanAShardHoldsIsRefused) {
  BlockCache cache(100, 0);
  EXPECT_EQ(cache.Reserve(1, 0, 101), nullptr);
  Handle* h = cache.Reserve(1, 0, 100);
  ASSERT_NE(h, nullptr);
  cache.Abandon(h);
  EXPECT_EQ(cache.arena_stats().live_chunks, 0u);
}

// ---- Memory budget -----------------------------------------------------------

// Each entry's chunk is charged to a budget while it lives; inserts past the
// budget evict older entries instead of failing, and Shed evicts on request.
TEST(BlockCacheTest, BudgetChargedInsertsEvictInsteadOfFailing) {
  constexpr std::size_t kLimit = 1 << 20;
  MemoryBudget budget(kLimit);
  {
    BlockCache cache(64 << 20, 0, budget.Account(MemoryBudget::Consumer::kBlockCache));
    const std::string block(16 << 10, 'b');
    for (std::uint64_t offset = 0; offset < 256; ++offset) {  // 4 MiB of blocks
      ASSERT_TRUE(Put(cache, 1, offset, block)) << offset;
      ASSERT_EQ(budget.charged(), cache.arena_stats().allocated);
    }
    EXPECT_GT(cache.shed_bytes(), 0u);
    EXPECT_LT(cache.usage(), kLimit);
    EXPECT_EQ(Get(cache, 1, 255), block);  // the newest stay
    EXPECT_EQ(Get(cache, 1, 0), "<miss>");
    const std::size_t usage = cache.usage();
    const std::size_t shed_before = cache.shed_bytes();
    EXPECT_GE(cache.Shed(usage / 2), usage / 2);
    EXPECT_LE(cache.usage(), usage - usage / 2);
    EXPECT_EQ(cache.shed_bytes() - shed_before, usage - cache.usage());
    EXPECT_EQ(budget.charged(), cache.arena_stats().allocated);
    const std::size_t left = cache.usage();
    EXPECT_EQ(cache.Shed(std::size_t{1} << 40), left);
    EXPECT_EQ(cache.usage(), 0u);
  }
  EXPECT_EQ(budget.charged(), 0u);
}

TEST(BlockCacheTest, ShedSkipsPinnedEntries) {
  BlockCache cache(1 << 20, 0);
  Handle* pinned = cache.Insert(1, 0, std::string(1000, 'p'));
  ASSERT_NE(pinned, nullptr);
  ASSERT_TRUE(Put(cache, 1, 1, std::string(1000, 'q')));
  EXPECT_EQ(cache.Shed(1 << 20), 1000u);  // only the unpinned one
  EXPECT_EQ(cache.usage(), 1000u);
  cache.Release(pinned);
  EXPECT_EQ(cache.Shed(1), 1000u);
  EXPECT_EQ(cache.usage(), 0u);
}

// ---- Concurrency -------------------------------------------------------------
//
// Every block's bytes are a function of (id, offset, length), so any reader
// can check any block it sees, whoever inserted it and whatever it replaced.
// Each thread keeps up to four handles pinned at once, so entries are
// replaced and evicted while pinned by other threads.

char ExpectedByte(std::uint64_t id, std::uint64_t offset, std::size_t length, std::size_t i) {
  return static_cast<char>((id * 131 + offset * 31 + length * 17 + i * 7) & 0xff);
}

std::string MakeBlock(std::uint64_t id, std::uint64_t offset, std::size_t length) {
  std::string block(length, '\0');
  for (std::size_t i = 0; i < length; ++i) block[i] = ExpectedByte(id, offset, length, i);
  return block;
}

bool BlockIsIntact(std::uint64_t id, std::uint64_t offset, std::string_view block) {
  for (std::size_t i = 0; i < block.size(); ++i) {
    if (block[i] != ExpectedByte(id, offset, block.size(), i)) return false;
  }
  return true;
}

struct Pinned {
  Handle* handle;
  std::uint64_t id;
  std::uint64_t offset;
};

// Returns the number of blocks that failed their check (0 expected).
int RunWorker(BlockCache& cache, unsigned seed, int ops) {
  std::mt19937_64 rng(seed);
  std::vector<Pinned> pinned;
  int bad = 0;
  for (int op = 0; op < ops; ++op) {
    const std::uint64_t id = 1 + rng() % 4;
    const std::uint64_t offset = (rng() % 500) * 4096;
    Handle* h = nullptr;
    if (rng() % 2 == 0) {
      h = cache.Lookup(id, offset);
    } else {
      const std::size_t length = rng() % 3000;
      h = cache.Insert(id, offset, MakeBlock(id, offset, length));
      if (h != nullptr && BlockCache::Value(h).size() != length) ++bad;
    }
    if (h == nullptr) continue;
    if (!BlockIsIntact(id, offset, BlockCache::Value(h))) ++bad;
    pinned.push_back({h, id, offset});
    if (pinned.size() > 4 || rng() % 2 == 0) {
      const std::size_t victim = rng() % pinned.size();
      const Pinned p = pinned[victim];
      // Still intact after whatever other threads did meanwhile.
      if (!BlockIsIntact(p.id, p.offset, BlockCache::Value(p.handle))) ++bad;
      cache.Release(p.handle);
      pinned.erase(pinned.begin() + static_cast<std::ptrdiff_t>(victim));
    }
  }
  for (const Pinned& p : pinned) {
    if (!BlockIsIntact(p.id, p.offset, BlockCache::Value(p.handle))) ++bad;
    cache.Release(p.handle);
  }
  return bad;
}

// With nothing pinned, every live chunk is a cached entry: the arena's live
// request bytes are exactly the cached contents plus one header each.
void ExpectArenaHoldsExactlyTheCache(const BlockCache& cache) {
  const ArenaStats stats = cache.arena_stats();
  EXPECT_LE(cache.usage(), cache.capacity());
  EXPECT_EQ(stats.requested, cache.usage() + stats.live_chunks * EntryOverhead());
}

TEST(BlockCacheStressTest, OneThreadKeepsEveryBlockIntact) {
  BlockCache cache(256 << 10, 4);
  EXPECT_EQ(RunWorker(cache, 1, 20000), 0);
  EXPECT_GT(cache.hits(), 0u);
  ExpectArenaHoldsExactlyTheCache(cache);
}

TEST(BlockCacheStressTest, EightThreadsKeepEveryBlockIntact) {
  constexpr int kThreads = 8;
  BlockCache cache(256 << 10, 4);
  std::vector<int> bad(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(
        [&cache, &bad, t] { bad[t] = RunWorker(cache, 100 + static_cast<unsigned>(t), 10000); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
  EXPECT_GT(cache.hits(), 0u);
  ExpectArenaHoldsExactlyTheCache(cache);
}

}  // namespace
}  // namespace arenakv
