// SPDX-License-Identifier: Apache-2.0
// MemoryBudget (<arenakv/mvcc/memory_budget.h>): charges past the limit are
// refused whole; the total never exceeds the limit under concurrent charging
// (checked at every successful charge); per-consumer counts, the peak and
// the refusals add up; and an arena charging its commits through Account()
// stays within the budget, fails like exhausted capacity when refused, and
// gives everything back when it retires pools and when it is destroyed.
#include <arenakv/alloc/arena.h>
#include <arenakv/mvcc/memory_budget.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

namespace arenakv {
namespace {

using Consumer = MemoryBudget::Consumer;

TEST(MemoryBudgetTest, ChargesPastTheLimitAreRefusedWhole) {
  MemoryBudget budget(1000);
  EXPECT_TRUE(budget.TryCharge(Consumer::kMemtables, 600));
  EXPECT_FALSE(budget.TryCharge(Consumer::kBlockCache, 401));
  EXPECT_TRUE(budget.TryCharge(Consumer::kBlockCache, 400));
  EXPECT_FALSE(budget.TryCharge(Consumer::kOther, 1));
  EXPECT_EQ(budget.charged(), 1000u);
  EXPECT_EQ(budget.charged(Consumer::kMemtables), 600u);
  EXPECT_EQ(budget.charged(Consumer::kBlockCache), 400u);
  EXPECT_EQ(budget.refusals(), 2u);
  budget.Release(Consumer::kMemtables, 600);
  EXPECT_EQ(budget.charged(), 400u);
  EXPECT_EQ(budget.peak(), 1000u);
  EXPECT_NE(budget.ToString().find("block-cache: 400\n"), std::string::npos) << budget.ToString();
  budget.Release(Consumer::kBlockCache, 400);
  EXPECT_EQ(budget.charged(), 0u);
}

TEST(MemoryBudgetTest, ConcurrentChargesNeverExceedTheLimit) {
  constexpr std::size_t kLimit = 1 << 20;
  MemoryBudget budget(kLimit);
  std::atomic<int> over{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<std::size_t> held;
      const auto consumer = static_cast<Consumer>(t % MemoryBudget::kNumConsumers);
      for (int i = 0; i < 20000; ++i) {
        if (held.empty() || rng() % 2 == 0) {
          const std::size_t bytes = 1 + rng() % (64 << 10);
          if (budget.TryCharge(consumer, bytes)) {
            held.push_back(bytes);
            if (budget.charged() > kLimit) over.fetch_add(1);
          }
        } else {
          budget.Release(consumer, held.back());
          held.pop_back();
        }
      }
      for (std::size_t bytes : held) budget.Release(consumer, bytes);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(over.load(), 0);
  EXPECT_EQ(budget.charged(), 0u);
  EXPECT_LE(budget.peak(), kLimit);
  EXPECT_GT(budget.refusals(), 0u) << "the test never reached the limit";
  for (std::size_t c = 0; c < MemoryBudget::kNumConsumers; ++c) {
    EXPECT_EQ(budget.charged(static_cast<Consumer>(c)), 0u);
  }
}

TEST(MemoryBudgetTest, AnArenaChargesItsCommitsAndStopsAtTheBudget) {
  constexpr std::size_t kBudget = 8 << 20;
  MemoryBudget budget(kBudget);
  std::vector<void*> chunks;
  {
    ArenaOptions options;
    options.capacity = 64 << 20;  // the budget, not the capacity, is the limit
    options.charge = budget.Account(Consumer::kMemtables);
    Arena arena(options);
    while (void* p = arena.TryAlloc(1000)) chunks.push_back(p);
    EXPECT_GT(chunks.size() * 1000, kBudget / 2);
    EXPECT_EQ(budget.charged(Consumer::kMemtables), arena.Stats().reserved);
    EXPECT_LE(budget.charged(), kBudget);
    try {
      arena.Alloc(1000);
      ADD_FAILURE() << "Alloc past the budget did not throw";
    } catch (const ArenaExhausted& e) {
      EXPECT_NE(std::string(e.what()).find("budget"), std::string::npos) << e.what();
    }
    // Retired pools give their charge back (the thread keeps its current
    // and spare pool of the slab: docs/ALLOCATOR.md, "Reuse").
    const std::size_t full = arena.Stats().reserved;
    for (void* p : chunks) arena.Free(p);
    chunks.clear();
    EXPECT_LT(arena.Stats().reserved, full);
    EXPECT_EQ(budget.charged(Consumer::kMemtables), arena.Stats().reserved);
  }
  EXPECT_EQ(budget.charged(), 0u) << "the destroyed arena kept charges";
}

TEST(MemoryBudgetTest, TwoArenasShareOneBudget) {
  constexpr std::size_t kBudget = 4 << 20;
  MemoryBudget budget(kBudget);
  ArenaOptions options;
  options.capacity = 64 << 20;
  options.charge = budget.Account(Consumer::kMemtables);
  Arena a(options);
  options.charge = budget.Account(Consumer::kBlockCache);
  Arena b(options);
  std::size_t from_a = 0, from_b = 0;
  for (bool progress = true; progress;) {
    const bool got_a = a.TryAlloc(4096) != nullptr;
    const bool got_b = b.TryAlloc(4096) != nullptr;
    from_a += got_a ? 4096 : 0;
    from_b += got_b ? 4096 : 0;
    progress = got_a || got_b;
  }
  EXPECT_GT(from_a, 0u);
  EXPECT_GT(from_b, 0u);
  EXPECT_LE(a.Stats().reserved + b.Stats().reserved, kBudget);
  EXPECT_EQ(budget.charged(), a.Stats().reserved + b.Stats().reserved);
  a.Release();
  EXPECT_EQ(budget.charged(), b.Stats().reserved);
}

}  // namespace
}  // namespace arenakv
