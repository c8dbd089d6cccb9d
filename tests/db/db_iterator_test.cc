// SPDX-License-Identifier: Apache-2.0
// DB iterators, black-box: every direction and seek, bounds (lower inclusive,
// upper exclusive), hidden versions and tombstones, and the point-in-time view
// an iterator keeps while the DB is written and flushed. Each behaviour runs
// with the data in the memtable only, in SSTs only, and spread over both.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;
using test::KeyFor;
using test::Model;
using test::ScanBackward;
using test::ScanForward;

// Where the test data lives when the test starts reading.
enum class Layout { kMemtable, kSst, kMixed };

std::string LayoutName(const ::testing::TestParamInfo<Layout>& info) {
  switch (info.param) {
    case Layout::kMemtable:
      return "Memtable";
    case Layout::kSst:
      return "Sst";
    case Layout::kMixed:
      return "Mixed";
  }
  return "Unknown";
}

// The iterator semantics over a sorted vector: what a DB iterator must do.
class ModelIterator {
 public:
  ModelIterator(const Model& model, const std::optional<std::string>& lower,
                const std::optional<std::string>& upper) {
    for (const auto& [key, value] : model.map()) {
      if (lower && key < *lower) continue;
      if (upper && key >= *upper) continue;
      entries_.emplace_back(key, value);
    }
  }
  bool Valid() const { return pos_ >= 0 && pos_ < static_cast<long>(entries_.size()); }
  void SeekToFirst() { pos_ = 0; }
  void SeekToLast() { pos_ = static_cast<long>(entries_.size()) - 1; }
  void Seek(const std::string& target) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                               [](const auto& e, const std::string& t) { return e.first < t; });
    pos_ = it - entries_.begin();
  }
  void SeekForPrev(const std::string& target) {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), target,
                               [](const std::string& t, const auto& e) { return t < e.first; });
    pos_ = (it - entries_.begin()) - 1;
  }
  void Next() { ++pos_; }
  void Prev() { --pos_; }
  const std::string& key() const { return entries_[static_cast<std::size_t>(pos_)].first; }
  const std::string& value() const { return entries_[static_cast<std::size_t>(pos_)].second; }

 private:
  Entries entries_;
  long pos_ = -1;
};

class DbIteratorTest : public ::testing::TestWithParam<Layout> {
 protected:
  DbIteratorTest() {
    options_.file_system = &fs_;
    options_.block_size = 256;  // many blocks per SST, so seeks cross block boundaries
  }

  void Open() {
    Status s = DB::Open(options_, "/db", &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Applies `writes` (nullopt value: a delete) to the DB and the model,
  // flushing as the layout asks: never, once at the end, or twice on the way
  // (so later writes shadow flushed ones) and leaving the rest in the memtable.
  void Load(const std::vector<std::pair<std::string, std::optional<std::string>>>& writes) {
    const std::size_t n = writes.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& [key, value] = writes[i];
      if (value) {
        ASSERT_TRUE(db_->Put({}, key, *value).ok());
        model_.Put(key, *value);
      } else {
        ASSERT_TRUE(db_->Delete({}, key).ok());
        model_.Delete(key);
      }
      if (GetParam() == Layout::kMixed && (i + 1 == n / 3 || i + 1 == 2 * n / 3)) {
        ASSERT_TRUE(db_->Flush().ok());
      }
    }
    if (GetParam() == Layout::kSst) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }

  // Keys 2i for i < n, i % 5 != 4, with values "v<i>"; written, deleted,
  // rewritten and deleted again so older versions and tombstones hide in
  // other layers (odd keys are never written).
  void LoadEvenKeys(int n) {
    std::vector<std::pair<std::string, std::optional<std::string>>> writes;
    for (int i = 0; i < n; ++i) writes.emplace_back(KeyFor(2 * i), "old" + std::to_string(i));
    for (int i = 0; i < n; i += 3) writes.emplace_back(KeyFor(2 * i), std::nullopt);
    for (int i = 0; i < n; ++i) {
      if (i % 3 != 1) writes.emplace_back(KeyFor(2 * i), "v" + std::to_string(i));
    }
    for (int i = 1; i < n; i += 3) writes.emplace_back(KeyFor(2 * i), "v" + std::to_string(i));
    for (int i = 4; i < n; i += 5) writes.emplace_back(KeyFor(2 * i), std::nullopt);
    Load(writes);
  }

  // Runs random moves on a DB iterator and the model iterator side by side.
  void CompareRandomMoves(const ReadOptions& ro, const Model& model, std::uint64_t seed,
                          int moves) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    ModelIterator expected(model, ro.lower_bound, ro.upper_bound);
    std::mt19937_64 rng(seed);
    std::string trace;
    for (int m = 0; m < moves; ++m) {
      const unsigned op = rng() % 6;
      if ((op == 4 || op == 5) && !expected.Valid()) continue;
      const std::string target = KeyFor(rng() % 260) + (rng() % 2 ? "" : std::string(1, '\0'));
      switch (op) {
        case 0:
          it->SeekToFirst();
          expected.SeekToFirst();
          trace += " First";
          break;
        case 1:
          it->SeekToLast();
          expected.SeekToLast();
          trace += " Last";
          break;
        case 2:
          it->Seek(target);
          expected.Seek(target);
          trace += " Seek(" + target + ")";
          break;
        case 3:
          it->SeekForPrev(target);
          expected.SeekForPrev(target);
          trace += " SeekForPrev(" + target + ")";
          break;
        case 4:
          it->Next();
          expected.Next();
          trace += " Next";
          break;
        case 5:
          it->Prev();
          expected.Prev();
          trace += " Prev";
          break;
      }
      ASSERT_EQ(it->Valid(), expected.Valid()) << "after" << trace;
      ASSERT_TRUE(it->status().ok()) << it->status().ToString();
      if (expected.Valid()) {
        ASSERT_EQ(it->key(), expected.key()) << "after" << trace;
        ASSERT_EQ(it->value(), expected.value()) << "after" << trace;
      }
      if (trace.size() > 2000) trace.erase(0, trace.size() - 1000);
    }
  }

