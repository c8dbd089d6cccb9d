// SPDX-License-Identifier: Apache-2.0
// Specification of single-threaded Arena use: construction, Alloc/Free, ChunkSize,
// Owns, reuse of freed chunks, Release, huge requests and several arenas at once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

ArenaOptions WithCapacity(std::size_t capacity) {
  ArenaOptions options;
  options.capacity = capacity;
  return options;
}

bool IsAligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % kAlignment == 0; }

TEST(ArenaConstruction, RejectsZeroCapacity) {
  EXPECT_THROW(Arena(WithCapacity(0)), std::invalid_argument);
}

TEST(ArenaConstruction, RejectsCapacityAboveMaxArenaSize) {
  EXPECT_THROW(Arena(WithCapacity(kMaxArenaSize + 1)), std::invalid_argument);
}

TEST(ArenaConstruction, RejectsMinPoolSizeAboveMaxArenaSize) {
  ArenaOptions options;
  options.min_pool_size = kMaxArenaSize + 1;

  EXPECT_THROW(Arena{options}, std::invalid_argument);
}

TEST(ArenaConstruction, AcceptsTheExtremeCapacitiesAndReservesNothing) {
  Arena smallest(WithCapacity(1));
  Arena largest(WithCapacity(kMaxArenaSize));

  EXPECT_EQ(smallest.Stats().capacity, 1u);
  EXPECT_EQ(largest.Stats().capacity, kMaxArenaSize);
  EXPECT_EQ(largest.Stats().reserved, 0u);
}

TEST(ArenaStats, AreZeroForAFreshArena) {
  Arena arena;

  const ArenaStats stats = arena.Stats();

  EXPECT_EQ(stats.capacity, ArenaOptions{}.capacity);
  EXPECT_EQ(stats.requested, 0u);
  EXPECT_EQ(stats.allocated, 0u);
  EXPECT_EQ(stats.reserved, 0u);
  EXPECT_EQ(stats.live_chunks, 0u);
  EXPECT_EQ(stats.utilization(), 0.0);
}

TEST(ArenaStats, CountOneChunkUntilItIsFreed) {
  Arena arena;

  void* p = arena.Alloc(67);
  const ArenaStats live = arena.Stats();
  arena.Free(p);
  const ArenaStats freed = arena.Stats();

  EXPECT_EQ(live.requested, 67u);
  EXPECT_EQ(live.allocated, 72u);
  EXPECT_EQ(live.live_chunks, 1u);
  EXPECT_GE(live.reserved, 72u);
  EXPECT_LE(live.reserved, live.capacity);
  EXPECT_GT(live.utilization(), 0.0);
  EXPECT_EQ(freed.requested, 0u);
  EXPECT_EQ(freed.allocated, 0u);
  EXPECT_EQ(freed.live_chunks, 0u);
  EXPECT_EQ(freed.reserved, live.reserved);  // pools stay until Release()
}

