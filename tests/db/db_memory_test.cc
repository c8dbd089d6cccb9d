// SPDX-License-Identifier: Apache-2.0
// Bounded memtable memory, black-box through the
// "arenakv.memtable.arena-stats" property: writing far more than the write
// buffers hold (kTotalBytes) never makes the memtables' arenas reserve more
// than max_write_buffer_number write buffers plus a stated slack, and flushed
// memtables give their arenas back whole (released_arenas keeps growing).
//
// The must-show writes 1 GB; the suite writes kTotalBytes (64 MiB in
// optimized builds, a quarter of that in debug and sanitizer builds) so it
// runs in a few seconds. Set ARENAKV_DB_MEMORY_TEST_BYTES (e.g. 1073741824)
// to run the full-size version; the bound checked is the same.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"

namespace arenakv {
namespace {

#if defined(NDEBUG) && !defined(ARENAKV_TEST_SANITIZED)
constexpr std::uint64_t kTotalBytes = 64ull << 20;
#else
constexpr std::uint64_t kTotalBytes = 16ull << 20;
#endif
constexpr std::size_t kWriteBufferSize = 256 << 10;
constexpr int kMaxWriteBufferNumber = 2;
constexpr std::size_t kValueSize = 1000;
constexpr int kPollEvery = 16;  // writes between two looks at the property

// What a memtable may reserve beyond its write buffer: the arena commits
// memory in 64 KiB steps per size class, and the write that takes a memtable
// over its budget is admitted before the memtable rotates, so that write can
// commit one more step (its value is far smaller than a step).
constexpr std::size_t kCommitStep = 64 << 10;
constexpr std::size_t kSlackPerMemtable = kCommitStep;
constexpr std::size_t kReservedPerMemtable = kWriteBufferSize + kSlackPerMemtable;
constexpr std::size_t kReservedBound = kMaxWriteBufferNumber * kReservedPerMemtable;
// Live arenas: the active and immutable memtables, plus for a moment a
// flushed one its flush thread is still releasing (off the DB mutex) while
// the writer has already rotated into a new one.
constexpr std::uint64_t kMaxLiveMemtables = kMaxWriteBufferNumber + 1;

std::uint64_t TotalBytes() {
  if (const char* env = std::getenv("ARENAKV_DB_MEMORY_TEST_BYTES")) {
    const std::uint64_t n = std::strtoull(env, nullptr, 10);
    if (n > 0) return n;
  }
  return kTotalBytes;
}

std::map<std::string, std::uint64_t> ArenaStats(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("arenakv.memtable.arena-stats", &text));
  return test::ParseProperty(text);
}

TEST(DbMemoryTest, MemtableArenasStayBoundedAndAreReleased) {
  test::TempDir dir;
  Options options;
  options.write_buffer_size = kWriteBufferSize;
  options.max_write_buffer_number = kMaxWriteBufferNumber;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.Sub("db"), &db).ok());

  const std::uint64_t total = TotalBytes();
  std::mt19937_64 rng(5);
  std::string value = test::RandomBytes(rng, kValueSize);
  std::uint64_t written = 0;
  std::uint64_t max_reserved = 0;
  std::uint64_t max_live = 0;
  std::uint64_t released = 0;
  std::uint64_t i = 0;
  for (; written < total; ++i) {
    value[i % kValueSize] = static_cast<char>(i);  // every value differs
    const std::string key = test::KeyFor(i, 12);
    ASSERT_TRUE(db->Put({}, key, value).ok());
    written += key.size() + value.size();
    if (i % kPollEvery == 0) {
      auto stats = ArenaStats(db.get());
      // Every live arena reserves at most its write buffer and one step
      // (the two stats are read together, under the registry's lock).
      ASSERT_LE(stats["live_memtables"], kMaxLiveMemtables) << "after " << written << " bytes";
      ASSERT_LE(stats["reserved_bytes"], stats["live_memtables"] * kReservedPerMemtable)
          << "after " << written << " bytes; live_memtables " << stats["live_memtables"];
      ASSERT_GE(stats["released_arenas"], released) << "released_arenas went down";
      released = stats["released_arenas"];
      max_reserved = std::max(max_reserved, stats["reserved_bytes"]);
      max_live = std::max(max_live, stats["live_memtables"]);
    }
  }
  // Each memtable held at most kWriteBufferSize + kSlackPerMemtable of
  // requested bytes, which include every key and value byte; all but the
  // last few were flushed and released.
  const std::uint64_t min_memtables = written / (kWriteBufferSize + kSlackPerMemtable);
  auto stats = ArenaStats(db.get());
  EXPECT_GE(stats["released_arenas"] + kMaxWriteBufferNumber, min_memtables);
  EXPECT_LE(max_live, kMaxLiveMemtables);
  std::printf(
      "[ INFO     ] %llu bytes in %llu writes: max reserved %llu (two memtables: %zu), %llu "
      "arenas released\n",
      static_cast<unsigned long long>(written), static_cast<unsigned long long>(i),
      static_cast<unsigned long long>(max_reserved), kReservedBound,
      static_cast<unsigned long long>(stats["released_arenas"]));

  // The data is all there (spot checks), and a flush leaves one small memtable.
  for (std::uint64_t k = 0; k < i; k += i / 500 + 1) {
    std::string got;
    ASSERT_TRUE(db->Get({}, test::KeyFor(k, 12), &got).ok()) << k;
    EXPECT_EQ(got.size(), kValueSize);
    EXPECT_EQ(got[k % kValueSize], static_cast<char>(k));
  }
  ASSERT_TRUE(db->Flush().ok());
  stats = ArenaStats(db.get());
  EXPECT_EQ(stats["live_memtables"], 1u);
  EXPECT_EQ(stats["immutable_memtables"], 0u);
  EXPECT_LE(stats["reserved_bytes"], kWriteBufferSize + kSlackPerMemtable);
}

