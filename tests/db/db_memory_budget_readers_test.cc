// SPDX-License-Identifier: Apache-2.0
// Table readers under Options::memory_budget (mvcc/version/table_cache.h),
// black-box through the DB API, the "arenakv.memory" and
// "arenakv.table-cache" properties, and the public MemoryBudget (another
// consumer's charge takes the room a test wants to leave):
//   - each open reader's index, filter and properties blocks are charged,
//     exactly what the table cache holds, and given back at Close;
//   - with room for a few readers only, every key still reads right (Get and
//     scans) while idle readers are closed and reopened on demand, and the
//     readers' charge never passes that room;
//   - when live iterators pin all the room, a new iterator gets MemoryLimit
//     while a Get opens its reader uncharged for that call and reads right;
//     iterators work again once the others are gone;
//   - a write into a full budget closes idle readers to make room;
//   - a compaction into a full budget still runs: its inputs are opened
//     uncharged rather than failing the job;
//   - OpenForReadOnly charges the readers it keeps for life, and is
//     MemoryLimit when they cannot fit.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"

namespace arenakv {
namespace {

using Consumer = MemoryBudget::Consumer;

constexpr int kKeys = 3000;
constexpr std::size_t kValueSize = 1000;

std::map<std::string, std::uint64_t> Property(DB* db, const std::string& name) {
  std::string text;
  EXPECT_TRUE(db->GetProperty(name, &text));
  return test::ParseProperty(text);
}

std::string ValueFor(int i) {
  std::string value = "v" + std::to_string(i) + "-";
  value.resize(kValueSize, static_cast<char>('a' + i % 26));
  return value;
}

// Many small tables, all below level 0 after the fill.
Options ManyFilesOptions() {
  Options options;
  options.write_buffer_size = test::kSmallWriteBuffer;
  options.target_file_size_base = 32 << 10;
  options.max_bytes_for_level_base = 256 << 10;
  options.block_cache_size = 0;  // every byte charged is a reader's
  return options;
}

class DbMemoryBudgetReadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(ManyFilesOptions(), dir_.path(), &db).ok());
    std::mt19937_64 rng(7);
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = test::KeyFor(rng() % (kKeys * 2));
      ASSERT_TRUE(db->Put({}, key, ValueFor(i)).ok());
      model_.Put(key, ValueFor(i));
    }
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    ASSERT_TRUE(db->Close().ok());
  }

  // The budgeted options: max_open_files -1, so only the budget closes
  // readers; without paranoid_checks Open opens no table (the tests decide
  // when readers open); no compaction unless a test asks.
  Options BudgetOptions(std::shared_ptr<MemoryBudget> budget) const {
    Options options = ManyFilesOptions();
    options.memory_budget = std::move(budget);
    options.paranoid_checks = false;
    options.disable_auto_compactions = true;
    return options;
  }

  // Opens the DB with a roomy budget, reads every key, and returns the
  // largest reader's charge (the fill's tables are all about the same size).
  std::size_t LargestReader() {
    auto budget = MemoryBudget::Create(std::size_t{256} << 20);
    std::unique_ptr<DB> db;
    EXPECT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
    ReadEverything(db.get());
    const std::uint64_t open = Property(db.get(), "arenakv.table-cache")["open"];
    const std::size_t charged = budget->charged(Consumer::kTableReaders);
    EXPECT_GT(open, 20u) << "the fill must make many tables";
    EXPECT_EQ(charged, Property(db.get(), "arenakv.memory")["db_table_reader_bytes"]);
    EXPECT_TRUE(db->Close().ok());
    db.reset();
    EXPECT_EQ(budget->charged(), 0u) << "Close gives every reader's charge back";
    return open == 0 ? 0 : 2 * charged / open;  // a margin over the average
  }

  // One forward scan of every key against the model, on `it`.
  void ScanForward(Iterator* it) {
    auto expected = model_.map().begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      ASSERT_NE(expected, model_.map().end());
      ASSERT_EQ(std::string(it->key()), expected->first);
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(expected, model_.map().end());
  }

  // Every key through Get, and one scan each way, against the model.
  void ReadEverything(DB* db) {
    for (const auto& [key, value] : model_.map()) {
      std::string got;
      const Status s = db->Get({}, key, &got);
      ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
      ASSERT_TRUE(got == value) << key;
    }
    std::unique_ptr<Iterator> it = db->NewIterator({});
    ASSERT_NO_FATAL_FAILURE(ScanForward(it.get()));
    std::size_t backward = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) ++backward;
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(backward, model_.map().size());
  }

  test::TempDir dir_;
  test::Model model_;
};

