// SPDX-License-Identifier: Apache-2.0
// Arena under adversarial use: alloc/free storms over several arenas at once
// with chunks crossing threads and arenas' owners, frees of chunks whose
// allocating thread has exited (also after its thread slot was taken by a
// new thread), and exhaustion hit by many threads at once. Verdicts: every
// chunk keeps its bytes until freed, no call throws but ArenaExhausted (as
// nullptr from TryAlloc), and each arena is empty afterwards.
#include <atomic>
#include <cstddef>
#include <mutex>
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

struct OwnedChunk {
  Arena* arena;
  Chunk chunk;
};

// A mutex-guarded pool of chunks any thread may take and free.
class SharedChunks {
 public:
  void Put(OwnedChunk c) {
    std::lock_guard<std::mutex> lock(mu_);
    chunks_.push_back(c);
  }
  bool Take(std::mt19937_64& rng, OwnedChunk* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (chunks_.empty()) return false;
    const std::size_t i = rng() % chunks_.size();
    *out = chunks_[i];
    chunks_[i] = chunks_.back();
    chunks_.pop_back();
    return true;
  }
  std::vector<OwnedChunk> TakeAll() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(chunks_);
  }

 private:
  std::mutex mu_;
  std::vector<OwnedChunk> chunks_;
};

TEST(ArenaAdversarial, StormsOverSeveralArenasWithChunksCrossingThreads) {
  constexpr int kArenas = 3;
  constexpr int kThreads = 6;
  constexpr int kOps = 20000 / kOpsScale;
  std::vector<std::unique_ptr<Arena>> arenas;
  for (int a = 0; a < kArenas; ++a) {
    arenas.push_back(std::make_unique<Arena>(ArenaOptions{.capacity = std::size_t{8} << 20}));
  }
  SharedChunks shared;
  std::atomic<int> clobbered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t) + 11);
      for (int op = 0; op < kOps; ++op) {
        OwnedChunk c;
        if (rng() % 2 == 0 || !shared.Take(rng, &c)) {
          Arena* arena = arenas[rng() % kArenas].get();
          const std::size_t n = 1 + rng() % (rng() % 8 == 0 ? 20000 : 300);
          if (auto chunk = TryAllocFilled(*arena, n, static_cast<unsigned>(op * kThreads + t))) {
            shared.Put({arena, *chunk});
          }
        } else if (!CheckAndFree(*c.arena, c.chunk)) {
          clobbered.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const OwnedChunk& c : shared.TakeAll()) {
    if (!CheckAndFree(*c.arena, c.chunk)) clobbered.fetch_add(1);
  }
  EXPECT_EQ(clobbered.load(), 0);
  for (const auto& arena : arenas) ExpectEmpty(*arena);
}

// Chunks outlive the thread that allocated them: they are freed by others,
// also after new threads (taking the exited threads' slots) allocated more.
TEST(ArenaAdversarial, FreesOfChunksWhoseThreadHasExited) {
  Arena arena(ArenaOptions{.capacity = std::size_t{16} << 20});
  constexpr int kGenerations = 8;
  constexpr int kPerThread = 2000 / kOpsScale;
  std::vector<Chunk> orphans;
  std::mutex mu;
  int clobbered = 0;
  for (int g = 0; g < kGenerations; ++g) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, g, t] {
        std::vector<Chunk> mine;
        for (int i = 0; i < kPerThread; ++i) {
          if (auto c = TryAllocFilled(arena, 8 + static_cast<std::size_t>(i % 97) * 8,
                                      static_cast<unsigned>(g * 100 + t))) {
            mine.push_back(*c);
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        orphans.insert(orphans.end(), mine.begin(), mine.end());
      });  // the thread exits with its chunks live
    }
    for (std::thread& th : threads) th.join();
    // Half of the orphans are freed by this (main) thread now, the rest by a
    // helper thread that then exits too.
    std::vector<Chunk> half(orphans.begin() + static_cast<std::ptrdiff_t>(orphans.size() / 2),
                            orphans.end());
    orphans.resize(orphans.size() / 2);
    std::thread freer([&] {
      for (const Chunk& c : half) clobbered += !CheckAndFree(arena, c);
    });
    freer.join();
  }
  for (const Chunk& c : orphans) clobbered += !CheckAndFree(arena, c);
  EXPECT_EQ(clobbered, 0);
  ExpectEmpty(arena);
}

// Many threads race into a small arena's capacity: TryAlloc says no (never
// throws, never hands out a chunk beyond capacity), what was handed out is
// intact, and reserved bytes never pass the capacity.
TEST(ArenaAdversarial, ExhaustionHitByManyThreadsAtOnce) {
  constexpr std::size_t kCapacity = std::size_t{2} << 20;
  Arena arena(ArenaOptions{.capacity = kCapacity});
  std::atomic<int> refusals{0}, clobbered{0};
  std::vector<std::vector<Chunk>> held(6);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50000 / kOpsScale && refusals.load() < 1000; ++i) {
        if (auto c = TryAllocFilled(arena, 64 + static_cast<std::size_t>(i % 4) * 64,
                                    static_cast<unsigned>(t))) {
          held[t].push_back(*c);
        } else {
          refusals.fetch_add(1);
        }
        EXPECT_LE(arena.ReservedBytes(), kCapacity);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GT(refusals.load(), 0) << "the arena never filled up";
  for (auto& chunks : held) {
    for (const Chunk& c : chunks) clobbered += !CheckAndFree(arena, c);
  }
  EXPECT_EQ(clobbered.load(), 0);
  ExpectEmpty(arena);
}

}  // namespace
}  // namespace arenakv
