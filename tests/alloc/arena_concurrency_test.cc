// SPDX-License-Identifier: Apache-2.0
// Specification of Arena under concurrent use: local and cross-thread frees, reuse
// of chunks freed by other threads, and Stats() read while others allocate.
// (Thread slot reuse and more threads than slots: arena_thread_slot_test.cc.)
//
// Every thread does a fixed amount of work and all waiting is on joins or on a
// condition variable whose predicate becomes true once that work is done, so each
// test ends in bounded time. Threads use TryAlloc and count failures instead of
// throwing; verdicts are counts checked after the joins.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
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
using test::kOpsScale;
using test::TryAllocFilled;

std::size_t RandomSize(std::mt19937_64& rng) {
  return std::uniform_int_distribution<std::size_t>(1, 1024)(rng);
}

// A thread's local alloc/free mix; returns the number of failed allocations and
// clobbered chunks seen.
int LocalAllocFree(Arena& arena, unsigned seed, int ops, std::size_t max_live) {
  std::mt19937_64 rng(seed);
  std::vector<Chunk> live;
  int bad = 0;
  for (int op = 0; op < ops; ++op) {
    if (live.empty() || (live.size() < max_live && rng() % 2 == 0)) {
      if (const auto c = TryAllocFilled(arena, RandomSize(rng), seed + static_cast<unsigned>(op))) {
        live.push_back(*c);
      } else {
        ++bad;
      }
    } else {
      const std::size_t i = rng() % live.size();
      bad += !CheckAndFree(arena, live[i]);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (const Chunk& c : live) bad += !CheckAndFree(arena, c);
  return bad;
}

TEST(ArenaConcurrency, ThreadsAllocatingAndFreeingLocallyKeepChunksIntact) {
  constexpr int kThreads = 8;
  Arena arena;
  std::vector<int> bad(kThreads);
  std::vector<std::thread> threads;

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      bad[t] = LocalAllocFree(arena, 1000u * static_cast<unsigned>(t), 40'000 / kOpsScale, 256);
    });
  }
  for (std::thread& t : threads) t.join();

  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
  ExpectEmpty(arena);
}

// Producers allocate and hand chunks to consumers, which check and free them.
TEST(ArenaConcurrency, ChunksHandedToOtherThreadsAreFreedThere) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  const int items_per_producer = 20'000 / kOpsScale;
  Arena arena;
  std::mutex mu;
  std::condition_variable ready;
  std::deque<Chunk> queue;
  int producers_left = kProducers;
  std::atomic<int> bad{0};
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;

  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t));
      for (int i = 0; i < items_per_producer; ++i) {
        const auto c = TryAllocFilled(arena, RandomSize(rng), static_cast<unsigned>(t * 7 + i));
        if (!c) {
          ++bad;
        } else if (i % 4 == 0) {  // some chunks stay with their producer
          bad += !CheckAndFree(arena, *c);
        } else {
          const std::lock_guard lock(mu);
          queue.push_back(*c);
          ready.notify_one();
        }
      }
      const std::lock_guard lock(mu);
      --producers_left;
      ready.notify_all();
    });
  }
  for (int t = 0; t < kConsumers; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        std::unique_lock lock(mu);
        ready.wait(lock, [&] { return !queue.empty() || producers_left == 0; });
        if (queue.empty()) return;
        const Chunk c = queue.front();
        queue.pop_front();
        lock.unlock();
        bad += !(arena.Owns(c.p) && CheckAndFree(arena, c));
        ++consumed;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(consumed.load(), kProducers * (items_per_producer - (items_per_producer + 3) / 4));
  ExpectEmpty(arena);
}

TEST(ArenaConcurrency, ChunksFreedByAnotherThreadAreReusedByTheirOwner) {
  constexpr int kChunks = 20'000;
  Arena arena;
  std::vector<void*> chunks(kChunks);
  for (void*& p : chunks) p = arena.Alloc(100);
  std::thread([&] {
    for (void* p : chunks) arena.Free(p);
  }).join();
  const std::size_t reserved = arena.Stats().reserved;

  for (void*& p : chunks) p = arena.Alloc(100);

  EXPECT_EQ(arena.Stats().reserved, reserved);
  for (void* p : chunks) arena.Free(p);
  ExpectEmpty(arena);
}

TEST(ArenaConcurrency, StatsCanBeReadWhileOtherThreadsAllocate) {
  constexpr int kWorkers = 4;
  constexpr std::size_t kMaxLive = 64;  // per worker; requests are at most 1024 bytes
  const std::size_t capacity = std::size_t{1} << 30;
  Arena arena;
  std::atomic<int> workers_left{kWorkers};
  std::vector<int> bad(kWorkers);
  int implausible = 0;
  int reads = 0;
  std::vector<std::thread> workers;

  for (int t = 0; t < kWorkers; ++t) {
    workers.emplace_back([&, t] {
      bad[t] = LocalAllocFree(arena, 77u + static_cast<unsigned>(t), 40'000 / kOpsScale, kMaxLive);
      --workers_left;
    });
  }
  do {  // per-thread counters only grow and shrink locally, so each sum is bounded
    const ArenaStats s = arena.Stats();
    implausible +=
        s.capacity != capacity || s.reserved > s.capacity || s.live_chunks > kWorkers * kMaxLive ||
        s.requested > kWorkers * kMaxLive * 1024 || s.allocated > kWorkers * kMaxLive * 1024;
    ++reads;
  } while (workers_left.load() > 0);
  for (std::thread& t : workers) t.join();

  EXPECT_GT(reads, 0);
  EXPECT_EQ(implausible, 0);
  EXPECT_EQ(std::count(bad.begin(), bad.end(), 0), kWorkers);
  ExpectEmpty(arena);
}

}  // namespace
}  // namespace arenakv
