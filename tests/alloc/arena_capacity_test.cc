// SPDX-License-Identifier: Apache-2.0
// Specification of the capacity limit: committed memory never exceeds it, hitting it
// throws ArenaExhausted (a std::bad_alloc) or returns nullptr from TryAlloc, and the
// arena keeps working afterwards.
#include <cstddef>
#include <cstring>
#include <latch>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kCapacity = 4 * kMiB;
constexpr std::size_t kRequest = 100;

ArenaOptions WithCapacity(std::size_t capacity) {
  ArenaOptions options;
  options.capacity = capacity;
  return options;
}

unsigned char PatternOf(std::size_t i) { return static_cast<unsigned char>(i % 251 + 1); }

bool Intact(const void* p, unsigned char pattern) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  return bytes[0] == pattern && std::memcmp(bytes, bytes + 1, kRequest - 1) == 0;
}

// Allocates kRequest-byte chunks, each filled with PatternOf(its index), until Alloc
// throws ArenaExhausted; more successes than the capacity allows also stop it.
std::vector<void*> FillUntilExhausted(Arena& arena, bool* exhausted) {
  std::vector<void*> chunks;
  *exhausted = false;
  while (chunks.size() <= kCapacity / Arena::SlabSize(kRequest)) {
    try {
      void* p = arena.Alloc(kRequest);
      std::memset(p, PatternOf(chunks.size()), kRequest);
      chunks.push_back(p);
    } catch (const ArenaExhausted&) {
      *exhausted = true;
      break;
    }
  }
  return chunks;
}

TEST(ArenaCapacity, FillingTheArenaEndsInArenaExhaustedWithinCapacity) {
  Arena arena(WithCapacity(kCapacity));
  bool exhausted = false;

  const std::vector<void*> chunks = FillUntilExhausted(arena, &exhausted);
  const ArenaStats stats = arena.Stats();

  ASSERT_TRUE(exhausted);
  EXPECT_LE(stats.reserved, kCapacity);
  EXPECT_EQ(stats.live_chunks, chunks.size());
  EXPECT_EQ(stats.requested, chunks.size() * kRequest);
  EXPECT_EQ(stats.allocated, chunks.size() * Arena::SlabSize(kRequest));
  // Committing in 64 KiB steps, the arena uses most of its capacity before it gives up.
  EXPECT_GE(stats.allocated, kCapacity / 2);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    ASSERT_TRUE(Intact(chunks[i], PatternOf(i))) << "chunk " << i;
  }
}

