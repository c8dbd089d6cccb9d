// SPDX-License-Identifier: Apache-2.0
// Options::memory_budget (<arenakv/mvcc/memory_budget.h>), black-box through
// the DB API and the "arenakv.memory" property:
//   - what the budget has charged is exactly what the DB holds: the pages of
//     every live memtable arena plus the write reservation, and the block
//     cache's entries; after Close everything is given back;
//   - memtables far larger than the budget (64 MiB write buffers, a 3 MiB
//     budget) are flushed early, and the memory they hold stays within it;
//   - a full budget takes memory from the block cache before it flushes;
//   - a batch of many small writes fits a budget far smaller than one commit
//     step per operation would need;
//   - with every other byte of the budget taken, a full memtable is still
//     rotated and flushed;
//   - a write larger than the whole budget, and a write that cannot fit
//     while iterators hold every memtable, get MemoryLimit (and the DB goes
//     on once the iterators are gone);
//   - two DBs sharing one budget stay within it together, under concurrent
//     writers, readers and iterators with flushes and compactions running;
//   - WAL replay at Open flushes early to stay within the budget, and refuses
//     a record that can never fit with MemoryLimit.
// The "never above the limit" checks read what the arenas hold (memtable
// arenas' committed pages, the block cache's live entries), not the budget's
// own count, so memory the DB failed to charge would show up as a breach.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"

namespace arenakv {
namespace {

using test::KeyFor;
using test::Model;
using test::TempDir;

constexpr std::size_t kValueSize = 1000;

// "arenakv.memory" as numbers ("limit: none" is left out).
std::map<std::string, std::uint64_t> Memory(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("arenakv.memory", &text));
  std::map<std::string, std::uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t colon = line.find(": ");
    if (colon == std::string::npos || line.substr(colon + 2) == "none") continue;
    out[line.substr(0, colon)] = std::stoull(line.substr(colon + 2));
  }
  return out;
}

// What the DB holds: memtable arenas' pages (with the reservation), the
// block cache's entries and the table cache's readers.
std::uint64_t Held(DB* db) {
  auto m = Memory(db);
  return m["db_memtable_bytes"] + m["db_block_cache_bytes"] + m["db_table_reader_bytes"];
}

// Waits until no flush or compaction is pending or running (30 s at most).
void WaitForBackgroundWork(DB* db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string pending, running;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(db->GetProperty("arenakv.compaction-pending", &pending));
    ASSERT_TRUE(db->GetProperty("arenakv.num-running-compactions", &running));
    if (pending == "0" && running == "0") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL() << "background work still pending after 30 s";
}

Options BudgetOptions(std::shared_ptr<MemoryBudget> budget) {
  Options options;
  options.memory_budget = std::move(budget);
  return options;
}

std::string ValueFor(std::uint64_t i) {
  std::string value = "v" + std::to_string(i) + "-";
  value.resize(kValueSize, static_cast<char>('a' + i % 26));
  return value;
}

TEST(DbMemoryBudgetTest, ChargesAreWhatTheDbHolds) {
  TempDir dir;
  auto budget = MemoryBudget::Create(std::size_t{64} << 20);
  Options options = BudgetOptions(budget);
  options.write_buffer_size = 1 << 20;
  options.block_cache_size = 8 << 20;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
    for (std::uint64_t i = 0; i < 4000; ++i) {
      ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok());
    }
    ASSERT_TRUE(db->Flush().ok());
    WaitForBackgroundWork(db.get());
    for (std::uint64_t i = 0; i < 4000; i += 3) {
      std::string value;
      ASSERT_TRUE(db->Get({}, KeyFor(i), &value).ok());
    }
    auto m = Memory(db.get());
    EXPECT_EQ(m["limit"], std::uint64_t{64} << 20);
    EXPECT_GT(m["memtables"], 0u);
    EXPECT_GT(m["block-cache"], 0u);
    EXPECT_EQ(m["memtables"], m["db_memtable_bytes"]);
    EXPECT_EQ(m["block-cache"], m["db_block_cache_bytes"]);
    EXPECT_GT(m["table-readers"], 0u);
    EXPECT_EQ(m["table-readers"], m["db_table_reader_bytes"]);
    EXPECT_EQ(m["charged"], m["memtables"] + m["block-cache"] + m["table-readers"]);
    EXPECT_EQ(m["db_early_flushes"], 0u);  // the budget was never tight
    ASSERT_TRUE(db->Close().ok());
  }
  EXPECT_EQ(budget->charged(), 0u);
  EXPECT_GT(budget->peak(), 0u);
}