TEST(ArenaAlloc, ReturnsAlignedWritableChunksOfTheSlabSize) {
  Arena arena;
  std::vector<void*> chunks;

  for (std::size_t n = 1; n <= 2048; ++n) {
    void* p = arena.Alloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(IsAligned(p)) << "n=" << n;
    EXPECT_EQ(arena.ChunkSize(p), Arena::SlabSize(n)) << "n=" << n;
    std::memset(p, 0xab, arena.ChunkSize(p));  // the whole chunk is usable
    chunks.push_back(p);
  }

  for (void* p : chunks) arena.Free(p);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

TEST(ArenaAlloc, TryAllocReturnsAUsableChunk) {
  Arena arena;

  void* p = arena.TryAlloc(100);

  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(IsAligned(p));
  EXPECT_EQ(arena.ChunkSize(p), Arena::SlabSize(100));
  std::memset(p, 1, 100);
  arena.Free(p);
}

TEST(ArenaAlloc, ZeroBytesIsMisuseAndTryAllocReturnsNull) {
  Arena arena;

  EXPECT_THROW(arena.Alloc(0), ArenaMisuse);
  EXPECT_EQ(arena.TryAlloc(0), nullptr);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

TEST(ArenaOwns, IsTrueOnlyForThisArenasChunks) {
  Arena arena;
  Arena other;
  void* mine = arena.Alloc(64);
  void* theirs = other.Alloc(64);
  std::unique_ptr<char, decltype(&std::free)> heap(static_cast<char*>(std::malloc(64)), &std::free);
  alignas(8) char stack[64] = {};

  EXPECT_TRUE(arena.Owns(mine));
  EXPECT_FALSE(arena.Owns(theirs));
  EXPECT_TRUE(other.Owns(theirs));
  EXPECT_FALSE(other.Owns(mine));
  EXPECT_FALSE(arena.Owns(heap.get()));
  EXPECT_FALSE(arena.Owns(stack));
  EXPECT_FALSE(arena.Owns(nullptr));
  EXPECT_FALSE(arena.Owns(static_cast<char*>(mine) + 8));  // interior pointer

  arena.Free(mine);
  other.Free(theirs);
  EXPECT_TRUE(arena.Owns(mine));  // a freed chunk is still carved by the arena
}

TEST(ArenaFree, FreedChunksAreReusedSoReservedStopsGrowing) {
  Arena arena;
  arena.Free(arena.Alloc(100));
  const std::size_t reserved = arena.Stats().reserved;

  for (int i = 0; i < 100'000; ++i) arena.Free(arena.Alloc(100));

  EXPECT_EQ(arena.Stats().reserved, reserved);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

TEST(ArenaFree, FreedChunksOfSeveralSlabsAreReused) {
  Arena arena;
  const std::size_t sizes[] = {8, 24, 100, 513, 4096, 70'000};
  std::vector<void*> batch;
  for (const std::size_t n : sizes) batch.push_back(arena.Alloc(n));
  for (void* p : batch) arena.Free(p);
  const std::size_t reserved = arena.Stats().reserved;

  for (int round = 0; round < 1000; ++round) {
    batch.clear();
    for (const std::size_t n : sizes) batch.push_back(arena.Alloc(n));
    for (void* p : batch) arena.Free(p);
  }

  EXPECT_EQ(arena.Stats().reserved, reserved);
}

TEST(ArenaRelease, EmptiesTheArenaAndLeavesItReusable) {
  Arena arena(WithCapacity(64 * kMiB));
  for (int i = 0; i < 1000; ++i) std::memset(arena.Alloc(200), 7, 200);
  arena.Alloc(5 * kMiB);  // a dedicated pool too

  arena.Release();
  const ArenaStats released = arena.Stats();
  void* p = arena.Alloc(200);
  std::memset(p, 9, 200);

  EXPECT_EQ(released.capacity, 64 * kMiB);
  EXPECT_EQ(released.requested, 0u);
  EXPECT_EQ(released.allocated, 0u);
  EXPECT_EQ(released.live_chunks, 0u);
  EXPECT_EQ(released.reserved, 0u);
  EXPECT_TRUE(arena.Owns(p));
  EXPECT_EQ(arena.Stats().requested, 200u);
  EXPECT_EQ(arena.Stats().live_chunks, 1u);
}

TEST(ArenaRelease, IsHarmlessOnAnEmptyArenaAndWhenRepeated) {
  Arena arena;

  arena.Release();
  arena.Release();
  arena.Free(arena.Alloc(8));
  arena.Release();

  EXPECT_EQ(arena.Stats().reserved, 0u);
}

void ExpectHugeChunkWorks(std::size_t n) {
  Arena arena(WithCapacity(std::size_t{1} << 30));

  auto* p = static_cast<unsigned char*>(arena.Alloc(n));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(IsAligned(p));
  EXPECT_GE(arena.ChunkSize(p), n);
  EXPECT_EQ(arena.ChunkSize(p), Arena::SlabSize(n));
  p[arena.ChunkSize(p) - 1] = 0x33;
  p[0] = 0x11;
  p[n - 1] = 0x22;
  EXPECT_EQ(p[0], 0x11);
  EXPECT_EQ(p[n - 1], 0x22);
  EXPECT_EQ(arena.Stats().requested, n);
  arena.Free(p);
  const std::size_t reserved = arena.Stats().reserved;

  auto* q = static_cast<unsigned char*>(arena.Alloc(n));
  q[0] = 0x44;
  q[n - 1] = 0x55;

  EXPECT_EQ(arena.Stats().reserved, reserved);  // the freed chunk was reused
  arena.Free(q);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

TEST(ArenaAlloc, Serves64MiBRequestAndReusesItAfterFree) { ExpectHugeChunkWorks(64 * kMiB); }

TEST(ArenaAlloc, Serves300MiBRequestAndReusesItAfterFree) { ExpectHugeChunkWorks(300 * kMiB); }

TEST(ArenaAlloc, KeepsChunksOf64ArenasInOneThreadApart) {
  constexpr int kArenas = 64;
  constexpr int kRounds = 40;
  std::vector<std::unique_ptr<Arena>> arenas;
  for (int i = 0; i < kArenas; ++i) {
    arenas.push_back(std::make_unique<Arena>(WithCapacity(64 * kMiB)));
  }
  std::vector<std::vector<unsigned char*>> chunks(kArenas);

  for (int round = 0; round < kRounds; ++round) {
    for (int a = 0; a < kArenas; ++a) {
      const std::size_t n = 8 + static_cast<std::size_t>((round * 37 + a * 11) % 300);
      auto* p = static_cast<unsigned char*>(arenas[a]->Alloc(n));
      std::memset(p, a, 8);
      chunks[a].push_back(p);
    }
  }

  for (int a = 0; a < kArenas; ++a) {
    for (unsigned char* p : chunks[a]) {
      EXPECT_EQ(p[0], a);
      EXPECT_EQ(p[7], a);
      for (int b = 0; b < kArenas; ++b) {
        ASSERT_EQ(arenas[b]->Owns(p), a == b) << "chunk of arena " << a << " vs arena " << b;
      }
    }
  }
  for (int a = 0; a < kArenas; ++a) {
    for (unsigned char* p : chunks[a]) arenas[a]->Free(p);
    EXPECT_EQ(arenas[a]->Stats().live_chunks, 0u);
  }
}

}  // namespace
}  // namespace arenakv