TEST_F(DbMemoryBudgetReadersTest, FewReadersFitAndEveryKeyStillReads) {
  const std::size_t reader = LargestReader();
  ASSERT_GT(reader, 0u);
  constexpr std::size_t kLimit = std::size_t{64} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  // Another consumer takes all but room for 4 readers beside the memtable.
  const std::size_t room = 4 * reader;
  const std::size_t other = kLimit - budget->charged() - room;
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, other));
  for (int round = 0; round < 2; ++round) {
    ReadEverything(db.get());
    EXPECT_LE(budget->charged(Consumer::kTableReaders), room);
  }
  auto cache = Property(db.get(), "arenakv.table-cache");
  EXPECT_LE(cache["open"], 8u);  // room / reader is 4 of the largest, 8 of the average
  EXPECT_GT(cache["budget_closes"], 20u) << "idle readers must close to make room";
  EXPECT_EQ(budget->charged(Consumer::kTableReaders),
            Property(db.get(), "arenakv.memory")["db_table_reader_bytes"]);
  EXPECT_EQ(Property(db.get(), "arenakv.memory")["db_table_reader_closes"], cache["budget_closes"]);
  budget->Release(Consumer::kOther, other);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_EQ(budget->charged(), 0u);
}

// A reader the budget has no room for sheds cached blocks before it closes
// another reader (a reader serves every read of its file). With room for
// every reader but not for the blocks beside them, a second pass over the
// keys opens no table again. Before, a missing reader closed an idle one
// first, and a pass over more files than the budget held readers for
// reopened tables over and over (2,500 Gets/s instead of 150,000 in kvbench).
TEST_F(DbMemoryBudgetReadersTest, AReaderShedsCachedBlocksBeforeItClosesAnotherReader) {
  const std::size_t reader = LargestReader();  // twice the average
  ASSERT_GT(reader, 0u);
  constexpr std::size_t kLimit = std::size_t{64} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  Options options = BudgetOptions(budget);
  options.block_cache_size = 8 << 20;  // more than the room: blocks compete with readers
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir_.path(), &db).ok());
  std::uint64_t files = 0;
  for (int level = 0; level < 7; ++level) {
    std::string n;
    ASSERT_TRUE(db->GetProperty("arenakv.num-files-at-level" + std::to_string(level), &n));
    files += std::stoull(n);
  }
  ASSERT_GT(files, 20u);
  // Room for every reader (twice over, on average) and a few hundred blocks.
  const std::size_t room = files * reader;
  ASSERT_LT(room, std::size_t{1} << 20) << "the data (3 MB) must not fit in the room";
  const std::size_t other = kLimit - budget->charged() - room;
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, other));
  ReadEverything(db.get());
  const std::uint64_t opened = Property(db.get(), "arenakv.table-cache")["opens"];
  EXPECT_EQ(opened, files);
  ReadEverything(db.get());
  auto cache = Property(db.get(), "arenakv.table-cache");
  EXPECT_EQ(cache["opens"], opened) << "a second pass reopened tables";
  EXPECT_EQ(cache["budget_closes"], 0u);
  budget->Release(Consumer::kOther, other);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_EQ(budget->charged(), 0u);
}

