// SPDX-License-Identifier: Apache-2.0
// Specification of Arena::Reset: every chunk freed at once, committed pages
// kept (up to a limit) and reused by later allocations of any thread and any
// slab, without growing `reserved`; stale pointers are misuse afterwards.
#include <sys/resource.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "arenakv/alloc/memory_charge.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

ArenaOptions Small(std::size_t capacity, MemoryCharge* charge = nullptr) {
  ArenaOptions options;
  options.capacity = capacity;
  options.min_pool_size = 64 << 10;
  options.charge = charge;
  options.huge_pages = false;
  return options;
}

// Allocates `count` chunks of `size` bytes, writing each whole; keeps no
// list of them, so that the only memory it touches is the arena's.
void Fill(Arena& arena, std::size_t size, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) std::memset(arena.Alloc(size), static_cast<int>(i), size);
}

class CountingCharge final : public MemoryCharge {
 public:
  bool TryCharge(std::size_t bytes) noexcept override {
    charged += bytes;
    return true;
  }
  void Release(std::size_t bytes) noexcept override { charged -= bytes; }
  std::size_t charged = 0;
};

// Page faults the calling thread takes while `fill` runs: a fill on kept
// pages takes next to none, one on fresh pages one per 4 KiB it touches.
template <typename F>
long FaultsDuring(F fill) {
  rusage before{}, after{};
  getrusage(RUSAGE_THREAD, &before);
  fill();
  getrusage(RUSAGE_THREAD, &after);
  return after.ru_minflt - before.ru_minflt;
}

TEST(ArenaReset, FreesEveryChunkAndKeepsThePagesForTheNextFill) {
  Arena arena(Small(16 * kMiB));
  auto fill = [&] {
    Fill(arena, 48, 20000);
    Fill(arena, 300, 3000);
  };
  const long cold = FaultsDuring(fill);
  const std::size_t reserved = arena.ReservedBytes();
  ASSERT_GT(reserved, kMiB);
  ASSERT_GT(cold, 200);  // about 1.9 MiB of fresh pages

  arena.Reset();
  ArenaStats stats = arena.Stats();
  EXPECT_EQ(stats.live_chunks, 0u);
  EXPECT_EQ(stats.requested, 0u);
  EXPECT_EQ(stats.allocated, 0u);
  EXPECT_EQ(stats.reserved, reserved);     // kept, not given back
  EXPECT_EQ(arena.IdleBytes(), reserved);  // and in no pool yet

  // The same fill again lands on the kept pages: (almost) no fault, and at
  // most a commit step more per slab (a pool may meet another's prefix).
  const long warm = FaultsDuring(fill);
  EXPECT_LT(warm, cold / 10);
  EXPECT_LE(arena.ReservedBytes(), reserved + 2 * (64 << 10));
  // What the pools hold again: about what the first fill committed.
  EXPECT_GE(arena.ReservedBytes() - arena.IdleBytes(), reserved * 9 / 10);
  stats = arena.Stats();
  EXPECT_EQ(stats.live_chunks, 23000u);
  EXPECT_EQ(stats.requested, 20000u * 48 + 3000u * 300);

  // Without kept pages, the fill faults them in again.
  arena.Reset(0);
  EXPECT_GT(FaultsDuring(fill), cold / 2);
}

TEST(ArenaReset, KeptPagesServeOtherSlabsAndOtherThreads) {
  Arena arena(Small(16 * kMiB));
  // About 2.5 MiB of one slab, in this thread.
  const long cold = FaultsDuring([&] { Fill(arena, 64, 40000); });
  ASSERT_GT(cold, 300);
  arena.Reset();
  long warm = 0;
  std::thread([&] {
    // Another thread, other slabs, fewer bytes than were kept.
    warm = FaultsDuring([&] {
      Fill(arena, 136, 9000);
      Fill(arena, 1000, 1000);
    });
  }).join();
  EXPECT_LT(warm, cold / 8);  // measured: 31 against about 650
}

TEST(ArenaReset, KeepsNoMoreThanItIsTold) {
  CountingCharge charge;
  Arena arena(Small(16 * kMiB, &charge));
  Fill(arena, 200, 30000);  // about 6 MiB
  ASSERT_GT(arena.ReservedBytes(), 4 * kMiB);
  EXPECT_EQ(charge.charged, arena.ReservedBytes());

  arena.Reset(kMiB);
  EXPECT_LE(arena.ReservedBytes(), kMiB);
  EXPECT_EQ(arena.IdleBytes(), arena.ReservedBytes());
  EXPECT_EQ(charge.charged, arena.ReservedBytes());

  arena.Reset(0);
  EXPECT_EQ(arena.ReservedBytes(), 0u);
  EXPECT_EQ(arena.IdleBytes(), 0u);
  EXPECT_EQ(charge.charged, 0u);

  // Still usable, and the pages committed again are charged again.
  Fill(arena, 200, 1000);
  EXPECT_GT(arena.ReservedBytes(), 0u);
  EXPECT_EQ(charge.charged, arena.ReservedBytes());
}

