// SPDX-License-Identifier: Apache-2.0
// Specification of Arena across thread lifetimes: threads that exit hand their slot
// to later threads, chunks they leave behind stay valid and may be freed by anyone,
// and threads beyond the 256 thread slots are served too.
//
// Every thread does a fixed amount of work; all waiting is on latches that every
// thread reaches whatever its allocations return, and on joins. Threads use
// TryAlloc and count failures; verdicts are checked after the joins.
#include <algorithm>
#include <cstddef>
#include <latch>
#include <numeric>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

using test::CheckAndFree;
using test::Chunk;
using test::ExpectEmpty;
using test::TryAllocFilled;

// 12 waves of 32 threads (384 in all): later waves get the slots, and so the
// heaps, of exited threads, whose chunks are still live and freed by the main thread.
TEST(ArenaThreadSlots, ThreadsStartedAfterOthersExitedKeepWorking) {
  constexpr int kWaves = 12;
  constexpr int kThreadsPerWave = 32;
  constexpr int kChunksPerThread = 64;
  Arena arena;
  std::vector<Chunk> left_behind;
  int bad = 0;

  for (int wave = 0; wave < kWaves; ++wave) {
    std::vector<std::vector<Chunk>> kept(kThreadsPerWave);
    std::vector<int> thread_bad(kThreadsPerWave);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreadsPerWave; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<unsigned>(wave * kThreadsPerWave + t));
        std::uniform_int_distribution<std::size_t> size(1, 1024);
        for (int i = 0; i < kChunksPerThread; ++i) {
          if (auto c = TryAllocFilled(arena, size(rng), static_cast<unsigned>(t + i))) {
            kept[t].push_back(*c);
          } else {
            ++thread_bad[t];
          }
        }
        for (int i = 0; i < kChunksPerThread / 2 && !kept[t].empty(); ++i) {  // free half
          thread_bad[t] += !CheckAndFree(arena, kept[t].back());
          kept[t].pop_back();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    bad += std::accumulate(thread_bad.begin(), thread_bad.end(), 0);
    for (const std::vector<Chunk>& chunks : kept) {
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        if (i % 2 == 0) {
          left_behind.push_back(chunks[i]);
        } else {
          bad += !CheckAndFree(arena, chunks[i]);  // freed by a thread that is not the owner
        }
      }
    }
    ASSERT_EQ(arena.Stats().live_chunks, left_behind.size()) << "after wave " << wave;
  }

  for (const Chunk& c : left_behind) bad += !CheckAndFree(arena, c);
  EXPECT_EQ(bad, 0);
  ExpectEmpty(arena);
}

// 300 threads hold chunks at the same moment, so at least 44 of them run on the
// overflow path beyond the 256 thread slots. (Two slabs only: the address space
// that many slab caches open is ArenaCapacity.ManyThreadsTouchingManySlabs...'s topic.)
TEST(ArenaThreadSlots, MoreThreadsThanSlotsCanHoldChunksAtOnce) {
  constexpr int kThreads = 300;
  constexpr int kChunksPerThread = 8;
  Arena arena;
  std::latch start(kThreads);
  std::latch all_allocated(kThreads);
  std::latch may_free(1);
  std::vector<int> bad(kThreads);
  std::vector<std::size_t> requested(kThreads);
  std::vector<std::thread> threads;

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Chunk> mine;
      start.arrive_and_wait();
      for (int i = 0; i < kChunksPerThread; ++i) {
        const std::size_t n = (i % 2 == 0 ? 24 : 1000) - static_cast<std::size_t>((t + i) % 8);
        if (auto c = TryAllocFilled(arena, n, static_cast<unsigned>(t + i))) {
          mine.push_back(*c);
          requested[t] += n;
        } else {
          ++bad[t];
        }
      }
      all_allocated.count_down();
      may_free.wait();  // every thread is alive and holds its chunks until here
      for (const Chunk& c : mine) bad[t] += !CheckAndFree(arena, c);
      for (int i = 0; i < 100; ++i) {  // and keeps allocating after the peak
        if (auto c = TryAllocFilled(arena, i % 2 == 0 ? 24 : 1000, 7)) {
          bad[t] += !CheckAndFree(arena, *c);
        } else {
          ++bad[t];
        }
      }
    });
  }
  all_allocated.wait();
  const ArenaStats peak = arena.Stats();  // exact: every thread is parked on may_free
  may_free.count_down();
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(std::count(bad.begin(), bad.end(), 0), kThreads);
  EXPECT_EQ(peak.live_chunks, std::size_t{kThreads} * kChunksPerThread);
  EXPECT_EQ(peak.requested, std::accumulate(requested.begin(), requested.end(), std::size_t{0}));
  ExpectEmpty(arena);
}

// Thread slots are shared by all arenas: a thread that used one arena and exited
// leaves its slot to a thread that uses another.
TEST(ArenaThreadSlots, SlotsOfExitedThreadsServeEveryArena) {
  Arena first;
  Arena second;
  std::vector<void*> from_first(64);

  std::thread([&] {
    for (void*& p : from_first) p = first.TryAlloc(48);
  }).join();
  std::thread([&] {
    for (void* p : from_first) {
      if (p != nullptr) first.Free(p);
    }
    second.Free(second.Alloc(48));
  }).join();

  EXPECT_EQ(std::count(from_first.begin(), from_first.end(), nullptr), 0);
  ExpectEmpty(first);
  ExpectEmpty(second);
}

}  // namespace
}  // namespace arenakv
