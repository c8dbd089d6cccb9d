// SPDX-License-Identifier: Apache-2.0
// Specification of reuse: memory freed into an arena can be allocated again by
// any thread and, once a whole pool is free, by any size class (the pool is
// retired: its pages and its bytes of capacity go back). Before this, a thread
// that filled an arena and freed everything kept every byte of capacity for
// its own slot and size class, and every other thread got ArenaExhausted.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <latch>
#include <mutex>
#include <new>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kCapacity = 64 * kMiB;
// What one thread may keep committed once it freed everything: the current
// pool of each slab it used and one empty spare (the largest pool is 8 x
// min_pool_size).
constexpr std::size_t kKeptPerSlab = 2 * (8 * kMiB + (64 << 10));

ArenaOptions WithCapacity(std::size_t capacity) {
  ArenaOptions options;
  options.capacity = capacity;
  return options;
}

// Allocates `size`-byte chunks until the arena says no or `limit` are held.
std::vector<void*> FillWith(Arena& arena, std::size_t size, std::size_t limit) {
  std::vector<void*> chunks;
  while (chunks.size() < limit) {
    void* p = arena.TryAlloc(size);
    if (p == nullptr) break;
    std::memset(p, 0xab, std::min<std::size_t>(size, 64));
    chunks.push_back(p);
  }
  return chunks;
}

void FreeAll(Arena& arena, std::vector<void*>* chunks) {
  for (void* p : *chunks) arena.Free(p);
  chunks->clear();
}

// The case: thread A fills the arena with 64-B chunks, frees them all
// and stays alive; thread B must then get 524,288 64-B chunks (half the
// capacity), and afterwards the same room in other size classes.
TEST(ArenaReuse, AnotherLiveThreadGetsWhatAThreadFreedInAnySizeClass) {
  Arena arena(WithCapacity(kCapacity));
  std::latch a_freed(1), b_done(1);
  std::thread a([&] {
    std::vector<void*> chunks = FillWith(arena, 64, kCapacity);
    EXPECT_GT(chunks.size(), kCapacity / 64 * 9 / 10);
    FreeAll(arena, &chunks);
    a_freed.count_down();
    b_done.wait();  // alive while B allocates
  });
  a_freed.wait();
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  EXPECT_LE(arena.Stats().reserved, kKeptPerSlab) << "A's emptied pools kept their capacity";

  std::vector<void*> b = FillWith(arena, 64, 524288);
  EXPECT_EQ(b.size(), 524288u);
  FreeAll(arena, &b);
  b = FillWith(arena, 72, 400000);  // 28.8 MB
  EXPECT_EQ(b.size(), 400000u);
  FreeAll(arena, &b);
  b = FillWith(arena, 4096, 8192);  // 32 MiB
  EXPECT_EQ(b.size(), 8192u);
  FreeAll(arena, &b);
  b_done.count_down();
  a.join();
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  EXPECT_EQ(arena.Stats().allocated, 0u);
}

// Retired ranges are cut to the size a new pool asks for: one chunk in each
// of many size classes, after a thread freed 8 MiB pools, commits a small
// step per class, not a whole 8 MiB (or 2 MiB huge-page) pool each.
TEST(ArenaReuse, ManySizeClassesFitInRetiredLargePools) {
  Arena arena(WithCapacity(kCapacity));
  std::thread([&] {
    std::vector<void*> chunks = FillWith(arena, 64, kCapacity);
    FreeAll(arena, &chunks);
  }).join();
  const std::size_t before = arena.Stats().reserved;
  std::vector<void*> one_each;
  for (std::size_t size = 8; size <= 64 << 10; size += size / 8 + 8) {
    void* p = arena.TryAlloc(size);
    ASSERT_NE(p, nullptr) << size << " B after " << one_each.size() << " size classes";
    one_each.push_back(p);
  }
  EXPECT_GT(one_each.size(), 50u);
  // A first pool commits 64 KiB steps; an 8 MiB huge-page pool commits 2 MiB.
  EXPECT_LE(arena.Stats().reserved - before, one_each.size() * (128 << 10));
  FreeAll(arena, &one_each);
}