  MemFileSystem fs_;  // outlives db_
  Options options_;
  std::unique_ptr<DB> db_;
  Model model_;
};

TEST_P(DbIteratorTest, EmptyDbYieldsNothing) {
  Open();
  Load({{"a", "1"}, {"a", std::nullopt}});  // a tombstone only
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("\xff\xff");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_P(DbIteratorTest, ForwardAndBackwardScansSeeNewestVersionsOnly) {
  Open();
  LoadEvenKeys(100);
  EXPECT_EQ(ScanForward(db_.get()), model_.Entries());
  EXPECT_EQ(ScanBackward(db_.get()), model_.Entries());
}

TEST_P(DbIteratorTest, DirectionChangesStepToNeighbours) {
  Open();
  LoadEvenKeys(30);
  const Entries all = model_.Entries();
  ASSERT_GE(all.size(), 10u);
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->SeekToFirst();
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), all[i].first);
    it->Next();
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), all[i + 1].first);
    it->Prev();
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), all[i].first);
    ASSERT_EQ(it->value(), all[i].second);
    it->Next();
  }
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), all.back().first);
  it->Prev();
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), all.back().first);
}

TEST_P(DbIteratorTest, SeekAndSeekForPrevLandOnNeighbours) {
  Open();
  LoadEvenKeys(50);
  const Entries all = model_.Entries();
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  for (int k = 0; k <= 101; ++k) {
    const std::string target = KeyFor(k);
    auto lower = std::lower_bound(all.begin(), all.end(), target,
                                  [](const auto& e, const std::string& t) { return e.first < t; });
    it->Seek(target);
    if (lower == all.end()) {
      EXPECT_FALSE(it->Valid()) << target;
    } else {
      ASSERT_TRUE(it->Valid()) << target;
      EXPECT_EQ(it->key(), lower->first);
      EXPECT_EQ(it->value(), lower->second);
    }
    auto upper = std::upper_bound(all.begin(), all.end(), target,
                                  [](const std::string& t, const auto& e) { return t < e.first; });
    it->SeekForPrev(target);
    if (upper == all.begin()) {
      EXPECT_FALSE(it->Valid()) << target;
    } else {
      ASSERT_TRUE(it->Valid()) << target;
      EXPECT_EQ(it->key(), std::prev(upper)->first);
      EXPECT_EQ(it->value(), std::prev(upper)->second);
    }
  }
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), all.front().first);
  it->SeekForPrev("");
  EXPECT_FALSE(it->Valid());
  it->Seek("\xff");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("\xff");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), all.back().first);
}