// A DB with kWriteBufferSize memtables in `dir`, holding keys 0..99 = `value`
// in its memtable.
std::unique_ptr<DB> OpenWithHundredValues(const test::TempDir& dir, const std::string& value) {
  Options options;
  options.write_buffer_size = kWriteBufferSize;
  options.max_write_buffer_number = kMaxWriteBufferNumber;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(options, dir.Sub("db"), &db).ok());
  for (int k = 0; db != nullptr && k < 100; ++k) {
    EXPECT_TRUE(db->Put({}, test::KeyFor(k), value).ok());
  }
  return db;
}

// Expects keys 0..99 = `value` from `it`'s position on, and an OK status.
void ExpectHundredValues(Iterator* it, const std::string& value) {
  int seen = 0;
  for (; it->Valid(); it->Next()) {
    ASSERT_EQ(it->key(), test::KeyFor(seen));
    ASSERT_EQ(it->value(), value);
    ++seen;
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(seen, 100);
}

// An iterator that does not refresh pins the memtables it reads: their
// arenas stay (and stay readable) while it lives, and are released when it
// goes.
TEST(DbMemoryTest, IteratorPinsItsMemtablesUntilItGoes) {
  test::TempDir dir;
  const std::string value(kValueSize, 'p');
  std::unique_ptr<DB> db = OpenWithHundredValues(dir, value);
  ASSERT_NE(db, nullptr);
  ReadOptions pinning;
  pinning.auto_refresh_iterator = false;
  std::unique_ptr<Iterator> it = db->NewIterator(pinning);
  auto before = ArenaStats(db.get());
  ASSERT_TRUE(db->Flush().ok());
  for (int k = 100; k < 200; ++k) ASSERT_TRUE(db->Put({}, test::KeyFor(k), value).ok());
  ASSERT_TRUE(db->Flush().ok());
  auto pinned = ArenaStats(db.get());
  EXPECT_EQ(pinned["released_arenas"], before["released_arenas"] + 1)
      << "the iterator's memtable must not be released while it lives";
  EXPECT_EQ(pinned["live_memtables"], 2u);  // the pinned one and the active one
  it->SeekToFirst();
  ASSERT_NO_FATAL_FAILURE(ExpectHundredValues(it.get(), value));
  it.reset();
  auto after = ArenaStats(db.get());
  EXPECT_EQ(after["released_arenas"], pinned["released_arenas"] + 1);
  EXPECT_EQ(after["live_memtables"], 1u);
}

// A refreshing iterator (the default) keeps its flushed memtable only until
// its next seek, which moves it to the flush's table: the arena is released
// there, and the iterator reads the same entries.
TEST(DbMemoryTest, ARefreshingIteratorLetsGoOfItsFlushedMemtableAtItsNextSeek) {
  test::TempDir dir;
  const std::string value(kValueSize, 'r');
  std::unique_ptr<DB> db = OpenWithHundredValues(dir, value);
  ASSERT_NE(db, nullptr);
  std::unique_ptr<Iterator> it = db->NewIterator({});
  auto before = ArenaStats(db.get());
  ASSERT_TRUE(db->Flush().ok());
  auto pinned = ArenaStats(db.get());
  EXPECT_EQ(pinned["released_arenas"], before["released_arenas"])
      << "the iterator still holds the flushed memtable";
  it->SeekToFirst();
  // The old view goes to a background thread to drop.
  ASSERT_NO_FATAL_FAILURE(test::WaitForBackgroundWork(db.get()));
  auto moved = ArenaStats(db.get());
  EXPECT_EQ(moved["released_arenas"], pinned["released_arenas"] + 1);
  EXPECT_EQ(moved["live_memtables"], 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectHundredValues(it.get(), value));
}

// With recycle_memtables and no memory budget, a flushed memtable is made
// new and becomes the next one (its pages kept: no unmapping, no page
// faults); every write stays readable across the recycling and a reopen.
// With a budget, none is kept.
TEST(DbMemoryTest, FlushedMemtablesAreRecycledUnlessThereIsABudget) {
  for (bool budget : {false, true}) {
    SCOPED_TRACE(budget ? "with a budget" : "without a budget");
    test::TempDir dir;
    Options options;
    options.write_buffer_size = kWriteBufferSize;
    options.max_write_buffer_number = kMaxWriteBufferNumber;
    options.recycle_memtables = true;
    if (budget) options.memory_budget = MemoryBudget::Create(std::size_t{64} << 20);
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.Sub("db"), &db).ok());
    std::mt19937_64 rng(9);
    const std::string value = test::RandomBytes(rng, kValueSize);
    const int n = 4000;  // about 16 write buffers
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(db->Put({}, test::KeyFor(i), value + std::to_string(i)).ok());
      if (i % 500 == 0) {
        auto stats = ArenaStats(db.get());
        ASSERT_LE(stats["reserved_bytes"] + stats["idle_reserved_bytes"],
                  kReservedBound + kWriteBufferSize + kSlackPerMemtable);
      }
    }
    ASSERT_TRUE(db->Flush().ok());
    auto stats = ArenaStats(db.get());
    if (budget) {
      EXPECT_EQ(stats["recycled_arenas"], 0u);
      EXPECT_EQ(stats["idle_arenas"], 0u);
    } else {
      EXPECT_GE(stats["recycled_arenas"], 10u);
      EXPECT_LE(stats["idle_arenas"], 1u);
    }
    for (int reopen = 0; reopen < 2; ++reopen) {
      std::string got;
      for (int i = 0; i < n; i += 7) {
        ASSERT_TRUE(db->Get({}, test::KeyFor(i), &got).ok()) << i;
        ASSERT_EQ(got, value + std::to_string(i));
      }
      db.reset();
      ASSERT_TRUE(DB::Open(options, dir.Sub("db"), &db).ok());
    }
  }
}