TEST(ArenaReuse, WhatAnExitedThreadFreedServesTheNextThread) {
  Arena arena(WithCapacity(kCapacity));
  std::thread([&] {
    std::vector<void*> chunks = FillWith(arena, 200, kCapacity);
    FreeAll(arena, &chunks);
  }).join();
  std::vector<void*> chunks;
  std::thread([&] { chunks = FillWith(arena, 1000, kCapacity); }).join();
  EXPECT_GE(chunks.size() * Arena::SlabSize(1000), kCapacity - kKeptPerSlab - 2 * kMiB);
  FreeAll(arena, &chunks);
}

// Chunks freed by another thread (remote frees) come back to their owner's
// pools; when the owner then runs out of capacity in another size class, it
// collects them and retires the pools they emptied.
TEST(ArenaReuse, RemoteFreesGoBackToTheCapacityWhenTheOwnerNeedsIt) {
  Arena arena(WithCapacity(kCapacity));
  std::vector<void*> chunks = FillWith(arena, 128, kCapacity);
  ASSERT_GT(chunks.size(), kCapacity / 128 * 9 / 10);
  std::thread([&] { FreeAll(arena, &chunks); }).join();
  EXPECT_EQ(arena.Stats().live_chunks, 0u);

  std::vector<void*> other = FillWith(arena, 3000, kCapacity);
  EXPECT_GE(other.size() * Arena::SlabSize(3000), kCapacity - kKeptPerSlab - 2 * kMiB);
  FreeAll(arena, &other);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

// Large (dedicated-pool) chunks free their pages under pressure too.
TEST(ArenaReuse, FreedLargeChunksMakeRoomForSmallOnes) {
  Arena arena(WithCapacity(kCapacity));
  std::vector<void*> large = FillWith(arena, 1 * kMiB, kCapacity);
  ASSERT_GE(large.size(), 60u);
  FreeAll(arena, &large);
  std::vector<void*> small = FillWith(arena, 100, kCapacity);
  EXPECT_GE(small.size() * Arena::SlabSize(100), kCapacity - 2 * kMiB);
  FreeAll(arena, &small);
}

// Churn: two threads allocate and free chunks of random sizes, each keeping
// a live set that together stays near half the capacity, and freeing some of
// the other thread's chunks. No allocation ever fails, and every chunk keeps
// its contents while it is live.
TEST(ArenaReuse, ChurnAtAHighLiveSetNeverFails) {
  Arena arena(WithCapacity(kCapacity));
  constexpr std::size_t kLiveTarget = kCapacity / 2 / 2;  // per thread
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  constexpr int kSteps = 400000;
#else
  constexpr int kSteps = 60000;
#endif
  std::atomic<int> failures{0}, corrupt{0};
  std::vector<std::pair<void*, std::size_t>> handoff[2];
  std::mutex handoff_mu;
  auto worker = [&](int id) {
    std::mt19937_64 rng(id + 1);
    std::vector<std::pair<void*, std::size_t>> live;
    std::size_t live_bytes = 0;
    for (int step = 0; step < kSteps; ++step) {
      const std::size_t size = std::size_t{8} << (rng() % 10);  // 8 B .. 4 KiB
      if (live_bytes + size <= kLiveTarget) {
        void* p = arena.TryAlloc(size);
        if (p == nullptr) {
          failures.fetch_add(1);
          continue;
        }
        std::memset(p, static_cast<int>(size & 0xff), std::min<std::size_t>(size, 16));
        live.emplace_back(p, size);
        live_bytes += size;
      }
      while (live_bytes + 4096 > kLiveTarget || (rng() % 2 == 0 && !live.empty())) {
        const std::size_t i = rng() % live.size();
        auto [p, n] = live[i];
        live[i] = live.back();
        live.pop_back();
        live_bytes -= n;
        if (static_cast<unsigned char*>(p)[0] != static_cast<unsigned char>(n & 0xff)) {
          corrupt.fetch_add(1);
        }
        if (rng() % 8 == 0) {  // the other thread frees this one
          std::lock_guard lock(handoff_mu);
          handoff[1 - id].emplace_back(p, n);
        } else {
          arena.Free(p);
        }
      }
      if (step % 64 == 0) {
        std::vector<std::pair<void*, std::size_t>> mine;
        {
          std::lock_guard lock(handoff_mu);
          mine.swap(handoff[id]);
        }
        for (auto [p, n] : mine) arena.Free(p);
      }
    }
    for (auto [p, n] : live) arena.Free(p);
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  for (auto& list : handoff) {
    for (auto [p, n] : list) arena.Free(p);
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  EXPECT_LE(arena.Stats().reserved, kCapacity);
}

}  // namespace
}  // namespace arenakv