TEST(DbMemoryBudgetTest, MemtablesFlushEarlyToStayWithinTheBudget) {
  TempDir dir;
  constexpr std::size_t kLimit = 3 << 20;
  Options options = BudgetOptions(MemoryBudget::Create(kLimit));
  options.write_buffer_size = 64 << 20;  // without the budget nothing would flush
  options.block_cache_size = 0;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  Model model;
  constexpr std::uint64_t kWrites = 12000;  // 12 MB: 4x the budget
  for (std::uint64_t i = 0; i < kWrites; ++i) {
    const std::string key = KeyFor(i * 7919 % kWrites);
    ASSERT_TRUE(db->Put({}, key, ValueFor(i)).ok()) << i;
    model.Put(key, ValueFor(i));
    if (i % 500 == 0) {
      ASSERT_LE(Held(db.get()), kLimit) << "after " << i << " writes";
    }
  }
  auto m = Memory(db.get());
  EXPECT_GT(m["db_early_flushes"], 0u);
  test::ExpectMatches(db.get(), model);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  // Everything is in the tables and the WAL: a reopen (with the budget)
  // reads it all back.
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  test::ExpectMatches(db.get(), model);
}

TEST(DbMemoryBudgetTest, BlockCacheMakesWayForWrites) {
  TempDir dir;
  constexpr std::size_t kLimit = 4 << 20;
  Options options = BudgetOptions(MemoryBudget::Create(kLimit));
  options.write_buffer_size = 64 << 20;
  options.block_cache_size = 64 << 20;  // as large as the cache wants: the budget bounds it
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  Model model;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok());
    model.Put(KeyFor(i), ValueFor(i));
  }
  ASSERT_TRUE(db->Flush().ok());
  WaitForBackgroundWork(db.get());
  test::ExpectMatches(db.get(), model);  // reads every block: the cache fills
  auto before = Memory(db.get());
  EXPECT_GT(before["db_block_cache_bytes"], std::uint64_t{1} << 20);
  EXPECT_LE(Held(db.get()), kLimit);
  for (std::uint64_t i = 3000; i < 9000; ++i) {
    ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok()) << i;
    model.Put(KeyFor(i), ValueFor(i));
    if (i % 500 == 0) {
      ASSERT_LE(Held(db.get()), kLimit) << "after " << i << " writes";
    }
  }
  auto after = Memory(db.get());
  std::string text;
  db->GetProperty("arenakv.memory", &text);
  EXPECT_GT(after["db_block_cache_shed_bytes"], 0u) << text;
  test::ExpectMatches(db.get(), model);
}

// The reservation counts a commit step per slab class a batch's sizes span,
// not per operation: 2000 puts of 100 B reserve well under a megabyte (a
// step per operation would be 2000 x 64 KiB).
TEST(DbMemoryBudgetTest, LargeBatchOfSmallWritesFits) {
  TempDir dir;
  Options options = BudgetOptions(MemoryBudget::Create(4 << 20));
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  Model model;
  for (int round = 0; round < 4; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 2000; ++i) {
      const std::string key = KeyFor(round * 2000 + i);
      const std::string value(100, static_cast<char>('a' + round));
      batch.Put(key, value);
      model.Put(key, value);
    }
    Status s = db->Write({}, &batch);
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.ToString();
  }
  test::ExpectMatches(db.get(), model);
}