TEST_F(DbMemoryBudgetReadersTest, PinnedRoomRefusesIteratorsButNotGets) {
  const std::size_t reader = LargestReader();
  ASSERT_GT(reader, 0u);
  constexpr std::size_t kLimit = std::size_t{64} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  const std::size_t other = kLimit - budget->charged() - 3 * reader;
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, other));
  // Each iterator stands on a different table (keys spread over the tree):
  // its reader stays open, charged, while the iterator lives.
  std::vector<std::string> keys;
  for (const auto& entry : model_.map()) keys.push_back(entry.first);
  std::vector<std::unique_ptr<Iterator>> pinned;
  Status refused;
  for (std::size_t k = 0; k < keys.size() && refused.ok(); k += keys.size() / 40) {
    std::unique_ptr<Iterator> it = db->NewIterator({});
    it->Seek(keys[k]);
    if (!it->status().ok()) {
      refused = it->status();
      break;
    }
    ASSERT_TRUE(it->Valid());
    pinned.push_back(std::move(it));
  }
  ASSERT_TRUE(refused.IsMemoryLimit()) << refused.ToString();
  // The message says who holds the budget.
  EXPECT_NE(refused.message().find("table-readers "), std::string::npos) << refused.ToString();
  EXPECT_GE(pinned.size(), 1u);
  // A Get holds its reader for one call: it opens one uncharged instead, and
  // reads right.
  const std::uint64_t uncharged =
      Property(db.get(), "arenakv.memory")["db_table_reader_uncharged_opens"];
  for (const auto& [key, value] : model_.map()) {
    std::string got;
    const Status s = db->Get({}, key, &got);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
    ASSERT_TRUE(got == value) << key;
  }
  EXPECT_GT(Property(db.get(), "arenakv.memory")["db_table_reader_uncharged_opens"], uncharged);
  EXPECT_LE(budget->charged(), kLimit);
  // The iterators still read their own tables.
  for (auto& it : pinned) {
    it->Next();
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  pinned.clear();
  ReadEverything(db.get());
  budget->Release(Consumer::kOther, other);
  ASSERT_TRUE(db->Close().ok());
}

// Two DBs share a budget: the room one DB's iterator needs is taken from
// the other's cached blocks and idle readers, as one shared cache would
// give it. Before, relief freed only what the iterator's own DB held, and
// the scan got MemoryLimit while the other DB's cache filled the budget.
TEST_F(DbMemoryBudgetReadersTest, AnIteratorTakesRoomFromAnotherDbSharingTheBudget) {
  constexpr std::size_t kLimit = std::size_t{64} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  test::TempDir other_dir;
  Options other_options = BudgetOptions(budget);
  other_options.block_cache_size = 8 << 20;
  std::unique_ptr<DB> other;
  ASSERT_TRUE(DB::Open(other_options, other_dir.path(), &other).ok());
  for (const auto& [key, value] : model_.map()) ASSERT_TRUE(other->Put({}, key, value).ok());
  ASSERT_TRUE(other->Flush().ok());
  ReadEverything(other.get());  // its cache and readers fill
  auto before = Property(other.get(), "arenakv.memory");
  ASSERT_GT(before["db_block_cache_bytes"], 0u);
  // This DB holds nothing it could free: no block cache, no reader open.
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  ASSERT_EQ(Property(db.get(), "arenakv.table-cache")["open"], 0u);
  const std::size_t rest = kLimit - budget->charged();
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, rest));
  // A scan first (a Get would open its reader uncharged instead of asking).
  ASSERT_NO_FATAL_FAILURE(ScanForward(db->NewIterator({}).get()));
  auto after = Property(other.get(), "arenakv.memory");
  EXPECT_GT(after["db_block_cache_shed_bytes"] + after["db_table_reader_closes"],
            before["db_block_cache_shed_bytes"] + before["db_table_reader_closes"]);
  ReadEverything(db.get());
  ReadEverything(other.get());
  budget->Release(Consumer::kOther, rest);
  ASSERT_TRUE(db->Close().ok());
  ASSERT_TRUE(other->Close().ok());
  db.reset();
  other.reset();
  EXPECT_EQ(budget->charged(), 0u);
}