TEST_P(DbIteratorTest, BoundsAreLowerInclusiveUpperExclusive) {
  Open();
  LoadEvenKeys(50);
  ReadOptions ro;
  ro.lower_bound = KeyFor(20);  // present
  ro.upper_bound = KeyFor(40);  // present, excluded
  Entries expected;
  for (const auto& e : model_.Entries()) {
    if (e.first >= *ro.lower_bound && e.first < *ro.upper_bound) expected.push_back(e);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(expected.front().first, KeyFor(20));
  EXPECT_EQ(ScanForward(db_.get(), ro), expected);
  EXPECT_EQ(ScanBackward(db_.get(), ro), expected);

  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  it->Seek(KeyFor(0));  // below the lower bound: lands on the first key in range
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), expected.front().first);
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek(KeyFor(40));  // at the upper bound: nothing
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(KeyFor(99));  // above the upper bound: the last key in range
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), expected.back().first);
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(KeyFor(1));  // below the lower bound: nothing
  EXPECT_FALSE(it->Valid());

  // Bounds between keys, and an empty range.
  ro.lower_bound = KeyFor(21);
  ro.upper_bound = KeyFor(23);
  Entries one;
  for (const auto& e : model_.Entries()) {
    if (e.first >= *ro.lower_bound && e.first < *ro.upper_bound) one.push_back(e);
  }
  EXPECT_EQ(ScanForward(db_.get(), ro), one);
  EXPECT_EQ(ScanBackward(db_.get(), ro), one);
  ro.lower_bound = KeyFor(30);
  ro.upper_bound = KeyFor(30);
  EXPECT_TRUE(ScanForward(db_.get(), ro).empty());
  EXPECT_TRUE(ScanBackward(db_.get(), ro).empty());

  // One bound at a time.
  ReadOptions lower_only;
  lower_only.lower_bound = KeyFor(90);
  ReadOptions upper_only;
  upper_only.upper_bound = KeyFor(6);
  Entries tail, head;
  for (const auto& e : model_.Entries()) {
    if (e.first >= KeyFor(90)) tail.push_back(e);
    if (e.first < KeyFor(6)) head.push_back(e);
  }
  EXPECT_EQ(ScanForward(db_.get(), lower_only), tail);
  EXPECT_EQ(ScanBackward(db_.get(), lower_only), tail);
  EXPECT_EQ(ScanForward(db_.get(), upper_only), head);
  EXPECT_EQ(ScanBackward(db_.get(), upper_only), head);
}

TEST_P(DbIteratorTest, ManyVersionsOfOneKeyYieldItOnce) {
  Open();
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;
  writes.emplace_back("a", "a");
  for (int v = 0; v < 300; ++v) writes.emplace_back("m", "m" + std::to_string(v));
  writes.emplace_back("z", "z");
  for (int v = 0; v < 50; ++v) writes.emplace_back("z", std::nullopt);
  writes.emplace_back("y", "y");
  Load(writes);
  const Entries expected = {{"a", "a"}, {"m", "m299"}, {"y", "y"}};
  EXPECT_EQ(ScanForward(db_.get()), expected);
  EXPECT_EQ(ScanBackward(db_.get()), expected);
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->SeekForPrev("m\xff");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "m299");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "y");
}