TEST(DbMemoryBudgetTest, WriteLargerThanTheBudgetIsMemoryLimit) {
  TempDir dir;
  Options options = BudgetOptions(MemoryBudget::Create(1 << 20));
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  Status s = db->Put({}, "big", std::string(2 << 20, 'x'));
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  EXPECT_NE(s.message().find("memory budget"), std::string::npos) << s.ToString();
  WriteBatch batch;  // the same in small pieces, in one batch
  for (int i = 0; i < 40; ++i) batch.Put(KeyFor(i), std::string(50 << 10, 'y'));
  s = db->Write({}, &batch);
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  // Nothing of either was written, and the DB goes on.
  ASSERT_TRUE(db->Put({}, "small", "v").ok());
  std::string value;
  EXPECT_TRUE(db->Get({}, "big", &value).IsNotFound());
  EXPECT_TRUE(db->Get({}, KeyFor(0), &value).IsNotFound());
  ASSERT_TRUE(db->Get({}, "small", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST(DbMemoryBudgetTest, IteratorsHoldingEveryMemtableGiveMemoryLimit) {
  TempDir dir;
  constexpr std::size_t kLimit = 2 << 20;
  Options options = BudgetOptions(MemoryBudget::Create(kLimit));
  options.write_buffer_size = 64 << 20;
  options.block_cache_size = 0;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  Model model;
  std::vector<std::unique_ptr<Iterator>> held;  // each keeps the memtables of its time
  Status s;
  std::uint64_t i = 0;
  for (; i < 20000; ++i) {
    s = db->Put({}, KeyFor(i), ValueFor(i));
    if (!s.ok()) break;
    model.Put(KeyFor(i), ValueFor(i));
    if (i % 64 == 0) held.push_back(db->NewIterator({}));
  }
  ASSERT_TRUE(s.IsMemoryLimit()) << "after " << i << " writes: " << s.ToString();
  EXPECT_NE(s.message().find("nothing this DB holds could be freed"), std::string::npos)
      << s.ToString();
  EXPECT_LE(Held(db.get()), kLimit);
  // The iterators still read their snapshots, from memtables already flushed
  // (the last one moves to the newest view at its seek: the same entries).
  ASSERT_TRUE(held.back()->status().ok());
  held.back()->SeekToFirst();
  EXPECT_TRUE(held.back()->Valid());
  held.clear();  // the flushed memtables go back to the budget
  ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok());
  model.Put(KeyFor(i), ValueFor(i));
  test::ExpectMatches(db.get(), model);
}

// Two DBs share one budget; each has writers, a reader and an iterator
// walker, with small trees so flushes and compactions run all the time. A
// monitor checks the sum of what both hold against the limit throughout.
TEST(DbMemoryBudgetTest, FullMemtableRotatesWhenTheRestOfTheBudgetIsTaken) {
  // Another holder takes every byte the DB does not hold: the memtable can
  // only make room by being flushed, and the memtable replacing it must
  // still get its first pages (from the full one's unused reservation).
  constexpr std::size_t kLimit = 8 << 20;
  auto budget = MemoryBudget::Create(kLimit);
  TempDir dir;
  Options options = BudgetOptions(budget);
  options.block_cache_size = 0;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
  for (std::uint64_t i = 0; i < 500; ++i) ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok());
  const std::size_t other = kLimit - budget->charged();
  ASSERT_TRUE(budget->TryCharge(MemoryBudget::Consumer::kOther, other));
  for (std::uint64_t i = 500; i < 5000; ++i) {
    const Status s = db->Put({}, KeyFor(i), ValueFor(i));
    ASSERT_TRUE(s.ok()) << i << ": " << s.ToString();
  }
  EXPECT_GT(Memory(db.get())["db_early_flushes"], 0u);
  for (std::uint64_t i = 0; i < 5000; i += 7) {
    std::string value;
    ASSERT_TRUE(db->Get({}, KeyFor(i), &value).ok());
    ASSERT_TRUE(value == ValueFor(i)) << KeyFor(i);
  }
  budget->Release(MemoryBudget::Consumer::kOther, other);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_EQ(budget->charged(), 0u);
}

TEST(DbMemoryBudgetTest, SharedBudgetHoldsUnderConcurrentLoad) {
  constexpr std::size_t kLimit = 6 << 20;
  auto budget = MemoryBudget::Create(kLimit);
  TempDir dir;
  Options options = test::TinyShapeOptions();
  options.memory_budget = budget;
  options.write_buffer_size = 1 << 20;
  options.block_cache_size = 2 << 20;
  std::unique_ptr<DB> dbs[2];
  ASSERT_TRUE(DB::Open(options, dir.Sub("a"), &dbs[0]).ok());
  ASSERT_TRUE(DB::Open(options, dir.Sub("b"), &dbs[1]).ok());
  const std::uint64_t kKeys = 2000 / test::kScale;
  constexpr int kRounds = 3;
  std::atomic<bool> done{false};
  test::Failures errors;
  std::atomic<std::uint64_t> breaches{0}, samples{0};
  // What an iterator's table reader needs is taken from either DB's cached
  // blocks and idle readers. When memtables and jobs hold all the rest, the
  // iterator gets MemoryLimit (documented: only a Get opens its reader
  // uncharged); counted, not an error. Gets and Puts never fail.
  std::atomic<std::uint64_t> walks{0}, iterator_refusals{0};
  std::vector<std::thread> threads;
  for (int d = 0; d < 2; ++d) {
    DB* db = dbs[d].get();
    // A writer: rounds over the keys; round r writes value (r, i).
    threads.emplace_back([db, kKeys, &errors] {
      for (int r = 0; r < kRounds; ++r) {
        for (std::uint64_t i = 0; i < kKeys; ++i) {
          const Status s = db->Put({}, KeyFor(i), ValueFor(r * kKeys + i));
          if (!s.ok()) errors.Add("Put: " + s.ToString());
        }
      }
    });
    // A reader and a walker: keys they see hold one of the values written.
    threads.emplace_back([db, kKeys, &done, &errors, &walks, &iterator_refusals] {
      std::mt19937_64 rng(42);
      while (!done.load()) {
        const std::uint64_t i = rng() % kKeys;
        std::string value;
        Status s = db->Get({}, KeyFor(i), &value);
        if (s.ok()) {
          bool known = false;
          for (int r = 0; r < kRounds; ++r) known = known || value == ValueFor(r * kKeys + i);
          if (!known) errors.Add("Get(" + KeyFor(i) + "): a value never written");
        } else if (!s.IsNotFound()) {
          errors.Add("Get: " + s.ToString());
        }
        std::unique_ptr<Iterator> it = db->NewIterator({});
        int steps = 0;
        for (it->Seek(KeyFor(i)); it->Valid() && steps < 50; it->Next()) ++steps;
        if (it->status().IsMemoryLimit()) {
          iterator_refusals.fetch_add(1);
        } else if (!it->status().ok()) {
          errors.Add("iterator: " + it->status().ToString());
        } else {
          walks.fetch_add(1);
        }
      }
    });
  }
  // Each DB's arenas alone stay within the limit (the sum of two readings
  // taken at different moments proves nothing; it is checked once quiet).
  threads.emplace_back([&] {
    while (!done.load()) {
      for (auto& db : dbs) {
        if (Held(db.get()) > kLimit) breaches.fetch_add(1);
      }
      samples.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  threads[0].join();  // the writers
  threads[2].join();
  done.store(true);
  threads[1].join();
  threads[3].join();
  threads[4].join();
  ASSERT_EQ(errors.count(), 0) << errors.Report();
  EXPECT_GT(walks.load(), 0u) << iterator_refusals.load() << " iterators refused";
  EXPECT_EQ(breaches.load(), 0u) << "of " << samples.load() << " samples";
  EXPECT_GT(samples.load(), 0u);
  std::uint64_t held = 0;
  for (auto& db : dbs) {
    WaitForBackgroundWork(db.get());
    for (std::uint64_t i = 0; i < kKeys; ++i) {
      std::string value;
      ASSERT_TRUE(db->Get({}, KeyFor(i), &value).ok());
      ASSERT_TRUE(value == ValueFor((kRounds - 1) * kKeys + i)) << KeyFor(i) << " is stale";
    }
    held += Held(db.get());
  }
  // Quiet now: the budget's count is exactly what the two DBs' arenas hold.
  EXPECT_EQ(budget->charged(), held);
  for (auto& db : dbs) {
    ASSERT_TRUE(db->Close().ok());
    db.reset();
  }
  EXPECT_EQ(budget->charged(), 0u);
}

TEST(DbMemoryBudgetTest, ReplayStaysWithinTheBudget) {
  TempDir dir;
  Options options;
  options.write_buffer_size = 64 << 20;
  Model model;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
    for (std::uint64_t i = 0; i < 6000; ++i) {  // 6 MB, all in the WAL
      ASSERT_TRUE(db->Put({}, KeyFor(i), ValueFor(i)).ok());
      model.Put(KeyFor(i), ValueFor(i));
    }
    ASSERT_TRUE(db->Close().ok());
  }
  // A budget too small for any record: Open says so.
  options.memory_budget = MemoryBudget::Create(16 << 10);
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, dir.path(), &db);
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  db.reset();
  // A budget a third of the WAL: replay flushes as it goes.
  constexpr std::size_t kLimit = 2 << 20;
  options.memory_budget = MemoryBudget::Create(kLimit);
  s = DB::Open(options, dir.path(), &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_LE(Held(db.get()), kLimit);
  test::ExpectMatches(db.get(), model);
}

}  // namespace
}  // namespace arenakv
