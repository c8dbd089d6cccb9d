// SPDX-License-Identifier: Apache-2.0
// Randomized single-threaded Alloc/Free checked against a shadow model.
//
// The shadow maps every live chunk to its requested size and a pattern byte that
// fills the whole request. A chunk that overlaps another, or is handed out while
// still live, shows up as an overlapping shadow entry or a clobbered pattern; Stats
// must match the shadow's sums exactly, since nothing runs concurrently.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

using test::HoldsPattern;
using test::kOpsScale;

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;

// Mostly small requests, some medium ones, a few that get dedicated pools.
std::size_t RandomRequestSize(std::mt19937_64& rng) {
  const int bucket = std::uniform_int_distribution<int>(0, 999)(rng);
  if (bucket < 900) return std::uniform_int_distribution<std::size_t>(1, 600)(rng);
  if (bucket < 997) return std::uniform_int_distribution<std::size_t>(601, 64 * kKiB)(rng);
  return std::uniform_int_distribution<std::size_t>(64 * kKiB + 1, 1 * kMiB)(rng);
}

std::uintptr_t Addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

class ShadowedArena {
 public:
  explicit ShadowedArena(Arena& arena) : arena_(arena) {}

  std::size_t live() const { return live_.size(); }

  void Alloc(std::size_t n, bool use_try_alloc) {
    void* raw = use_try_alloc ? arena_.TryAlloc(n) : arena_.Alloc(n);
    ASSERT_NE(raw, nullptr) << "n=" << n;
    auto* p = static_cast<unsigned char*>(raw);
    ASSERT_EQ(Addr(p) % kAlignment, 0u);
    ASSERT_EQ(arena_.ChunkSize(p), Arena::SlabSize(n));
    ASSERT_TRUE(arena_.Owns(p));
    ExpectNoOverlap(p, n);
    if (::testing::Test::HasFatalFailure()) return;
    const auto pattern = static_cast<unsigned char>(++next_pattern_ % 251 + 1);
    std::memset(p, pattern, n);
    shadow_.emplace(p, Entry{n, pattern});
    live_.push_back(p);
    requested_ += n;
    allocated_ += Arena::SlabSize(n);
  }

  void FreeRandom(std::mt19937_64& rng) {
    const std::size_t i = std::uniform_int_distribution<std::size_t>(0, live_.size() - 1)(rng);
    unsigned char* p = live_[i];
    const Entry entry = shadow_.at(p);
    ASSERT_TRUE(HoldsPattern(p, entry.size, entry.pattern)) << "chunk of " << entry.size;
    arena_.Free(p);
    live_[i] = live_.back();
    live_.pop_back();
    shadow_.erase(p);
    requested_ -= entry.size;
    allocated_ -= Arena::SlabSize(entry.size);
  }

  void ExpectStatsMatch() const {
    const ArenaStats stats = arena_.Stats();
    EXPECT_EQ(stats.requested, requested_);
    EXPECT_EQ(stats.allocated, allocated_);
    EXPECT_EQ(stats.live_chunks, shadow_.size());
    EXPECT_GE(stats.reserved, stats.allocated);
    EXPECT_LE(stats.reserved, stats.capacity);
  }

  void ExpectAllPatternsIntact() const {
    for (const auto& [p, entry] : shadow_) {
      ASSERT_TRUE(HoldsPattern(p, entry.size, entry.pattern)) << "chunk of " << entry.size;
    }
  }

  void FreeAll() {
    for (const auto& [p, entry] : shadow_) arena_.Free(p);
    Forget();
  }

  // Drops the shadow without freeing, as Release() does to the arena.
  void Forget() {
    shadow_.clear();
    live_.clear();
    requested_ = allocated_ = 0;
  }

 private:
  struct Entry {
    std::size_t size;
    unsigned char pattern;
  };

  // The new chunk [p, p + slab) must not intersect any live chunk's slab.
  void ExpectNoOverlap(const unsigned char* p, std::size_t n) const {
    const std::uintptr_t begin = Addr(p);
    const std::uintptr_t end = begin + Arena::SlabSize(n);
    const auto next = shadow_.lower_bound(const_cast<unsigned char*>(p));
    if (next != shadow_.end()) {
      ASSERT_LE(end, Addr(next->first)) << "new chunk overlaps a live chunk above it";
    }
    if (next != shadow_.begin()) {
      const auto prev = std::prev(next);
      ASSERT_LE(Addr(prev->first) + Arena::SlabSize(prev->second.size), begin)
          << "new chunk overlaps a live chunk below it";
    }
  }

  Arena& arena_;
  std::map<unsigned char*, Entry> shadow_;
  std::vector<unsigned char*> live_;  // the shadow's keys, for picking one at random
  std::size_t requested_ = 0;
  std::size_t allocated_ = 0;
  unsigned next_pattern_ = 0;
};

struct Workload {
  std::uint64_t seed;
  int ops;
  std::size_t target_live;  // the live set drifts around this size
  int release_every;        // 0: never Release()
};

void RunWorkload(Arena& arena, const Workload& workload) {
  ShadowedArena shadow(arena);
  std::mt19937_64 rng(workload.seed);
  std::bernoulli_distribution coin(0.5);
  for (int op = 1; op <= workload.ops; ++op) {
    const double alloc_odds = shadow.live() < workload.target_live ? 0.6 : 0.4;
    if (shadow.live() == 0 || std::bernoulli_distribution(alloc_odds)(rng)) {
      shadow.Alloc(RandomRequestSize(rng), /*use_try_alloc=*/coin(rng));
    } else {
      shadow.FreeRandom(rng);
    }
    if (::testing::Test::HasFatalFailure()) return;
    if (op % 1000 == 0) {
      shadow.ExpectStatsMatch();
      if (::testing::Test::HasFailure()) return;
    }
    if (workload.release_every != 0 && op % workload.release_every == 0) {
      shadow.ExpectAllPatternsIntact();
      arena.Release();
      shadow.Forget();
      ASSERT_EQ(arena.Stats().reserved, 0u);
    }
  }
  shadow.ExpectAllPatternsIntact();
  shadow.ExpectStatsMatch();
  shadow.FreeAll();
  shadow.ExpectStatsMatch();
}

ArenaOptions WithPools(std::size_t capacity, std::size_t min_pool_size) {
  ArenaOptions options;
  options.capacity = capacity;
  options.min_pool_size = min_pool_size;
  return options;
}

TEST(ArenaRandom, MatchesShadowModelWithDefaultPools) {
  Arena arena(WithPools(1024 * kMiB, 1 * kMiB));

  RunWorkload(
      arena,
      {.seed = 20240601, .ops = 120'000 / kOpsScale, .target_live = 2000, .release_every = 0});
}

// 64 KiB pools: chunks above 8 KiB get dedicated pools, and pools ramp up often.
TEST(ArenaRandom, MatchesShadowModelWithSmallPools) {
  Arena arena(WithPools(1024 * kMiB, 64 * kKiB));

  RunWorkload(arena,
              {.seed = 77, .ops = 50'000 / kOpsScale, .target_live = 500, .release_every = 0});
}

TEST(ArenaRandom, MatchesShadowModelAcrossReleases) {
  Arena arena(WithPools(512 * kMiB, 256 * kKiB));

  RunWorkload(arena, {.seed = 4242,
                      .ops = 30'000 / kOpsScale,
                      .target_live = 1000,
                      .release_every = 7'500 / kOpsScale});
}

}  // namespace
}  // namespace arenakv
