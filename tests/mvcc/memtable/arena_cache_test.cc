// SPDX-License-Identifier: Apache-2.0
// Specification of ArenaCache: a lease's arena goes back reset (its chunks
// all freed, some pages kept) and is handed out again; the cache keeps no
// more idle arenas and no more pages than it is told; a memtable on a lease
// recycles its arena when it goes.
#include "mvcc/memtable/arena_cache.h"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/alloc/memory_charge.h"
#include "gtest/gtest.h"
#include "mvcc/memtable/memtable.h"

namespace arenakv {
namespace {

constexpr std::size_t kKeep = 128 << 10;

class CountingCharge final : public MemoryCharge {
 public:
  bool TryCharge(std::size_t bytes) noexcept override {
    charged.fetch_add(bytes);
    return true;
  }
  void Release(std::size_t bytes) noexcept override { charged.fetch_sub(bytes); }
  std::atomic<std::size_t> charged{0};
};

ArenaOptions Options(MemoryCharge* charge = nullptr) {
  return ArenaOptions{.capacity = 8 << 20, .charge = charge, .huge_pages = false};
}

void Scribble(Arena* arena, std::size_t bytes) {
  for (std::size_t done = 0; done < bytes; done += 100) std::memset(arena->Alloc(100), 1, 100);
}

TEST(ArenaCacheTest, AnArenaComesBackResetAndIsHandedOutAgain) {
  auto cache = ArenaCache::Create(Options(), kKeep, 2);
  Arena* first = nullptr;
  {
    ArenaLease lease = cache->Take();
    first = lease.get();
    Scribble(lease.get(), 1 << 20);
    EXPECT_EQ(cache->idle(), 0u);
  }
  EXPECT_EQ(cache->idle(), 1u);
  ArenaLease again = cache->Take();
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(cache->idle(), 0u);
  const ArenaStats stats = again->Stats();
  EXPECT_EQ(stats.live_chunks, 0u);
  EXPECT_LE(stats.reserved, kKeep);
  EXPECT_GT(stats.reserved, 0u);  // kept warm
  Scribble(again.get(), 1 << 20);
}

TEST(ArenaCacheTest, KeepsAtMostMaxIdleArenasAndTheirKeptPages) {
  CountingCharge charge;
  {
    auto cache = ArenaCache::Create(Options(&charge), kKeep, 2);
    std::vector<ArenaLease> leases;
    for (int i = 0; i < 4; ++i) {
      leases.push_back(cache->Take());
      Scribble(leases.back().get(), 512 << 10);
    }
    EXPECT_GE(charge.charged.load(), 4u * (512 << 10));
    leases.clear();
    EXPECT_EQ(cache->idle(), 2u);
    EXPECT_LE(charge.charged.load(), 2 * kKeep);
    EXPECT_GT(charge.charged.load(), 0u);
  }
  EXPECT_EQ(charge.charged.load(), 0u);  // the cache gone, every page given back
}

TEST(ArenaCacheTest, DropReleasesEveryIdleArena) {
  CountingCharge charge;
  auto cache = ArenaCache::Create(Options(&charge), kKeep, 4);
  {
    ArenaLease a = cache->Take();
    ArenaLease b = cache->Take();
    Scribble(a.get(), 64 << 10);
    Scribble(b.get(), 64 << 10);
  }
  ASSERT_EQ(cache->idle(), 2u);
  const std::size_t kept = charge.charged.load();
  ASSERT_GT(kept, 0u);
  EXPECT_EQ(cache->Drop(), kept);
  EXPECT_EQ(cache->idle(), 0u);
  EXPECT_EQ(charge.charged.load(), 0u);
  EXPECT_EQ(cache->Drop(), 0u);
  ArenaLease again = cache->Take();  // still works: a new arena
  Scribble(again.get(), 4096);
}

TEST(ArenaCacheTest, ALeaseKeepsItsCacheAlive) {
  auto cache = ArenaCache::Create(Options(), kKeep, 1);
  ArenaLease lease = cache->Take();
  cache.reset();
  Scribble(lease.get(), 4096);
  lease.reset();  // goes back into the cache, which then goes too
}

TEST(ArenaCacheTest, LeasesTakenAndReturnedFromManyThreads) {
  auto cache = ArenaCache::Create(Options(), kKeep, 3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        ArenaLease lease = cache->Take();
        Scribble(lease.get(), 8 << 10);
        EXPECT_EQ(lease->Stats().live_chunks, (8u << 10) / 100 + 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(cache->idle(), 3u);
  EXPECT_GE(cache->idle(), 1u);
}

TEST(ArenaCacheTest, AMemTableOnALeaseRecyclesItsArena) {
  auto cache = ArenaCache::Create(Options(), kKeep, 1);
  {
    MemTableRef table = MemTable::Create(cache->Take(), 8 << 20);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(table->Add(i + 1, EntryKind::kPut, "key" + std::to_string(i), "value").ok());
    }
    EXPECT_EQ(table->num_entries(), 1000u);
  }
  EXPECT_EQ(cache->idle(), 1u);
  MemTableRef table = MemTable::Create(cache->Take(), 8 << 20);
  EXPECT_EQ(cache->idle(), 0u);
  std::string value;
  EXPECT_EQ(table->Get("key1", kMaxSequenceNumber, &value), MemTable::LookupResult::kNotPresent);
  ASSERT_TRUE(table->Add(1, EntryKind::kPut, "key1", "again").ok());
  EXPECT_EQ(table->Get("key1", kMaxSequenceNumber, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "again");
  EXPECT_EQ(table->num_entries(), 1u);
}

}  // namespace
}  // namespace arenakv