// Mappings of this process that asked for transparent huge pages (VmFlags
// "hg" in /proc/self/smaps); -1 if THP is off or smaps cannot be read.
int HugePageMappings() {
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(thp, modes) || modes.find("[never]") != std::string::npos) return -1;
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return -1;
  int count = 0;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind("VmFlags:", 0) == 0 && line.find(" hg") != std::string::npos) ++count;
  }
  return count;
}

// Memtable arenas ask for huge pages only with Options::memtable_huge_pages:
// where the kernel compacts memory to fault one in, an insert stalls for
// milliseconds.
TEST(DbMemoryTest, MemtablesAskForHugePagesOnlyWhenTold) {
  if (HugePageMappings() < 0) GTEST_SKIP() << "no transparent huge pages here";
  ASSERT_FALSE(Options{}.memtable_huge_pages);
  for (bool huge : {false, true}) {
    SCOPED_TRACE(huge ? "memtable_huge_pages" : "default");
    test::TempDir dir;
    Options options;
    options.block_cache_size = 0;  // the cache's arena may ask for them too
    options.memtable_huge_pages = huge;
    const int before = HugePageMappings();
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.Sub("db"), &db).ok());
    const std::string value(4096, 'v');
    for (int i = 0; i < 4096; ++i) {  // 16 MiB: pools large enough for huge pages
      ASSERT_TRUE(db->Put({}, test::KeyFor(i), value).ok());
    }
    const int during = HugePageMappings();
    if (huge) {
      EXPECT_GT(during, before);
    } else {
      EXPECT_EQ(during, before);
    }
  }
}

}  // namespace
}  // namespace arenakv