TEST_P(DbIteratorTest, IteratorSeesTheDbAsOfItsCreation) {
  Open();
  LoadEvenKeys(60);
  const Entries then = model_.Entries();
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  ReadOptions bounded;
  bounded.lower_bound = KeyFor(10);
  bounded.upper_bound = KeyFor(50);
  std::unique_ptr<Iterator> bounded_it = db_->NewIterator(bounded);

  // Overwrite, delete and add around it, flush (twice), write more.
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), "new").ok());
  ASSERT_TRUE(db_->Flush().ok());
  for (int i = 0; i < 120; i += 2) ASSERT_TRUE(db_->Delete({}, KeyFor(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  Status s = db_->CompactRange(std::nullopt, std::nullopt);
  EXPECT_TRUE(s.ok() || s.IsNotSupported()) << s.ToString();
  ASSERT_TRUE(db_->Put({}, "", "newest").ok());

  Entries forward;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    forward.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_EQ(forward, then);
  Entries backward;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    backward.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, then);
  EXPECT_TRUE(it->status().ok());

  Entries bounded_then;
  for (const auto& e : then) {
    if (e.first >= KeyFor(10) && e.first < KeyFor(50)) bounded_then.push_back(e);
  }
  Entries bounded_seen;
  for (bounded_it->SeekToFirst(); bounded_it->Valid(); bounded_it->Next()) {
    bounded_seen.emplace_back(std::string(bounded_it->key()), std::string(bounded_it->value()));
  }
  EXPECT_EQ(bounded_seen, bounded_then);

  // A new iterator sees the new state.
  Entries now;
  now.emplace_back("", "newest");
  for (int i = 1; i < 120; i += 2) now.emplace_back(KeyFor(i), "new");
  EXPECT_EQ(ScanForward(db_.get()), now);
}

TEST_P(DbIteratorTest, IteratorAtASnapshotSeesExactlyThatSnapshot) {
  Open();
  LoadEvenKeys(40);
  const Model then = model_;
  const Snapshot* snapshot = db_->GetSnapshot();
  for (int i = 0; i < 80; i += 3) ASSERT_TRUE(db_->Put({}, KeyFor(i), "after").ok());
  for (int i = 1; i < 80; i += 4) ASSERT_TRUE(db_->Delete({}, KeyFor(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Put({}, KeyFor(2), "after2").ok());
  ReadOptions ro;
  ro.snapshot = snapshot;
  test::ExpectMatches(db_.get(), then, ro);
  CompareRandomMoves(ro, then, 11, 500);
  db_->ReleaseSnapshot(snapshot);
}

TEST_P(DbIteratorTest, RandomMovesMatchAModel) {
  options_.write_buffer_size = test::kSmallWriteBuffer;  // rotations on the way
  Open();
  std::mt19937_64 rng(static_cast<std::uint64_t>(GetParam()) + 99);
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;
  for (int i = 0; i < 3000 / test::kScale; ++i) {
    std::string key = KeyFor(rng() % 250);
    if (rng() % 4 == 0) {
      writes.emplace_back(key, std::nullopt);
    } else {
      writes.emplace_back(key, test::RandomBytes(rng, rng() % 40));
    }
  }
  Load(writes);
  CompareRandomMoves({}, model_, 1, 3000 / test::kScale);
  for (int round = 0; round < 6; ++round) {
    ReadOptions ro;
    std::string a = KeyFor(rng() % 260);
    std::string b = KeyFor(rng() % 260);
    if (b < a) std::swap(a, b);
    if (round % 3 != 1) ro.lower_bound = a;
    if (round % 3 != 2) ro.upper_bound = b;
    CompareRandomMoves(ro, model_, 2 + round, 800 / test::kScale);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, DbIteratorTest,
                         ::testing::Values(Layout::kMemtable, Layout::kSst, Layout::kMixed),
                         LayoutName);

// Several iterators open at once, each at its own point in time, across
// flushes; refreshing ones and ones that keep their view.
class DbIteratorLifetimeTest : public ::testing::TestWithParam<bool> {};

TEST_P(DbIteratorLifetimeTest, IteratorsOutliveFlushesOfTheirMemtables) {
  ReadOptions ro;
  ro.auto_refresh_iterator = GetParam();
  MemFileSystem fs;
  Options options;
  options.file_system = &fs;
  options.write_buffer_size = test::kSmallWriteBuffer;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  std::vector<std::pair<std::unique_ptr<Iterator>, Entries>> held;
  Model model;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 200; ++i) {
      const std::string value = "r" + std::to_string(round) + std::string(40, 'x');
      ASSERT_TRUE(db->Put({}, KeyFor(i * 7 % 200), value).ok());
      model.Put(KeyFor(i * 7 % 200), value);
    }
    held.emplace_back(db->NewIterator(ro), model.Entries());
    if (round % 2 == 0) {
      ASSERT_TRUE(db->Flush().ok());
    }
  }
  for (auto& [it, expected] : held) {
    Entries seen;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      seen.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_EQ(seen, expected);
  }
  held.clear();  // iterators first, then the DB
  db.reset();
}

INSTANTIATE_TEST_SUITE_P(Refresh, DbIteratorLifetimeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Refreshing" : "KeepingItsView";
                         });

// ---- ReadOptions::auto_refresh_iterator -------------------------------------

using test::ScanIterator;

class DbIteratorRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.file_system = &fs_;
    ASSERT_TRUE(DB::Open(options_, "/db", &db_).ok());
  }
  // Keys 0..99 = "v1", flushed into one table.
  void LoadOneTable() {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(db_->Put({}, KeyFor(i), "v1").ok());
      model_.Put(KeyFor(i), "v1");
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  // Overwrites half the keys, deletes a third, flushes and compacts it all
  // into new tables (the bottom level: versions nobody needs are dropped).
  void RewriteAndCompact() {
    for (int i = 0; i < 100; i += 2) ASSERT_TRUE(db_->Put({}, KeyFor(i), "v2").ok());
    for (int i = 0; i < 100; i += 3) ASSERT_TRUE(db_->Delete({}, KeyFor(i)).ok());
    ASSERT_TRUE(db_->Flush().ok());
    ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  }
  MemFileSystem fs_;
  Options options_;
  std::unique_ptr<DB> db_;
  Model model_;
};