TEST(ArenaCapacity, ExhaustedArenaKeepsFailingWithoutSideEffects) {
  Arena arena(WithCapacity(kCapacity));
  bool exhausted = false;
  const std::vector<void*> chunks = FillUntilExhausted(arena, &exhausted);
  ASSERT_TRUE(exhausted);
  const ArenaStats before = arena.Stats();

  EXPECT_THROW(arena.Alloc(kRequest), std::bad_alloc);
  EXPECT_THROW(arena.Alloc(kRequest), ArenaExhausted);
  EXPECT_EQ(arena.TryAlloc(kRequest), nullptr);

  const ArenaStats after = arena.Stats();
  EXPECT_EQ(after.requested, before.requested);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_EQ(after.reserved, before.reserved);
  EXPECT_EQ(after.live_chunks, before.live_chunks);
  try {
    arena.Alloc(kRequest);
    ADD_FAILURE() << "Alloc succeeded in an exhausted arena";
  } catch (const ArenaExhausted& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

TEST(ArenaCapacity, FreedChunksCanBeAllocatedAgainAfterExhaustion) {
  constexpr std::size_t kFreed = 10;
  Arena arena(WithCapacity(kCapacity));
  bool exhausted = false;
  std::vector<void*> chunks = FillUntilExhausted(arena, &exhausted);
  ASSERT_TRUE(exhausted);
  ASSERT_GT(chunks.size(), kFreed);
  const std::size_t reserved = arena.Stats().reserved;

  for (std::size_t i = 0; i < kFreed; ++i) {
    arena.Free(chunks.back());
    chunks.pop_back();
  }
  for (std::size_t i = 0; i < kFreed; ++i) {
    void* p = arena.TryAlloc(kRequest);
    ASSERT_NE(p, nullptr) << "re-allocation " << i;
    std::memset(p, PatternOf(chunks.size()), kRequest);
    chunks.push_back(p);
  }

  EXPECT_EQ(arena.TryAlloc(kRequest), nullptr);  // exactly the freed chunks came back
  EXPECT_EQ(arena.Stats().reserved, reserved);
  EXPECT_EQ(arena.Stats().live_chunks, chunks.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    ASSERT_TRUE(Intact(chunks[i], PatternOf(i))) << "chunk " << i;
  }
}

TEST(ArenaCapacity, ReleaseRestoresTheFullCapacity) {
  Arena arena(WithCapacity(kCapacity));
  bool exhausted = false;
  const std::size_t first_fill = FillUntilExhausted(arena, &exhausted).size();
  ASSERT_TRUE(exhausted);

  arena.Release();
  const std::size_t second_fill = FillUntilExhausted(arena, &exhausted).size();

  EXPECT_TRUE(exhausted);
  EXPECT_EQ(second_fill, first_fill);
  EXPECT_LE(arena.Stats().reserved, kCapacity);
}

TEST(ArenaCapacity, RequestLargerThanCapacityIsRejected) {
  Arena arena(WithCapacity(kCapacity));

  EXPECT_THROW(arena.Alloc(kCapacity + 1), ArenaExhausted);
  EXPECT_EQ(arena.TryAlloc(kCapacity + 1), nullptr);
  EXPECT_THROW(arena.Alloc(kMaxArenaSize), ArenaExhausted);
  EXPECT_EQ(arena.TryAlloc(kMaxArenaSize), nullptr);
  EXPECT_THROW(arena.Alloc(kMaxArenaSize + 1), ArenaExhausted);
  EXPECT_EQ(arena.TryAlloc(std::numeric_limits<std::size_t>::max()), nullptr);

  EXPECT_EQ(arena.Stats().reserved, 0u);
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
  arena.Free(arena.Alloc(kRequest));  // nothing was left half-done
}

TEST(ArenaCapacity, HugeChunkFitsOnceAndIsReusedAfterFree) {
  Arena arena(WithCapacity(kCapacity));

  void* p = arena.Alloc(3 * kMiB);
  std::memset(p, 1, 3 * kMiB);
  EXPECT_EQ(arena.TryAlloc(3 * kMiB), nullptr);
  arena.Free(p);
  void* q = arena.TryAlloc(3 * kMiB);

  ASSERT_NE(q, nullptr);
  std::memset(q, 2, 3 * kMiB);
  EXPECT_LE(arena.Stats().reserved, kCapacity);
  arena.Free(q);
}

TEST(ArenaCapacity, CapacityBelowOneCommitStepHoldsNothing) {
  Arena arena(WithCapacity(1));

  EXPECT_EQ(arena.TryAlloc(1), nullptr);
  EXPECT_THROW(arena.Alloc(8), ArenaExhausted);
  EXPECT_EQ(arena.Stats().reserved, 0u);
}

// Each slab a thread touches holds up to one commit step of unused memory; a
// small arena commits in small steps so that touching many slabs leaves room
// for data (a 1 MiB arena and 64 KiB steps would be full after 16 slabs).
TEST(ArenaCapacity, SmallArenaServesManySlabs) {
  constexpr std::size_t kSlabsTouched = 48;  // 8, 16, ..., 384 bytes
  Arena arena(WithCapacity(std::size_t{1} << 20));
  std::vector<void*> chunks;
  for (std::size_t s = 1; s <= kSlabsTouched; ++s) chunks.push_back(arena.TryAlloc(8 * s));
  for (void* p : chunks) EXPECT_NE(p, nullptr);
  EXPECT_LE(arena.Stats().reserved, (std::size_t{1} << 20) / 2);
  for (void* p : chunks) {
    if (p != nullptr) arena.Free(p);
  }
}

TEST(ArenaCapacity, ConcurrentFillsNeverExceedCapacity) {
  constexpr int kThreads = 4;
  Arena arena(WithCapacity(kCapacity));
  std::vector<std::vector<void*>> chunks(kThreads);
  std::vector<std::thread> threads;

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t most = kCapacity / Arena::SlabSize(kRequest);
      while (chunks[t].size() <= most) {
        void* p = arena.TryAlloc(kRequest);
        if (p == nullptr) break;
        std::memset(p, PatternOf(static_cast<std::size_t>(t)), kRequest);
        chunks[t].push_back(p);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    total += chunks[t].size();
    for (void* p : chunks[t]) ASSERT_TRUE(Intact(p, PatternOf(static_cast<std::size_t>(t))));
  }
  const ArenaStats stats = arena.Stats();
  EXPECT_LE(stats.reserved, kCapacity);
  EXPECT_EQ(stats.live_chunks, total);
  EXPECT_LE(total * Arena::SlabSize(kRequest), kCapacity);
}

// 64 threads each take one chunk from 48 slabs: ~3000 pools that commit ~200 MiB
// in all, a fifth of the capacity. Only capacity may limit allocation, however
// many pools the threads' slab caches open.
TEST(ArenaCapacity, ManyThreadsTouchingManySlabsAreLimitedOnlyByCapacity) {
  constexpr int kThreads = 64;
  constexpr std::size_t kSlabs = 48;  // 8, 16, ..., 384 bytes
  Arena arena;                        // 1 GiB capacity, 1 MiB pools
  std::latch all_started(kThreads);
  std::latch all_allocated(kThreads);
  std::vector<std::vector<void*>> chunks(kThreads);
  std::vector<std::thread> threads;

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      all_started.arrive_and_wait();  // all alive throughout, so each has its own thread slot
      for (std::size_t s = 1; s <= kSlabs; ++s) chunks[t].push_back(arena.TryAlloc(8 * s));
      all_allocated.arrive_and_wait();
    });
  }
  for (std::thread& t : threads) t.join();

  std::size_t refused = 0;
  for (const std::vector<void*>& mine : chunks) {
    for (void* p : mine) {
      refused += p == nullptr;
      if (p != nullptr) arena.Free(p);
    }
  }
  EXPECT_EQ(refused, 0u) << "reserved " << arena.Stats().reserved << " of capacity "
                         << arena.Stats().capacity;
  EXPECT_EQ(arena.Stats().live_chunks, 0u);
}

}  // namespace
}  // namespace arenakv