TEST_F(DbMemoryBudgetReadersTest, WritesCloseIdleReaders) {
  constexpr std::size_t kLimit = std::size_t{16} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  ReadEverything(db.get());  // every reader open and idle
  const std::size_t readers = budget->charged(Consumer::kTableReaders);
  ASSERT_GT(readers, 0u);
  // Nothing left but what the readers hold: the writes must take it.
  const std::size_t other = kLimit - budget->charged();
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, other));
  for (int i = 0; i < 200; ++i) {
    const Status s = db->Put({}, test::KeyFor(kKeys * 2 + i), ValueFor(i));
    ASSERT_TRUE(s.ok()) << i << ": " << s.ToString();
    model_.Put(test::KeyFor(kKeys * 2 + i), ValueFor(i));
  }
  EXPECT_GT(Property(db.get(), "arenakv.table-cache")["budget_closes"], 0u);
  EXPECT_LT(budget->charged(Consumer::kTableReaders), readers);
  budget->Release(Consumer::kOther, other);
  ReadEverything(db.get());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(DbMemoryBudgetReadersTest, CompactionIntoAFullBudgetStillRuns) {
  constexpr std::size_t kLimit = std::size_t{16} << 20;
  auto budget = MemoryBudget::Create(kLimit);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  // Overwrite part of the keys into level-0 tables that a compaction must
  // merge with the levels below.
  std::vector<std::string> keys;
  for (const auto& entry : model_.map()) keys.push_back(entry.first);
  for (std::size_t k = 0; k < keys.size(); k += 7) {
    ASSERT_TRUE(db->Put({}, keys[k], ValueFor(static_cast<int>(k) + 1)).ok());
    model_.Put(keys[k], ValueFor(static_cast<int>(k) + 1));
  }
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->Close().ok());  // reopened, no reader is open
  db.reset();
  ASSERT_TRUE(DB::Open(BudgetOptions(budget), dir_.path(), &db).ok());
  ASSERT_GT(test::FilesAtLevel(db.get(), 0), 0u);
  // No room for even one reader, and none idle to close.
  const std::size_t other = kLimit - budget->charged();
  ASSERT_TRUE(budget->TryCharge(Consumer::kOther, other));
  ASSERT_EQ(Property(db.get(), "arenakv.table-cache")["open"], 0u);
  const Status s = db->CompactRange(std::nullopt, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::FilesAtLevel(db.get(), 0), 0u);
  EXPECT_GT(Property(db.get(), "arenakv.memory")["db_table_reader_uncharged_opens"], 0u);
  std::string error;
  ASSERT_TRUE(db->GetProperty("arenakv.background-error", &error));
  EXPECT_NE(error.find("error: OK"), std::string::npos) << error;
  budget->Release(Consumer::kOther, other);
  ReadEverything(db.get());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(DbMemoryBudgetReadersTest, ReadOnlyChargesTheReadersItKeeps) {
  {
    auto budget = MemoryBudget::Create(std::size_t{64} << 20);
    Options options = BudgetOptions(budget);
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::OpenForReadOnly(options, dir_.path(), &db).ok());
    EXPECT_GT(budget->charged(Consumer::kTableReaders), 0u);
    ReadEverything(db.get());
    db.reset();
    EXPECT_EQ(budget->charged(), 0u);
  }
  auto tiny = MemoryBudget::Create(4 << 10);
  std::unique_ptr<DB> db;
  const Status s = DB::OpenForReadOnly(BudgetOptions(tiny), dir_.path(), &db);
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  EXPECT_EQ(tiny->charged(), 0u);
}

}  // namespace
}  // namespace arenakv