// At its next seek a refreshing iterator lets go of the table a compaction
// replaced (the file is deleted then), and still reads what it read before;
// one that does not refresh keeps the table until it is destroyed.
TEST_F(DbIteratorRefreshTest, AnIteratorLetsGoOfCompactedTablesAtItsNextSeek) {
  LoadOneTable();
  const std::vector<std::string> first = test::FilesWithSuffix(&fs_, "/db", ".sst");
  ASSERT_EQ(first.size(), 1u);
  ReadOptions pinning;
  pinning.auto_refresh_iterator = false;
  std::unique_ptr<Iterator> refreshing = db_->NewIterator({});
  std::unique_ptr<Iterator> pinned = db_->NewIterator(pinning);
  EXPECT_EQ(test::StatsLine(db_.get(), "refreshing_iterators"), 1u);
  const Entries then = model_.Entries();
  RewriteAndCompact();
  EXPECT_TRUE(fs_.FileExists(first[0]));  // both iterators read it

  EXPECT_EQ(ScanIterator(refreshing.get()), then);
  EXPECT_EQ(test::StatsLine(db_.get(), "iterator_refreshes"), 1u);
  EXPECT_TRUE(fs_.FileExists(first[0]));  // the pinned iterator still reads it
  EXPECT_EQ(ScanIterator(pinned.get()), then);
  pinned.reset();
  EXPECT_FALSE(fs_.FileExists(first[0]));
  EXPECT_EQ(ScanIterator(refreshing.get()), then);
  EXPECT_EQ(test::StatsLine(db_.get(), "iterator_refreshes"), 1u);  // nothing new since
  refreshing.reset();
  EXPECT_EQ(test::StatsLine(db_.get(), "refreshing_iterators"), 0u);
  EXPECT_EQ(test::StatsLine(db_.get(), "live_snapshots"), 0u);
}

// The iterator's sequence is held as a snapshot: the compaction keeps the
// versions it sees (the overwritten "v1"s, the deleted keys), which a
// refreshed view must still hold. Also at an explicit snapshot released
// before the iterator moves.
TEST_F(DbIteratorRefreshTest, ARefreshedIteratorSeesWhatTheCompactionWouldHaveDropped) {
  LoadOneTable();
  const Entries then = model_.Entries();
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  const Snapshot* snapshot = db_->GetSnapshot();
  ReadOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  std::unique_ptr<Iterator> snapshot_it = db_->NewIterator(at_snapshot);
  db_->ReleaseSnapshot(snapshot);
  RewriteAndCompact();
  it->Seek(KeyFor(0));  // overwritten, then deleted
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), KeyFor(0));
  EXPECT_EQ(it->value(), "v1");
  it->SeekForPrev(KeyFor(2));  // overwritten
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "v1");
  EXPECT_EQ(ScanIterator(it.get()), then);
  EXPECT_EQ(ScanIterator(snapshot_it.get()), then);
  EXPECT_EQ(test::StatsLine(db_.get(), "iterator_refreshes"), 2u);
  // What the DB holds now, for a new iterator.
  it.reset();
  snapshot_it.reset();
  Model now;
  for (int i = 0; i < 100; ++i) {
    if (i % 3 != 0) now.Put(KeyFor(i), i % 2 == 0 ? "v2" : "v1");
  }
  EXPECT_EQ(ScanForward(db_.get()), now.Entries());
}

// One thread writes and flushes while another keeps one iterator and scans
// it again and again: every scan, on whatever view it refreshed to, yields
// exactly the first scan.
TEST(DbIteratorRefreshStressTest, ScansOfOneIteratorStayTheSameWhileTheDbChanges) {
  MemFileSystem fs;
  Options options = test::TinyShapeOptions();
  options.file_system = &fs;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(db->Put({}, KeyFor(i), "start").ok());
  std::unique_ptr<Iterator> it = db->NewIterator({});
  const Entries first = ScanIterator(it.get());
  ASSERT_EQ(first.size(), 300u);

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < 20 / test::kScale + 2; ++round) {
      for (int i = 0; i < 300; ++i) {
        const Status s = (i + round) % 4 == 0 ? db->Delete({}, KeyFor(i))
                                              : db->Put({}, KeyFor(i), "r" + std::to_string(round));
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
      EXPECT_TRUE(db->Flush().ok());
    }
    done.store(true);
  });
  int scans = 0;
  bool same = true;
  while (!done.load() && same) {
    same = ScanIterator(it.get()) == first;
    EXPECT_TRUE(same) << "scan " << scans;
    ++scans;
  }
  writer.join();
  EXPECT_EQ(ScanIterator(it.get()), first);
  EXPECT_GT(test::StatsLine(db.get(), "iterator_refreshes"), 0u);
  it.reset();
}

}  // namespace
}  // namespace arenakv