TEST(ArenaReset, TheWholeCapacityIsUsableAgainInAnotherSlab) {
  // Filled to the limit in one slab, reset with every page kept: a fill in
  // another slab must reach the limit too, using the kept pages and, where
  // they do not fit its pools, giving them back for fresh ones.
  Arena arena(Small(4 * kMiB));
  std::size_t first = 0;
  while (arena.TryAlloc(40) != nullptr) ++first;
  ASSERT_GT(first, 4 * kMiB / 48);
  arena.Reset();
  std::size_t bytes = 0;
  while (arena.TryAlloc(2000) != nullptr) bytes += arena.SlabSize(2000);
  EXPECT_GT(bytes, 3 * kMiB);
  EXPECT_LE(arena.ReservedBytes(), 4 * kMiB);
}

TEST(ArenaReset, ChangingPatternsAcrossManyResetsKeepMetadataBounded) {
  // Every cycle a different mix of slabs, sizes and threads cuts the free
  // ranges of the last one differently; the arena must keep serving, within
  // its capacity, with metadata that does not grow cycle after cycle.
  Arena arena(Small(64 * kMiB));
  std::mt19937_64 rng(7);
  std::size_t overhead_at_50 = 0;
  for (int cycle = 0; cycle < 400; ++cycle) {
    const int slabs = 1 + static_cast<int>(rng() % 12);
    auto fill = [&arena, seed = rng(), slabs] {
      std::mt19937_64 local(seed);
      for (int s = 0; s < slabs; ++s) {
        const std::size_t size = 8 + local() % 4000;
        Fill(arena, size, 1 + local() % (256 * 1024 / size + 1));
      }
    };
    if (cycle % 3 == 0) {
      std::thread(fill).join();
    } else {
      fill();
    }
    arena.Reset();
    if (cycle == 50) overhead_at_50 = arena.Stats().overhead;
  }
  // Measured: 284 KB at cycle 50, 546 KB at 400 and 808 KB at 3000.
  EXPECT_LE(arena.Stats().overhead, 2 * overhead_at_50 + kMiB);
  EXPECT_LE(arena.ReservedBytes(), 64 * kMiB);
}

// Each (thread, slab) pool becomes a free range at Reset. Past 1024 free
// ranges Reset releases the arena instead (bounding its metadata): the warm
// pages go, and the arena serves as a fresh one.
TEST(ArenaReset, PastTheFreeRangeBoundItStartsOver) {
  constexpr std::size_t kSizes[] = {16,  24,  36,  54,   80,   120,  180,  270,
                                    400, 600, 900, 1350, 2000, 3000, 4500, 6700};
  auto cut_ranges = [&](Arena& arena, int threads) {
    // Threads alive at once get distinct heaps, so distinct pools.
    std::atomic<int> arrived{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (const std::size_t size : kSizes) std::memset(arena.Alloc(size), 1, size);
        arrived.fetch_add(1);
        while (arrived.load() < threads) std::this_thread::yield();
      });
    }
    for (std::thread& worker : workers) worker.join();
  };
  constexpr int kPerThread = sizeof(kSizes) / sizeof(kSizes[0]);
  {
    Arena arena(Small(128 * kMiB));
    cut_ranges(arena, 1000 / kPerThread);  // 992 pools: under the bound
    arena.Reset();
    EXPECT_GT(arena.IdleBytes(), 0u) << "a Reset under the bound keeps its pages";
  }
  Arena arena(Small(128 * kMiB));
  cut_ranges(arena, 1100 / kPerThread);  // 1088 pools
  arena.Reset();
  EXPECT_EQ(arena.IdleBytes(), 0u);
  EXPECT_EQ(arena.ReservedBytes(), 0u);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  Fill(arena, 100, 1000);
  EXPECT_EQ(arena.Stats().live_chunks, 1000u);
}

TEST(ArenaReset, LargeChunksComeBackFromTheirPools) {
  Arena arena(Small(64 * kMiB));
  void* big = arena.Alloc(3 * kMiB);
  std::memset(big, 7, 3 * kMiB);
  const std::size_t reserved = arena.ReservedBytes();
  arena.Reset();
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  EXPECT_EQ(arena.ReservedBytes(), 0u);  // a dedicated pool keeps no pages
  void* again = arena.Alloc(3 * kMiB);
  EXPECT_EQ(again, big);
  EXPECT_EQ(arena.ReservedBytes(), reserved);
}

TEST(ArenaReset, AStalePointerIsMisuse) {
  Arena arena(Small(16 * kMiB));
  void* small = arena.Alloc(100);
  void* big = arena.Alloc(3 * kMiB);
  arena.Reset();
  EXPECT_THROW(arena.Free(small), ArenaMisuse);
  EXPECT_THROW(arena.Free(big), ArenaMisuse);
  EXPECT_FALSE(arena.Owns(small));
}

TEST(ArenaReset, IsHarmlessOnAnEmptyArenaAndWhenRepeated) {
  Arena arena(Small(kMiB));
  arena.Reset();
  arena.Reset(0);
  void* p = arena.Alloc(8);
  arena.Reset();
  arena.Reset();
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  EXPECT_NE(arena.Alloc(8), nullptr);
  (void)p;
}

}  // namespace
}  // namespace arenakv
