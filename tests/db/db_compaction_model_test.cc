// SPDX-License-Identifier: Apache-2.0
// Leveled compaction against a model, black-box through
// mvcc/include/arenakv/mvcc/db.h: the DB is shaped tiny (test::TinyShapeOptions:
// 256 KiB write buffer, 64 KiB tables, a 256 KiB level 1, level 0 compacted
// at two files) so flushes and compactions run all the time, and what it
// returns is compared with a model.
//
//   CompactionModelTest      one thread, random puts, deletes, batches, flushes,
//                            CompactRange calls, snapshots and reopens; every
//                            held snapshot and the latest state must read as
//                            their std::map models (scans both ways, Gets,
//                            seeks). Parameterized over compression; one more
//                            test reopens the same data under other level
//                            shapes, on the POSIX file system.
//
// What compaction must preserve: for each user key the newest version, and
// for every live snapshot the newest version it can see; a tombstone may go
// only where nothing older can show through. Each test ends by checking that
// compactions really ran ("arenakv.stats" counters, tables below level 0)
// and that the settled tree meets its shape's level targets.
//
// Waiting for a settled tree polls "arenakv.compaction-pending" (a condition
// wait, bounded); nothing sleeps to let background work happen. The
// concurrent stress test is in db_compaction_stress_test.cc.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::FirstDifference;
using test::KvMap;
using test::KvVector;
using test::Printable;

// What a settled tree (test::WaitForBackgroundWork) owes `options`: level 0
// below its compaction trigger and each of levels 1..5 below its size target
// (max_bytes_for_level_base x multiplier^(level - 1)). Level bytes are not
// exposed, so the second is checked through their sum where level 0 is empty:
// the tables fit in the targets of the levels down to the deepest in use.
void ExpectTreeWithinTargets(DB* db, const Options& options) {
  const std::uint64_t l0_files = test::FilesAtLevel(db, 0);
  EXPECT_LT(l0_files, static_cast<std::uint64_t>(options.level0_file_num_compaction_trigger));
  int deepest = 0;
  for (int level = 1; level < test::kNumLevels; ++level) {
    if (test::FilesAtLevel(db, level) > 0) deepest = level;
  }
  if (l0_files > 0 || deepest == test::kNumLevels - 1) return;  // no bound to check
  double targets = 0;
  for (int level = 1; level <= deepest; ++level) {
    targets += static_cast<double>(options.max_bytes_for_level_base) *
               std::pow(options.max_bytes_for_level_multiplier, level - 1);
  }
  std::string total;
  ASSERT_TRUE(db->GetProperty("arenakv.total-sst-size", &total));
  EXPECT_LE(static_cast<double>(std::stoull(total)), targets)
      << "levels 1.." << deepest << " hold more than their targets";
}

// Where `it` should be: at `want` (or invalid when want == end).
void ExpectIteratorAt(const Iterator& it, KvMap::const_iterator want, const KvMap& model,
                      const std::string& what) {
  if (want == model.end()) {
    EXPECT_FALSE(it.Valid()) << what << ": at " << Printable(it.key()) << ", want the end";
    return;
  }
  ASSERT_TRUE(it.Valid()) << what << ": at the end, want " << Printable(want->first) << " ("
                          << it.status().ToString() << ")";
  EXPECT_EQ(it.key(), want->first) << what;
  EXPECT_EQ(it.value(), want->second) << what << " at " << Printable(want->first);
}

// Expects the DB read through `ro` (the latest state or a snapshot) to be
// exactly `model`: a full scan in each direction, Gets of `gets` keys drawn
// from the whole key space (so present and absent ones) or of every key when
// gets < 0, and a few Seek / SeekForPrev walks.
void ExpectViewMatches(DB* db, const ReadOptions& ro, const KvMap& model, int num_keys, int gets,
                       std::mt19937_64& rng) {
  EXPECT_EQ(FirstDifference(model, test::ScanForward(db, ro)), "") << "forward scan";
  EXPECT_EQ(FirstDifference(model, test::ScanBackward(db, ro)), "") << "backward scan";

  const int n = gets < 0 ? num_keys : gets;
  for (int i = 0; i < n; ++i) {
    const std::string key = test::KeyFor(gets < 0 ? i : rng() % num_keys);
    std::string value;
    const Status s = db->Get(ro, key, &value);
    const auto want = model.find(key);
    if (want == model.end()) {
      EXPECT_TRUE(s.IsNotFound()) << "Get(" << key << "): " << s.ToString() << " "
                                  << (s.ok() ? Printable(value) : "") << ", want NotFound";
    } else {
      ASSERT_TRUE(s.ok()) << "Get(" << key << "): " << s.ToString();
      EXPECT_EQ(value, want->second) << "Get(" << key << ")";
    }
  }

  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  for (int i = 0; i < 4; ++i) {
    // Targets between keys too: KeyFor(k) + "\0" sorts right after KeyFor(k).
    std::string target = test::KeyFor(rng() % (num_keys + 1));
    if (rng() % 2 == 0) target.push_back('\0');
    it->Seek(target);
    auto want = model.lower_bound(target);
    for (int step = 0; step < 3; ++step) {
      ExpectIteratorAt(*it, want, model,
                       "Seek(" + Printable(target) + ") + " + std::to_string(step) + " Next");
      if (want == model.end() || !it->Valid()) break;
      it->Next();
      ++want;
    }
    it->SeekForPrev(target);
    auto after = model.upper_bound(target);
    for (int step = 0; step < 3; ++step) {
      if (after == model.begin()) {
        EXPECT_FALSE(it->Valid()) << "SeekForPrev(" << Printable(target) << "): at "
                                  << Printable(it->key()) << ", want before the first key";
        break;
      }
      ExpectIteratorAt(
          *it, std::prev(after), model,
          "SeekForPrev(" + Printable(target) + ") + " + std::to_string(step) + " Prev");
      if (!it->Valid()) break;
      it->Prev();
      --after;
    }
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
}

// A value of 0..300 bytes: half of them random bytes (NULs included), half a
// short random fragment repeated, which compresses.
std::string RandomValue(std::mt19937_64& rng) {
  const std::size_t size = rng() % 301;
  if (rng() % 2 == 0) return test::RandomBytes(rng, size);
  const std::string fragment = test::RandomBytes(rng, 1 + rng() % 8);
  std::string value;
  while (value.size() < size) value += fragment;
  value.resize(size);
  return value;
}

// ------------------------------------------------------- the model tests

struct CompressionCase {
  const char* name;
  CompressionType compression;
  std::vector<CompressionType> per_level;
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const CompressionCase& c, std::ostream* os) { *os << c.name; }

class CompactionModelTest : public ::testing::TestWithParam<CompressionCase> {
 protected:
  static constexpr int kNumKeys = 2000;

  struct HeldSnapshot {
    const Snapshot* snapshot;
    KvMap model;   // the latest state when it was taken
    int taken_at;  // op index
  };

  CompactionModelTest() { options_.file_system = &fs_; }
  ~CompactionModelTest() override { Close(); }

  void Open() {
    Status s = DB::Open(options_, path_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Releases every snapshot (the API requires it before closing; their models
  // are dropped) and closes the DB, keeping its counters.
  void Close() {
    if (db_ == nullptr) return;
    for (const HeldSnapshot& held : snapshots_) db_->ReleaseSnapshot(held.snapshot);
    snapshots_.clear();
    compactions_ += test::StatsLine(db_.get(), "compactions");
    compaction_bytes_written_ += test::StatsLine(db_.get(), "compaction_bytes_written");
    db_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }

  std::string RandomKey() {
    // Half the operations go to a tenth of the keys, so keys get many versions.
    const int range = rng_() % 2 == 0 ? kNumKeys / 10 : kNumKeys;
    return test::KeyFor(rng_() % range);
  }

  void Put(const std::string& key, const std::string& value) {
    const Status s = db_->Put({}, key, value);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_[key] = value;
  }
  void Delete(const std::string& key) {
    const Status s = db_->Delete({}, key);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_.erase(key);
  }
  // 2..8 operations, a quarter of them deletes; a key may repeat (the later
  // operation wins).
  void WriteRandomBatch() {
    WriteBatch batch;
    KvMap after = model_;
    const int n = 2 + static_cast<int>(rng_() % 7);
    for (int i = 0; i < n; ++i) {
      const std::string key = RandomKey();
      if (rng_() % 4 == 0) {
        batch.Delete(key);
        after.erase(key);
      } else {
        const std::string value = RandomValue(rng_);
        batch.Put(key, value);
        after[key] = value;
      }
    }
    const Status s = db_->Write({}, &batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_ = std::move(after);
  }
  // Everything, or [KeyFor(a), KeyFor(b)] with either end possibly open.
  void CompactRandomRange() {
    std::optional<std::string> begin, end;
    if (rng_() % 3 != 0) {
      int a = static_cast<int>(rng_() % kNumKeys), b = static_cast<int>(rng_() % kNumKeys);
      if (a > b) std::swap(a, b);
      if (rng_() % 4 != 0) begin = test::KeyFor(a);
      if (rng_() % 4 != 0) end = test::KeyFor(b);
    }
    const Status s = db_->CompactRange(begin, end);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // One operation of the random mix: mostly puts, deletes (about a fifth of
  // all writes, counting those in batches) and batches; now and then a
  // Flush, a CompactRange, a new snapshot or the release of one.
  void RandomOp(int op) {
    constexpr std::size_t kMaxSnapshots = 6;
    const int r = static_cast<int>(rng_() % 1000);
    if (r < 640) {
      ASSERT_NO_FATAL_FAILURE(Put(RandomKey(), RandomValue(rng_)));
    } else if (r < 830) {
      ASSERT_NO_FATAL_FAILURE(Delete(RandomKey()));
    } else if (r < 990) {
      ASSERT_NO_FATAL_FAILURE(WriteRandomBatch());
    } else if (r < 993) {
      const Status s = db_->Flush();
      ASSERT_TRUE(s.ok()) << s.ToString();
    } else if (r < 994) {
      ASSERT_NO_FATAL_FAILURE(CompactRandomRange());
    } else if (r < 997) {
      if (snapshots_.size() < kMaxSnapshots) {
        snapshots_.push_back({db_->GetSnapshot(), model_, op});
      }
    } else if (!snapshots_.empty()) {
      const std::size_t i = rng_() % snapshots_.size();
      db_->ReleaseSnapshot(snapshots_[i].snapshot);
      snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Every held snapshot against its model (sampled Gets), then the latest
  // state against the model (every key).
  void CheckAll(int op) {
    for (const HeldSnapshot& held : snapshots_) {
      SCOPED_TRACE("snapshot taken at op " + std::to_string(held.taken_at) + ", checked at op " +
                   std::to_string(op));
      ReadOptions ro;
      ro.snapshot = held.snapshot;
      ExpectViewMatches(db_.get(), ro, held.model, kNumKeys, 64, rng_);
    }
    SCOPED_TRACE("latest state at op " + std::to_string(op));
    ExpectViewMatches(db_.get(), ReadOptions{}, model_, kNumKeys, -1, rng_);
  }

  MemFileSystem fs_;                       // declared before db_: outlive it
  std::optional<test::TempDir> temp_dir_;  // for tests on the POSIX file system
  std::string path_ = "/db";
  Options options_ = test::TinyShapeOptions();
  std::unique_ptr<DB> db_;
  std::mt19937_64 rng_;
  KvMap model_;
  std::vector<HeldSnapshot> snapshots_;
  std::uint64_t compactions_ = 0;  // over every DB instance opened, as is the next
  std::uint64_t compaction_bytes_written_ = 0;
};

TEST_P(CompactionModelTest, RandomOpsWithSnapshotsMatchModel) {
  const CompressionCase& param = GetParam();
  options_.compression = param.compression;
  options_.compression_per_level = param.per_level;
  const std::uint64_t seed =
      0x5eed0000 + static_cast<std::uint64_t>(param.compression) * 7 + param.per_level.size();
  SCOPED_TRACE("seed " + std::to_string(seed));
  rng_.seed(seed);
  ASSERT_NO_FATAL_FAILURE(Open());

  constexpr int kOps = 40000 / test::kScale;
  constexpr int kCheckEvery = 2000 / test::kScale;
  constexpr int kReopenEvery = kOps / 4;
  for (int op = 1; op <= kOps && !HasFailure(); ++op) {
    ASSERT_NO_FATAL_FAILURE(RandomOp(op));
    if (op % kCheckEvery == 0) CheckAll(op);
    if (op % kReopenEvery == 0 && op < kOps) {
      ASSERT_NO_FATAL_FAILURE(Reopen());
      CheckAll(op);
    }
  }
  ASSERT_FALSE(HasFailure());

  ASSERT_NO_FATAL_FAILURE(test::WaitForBackgroundWork(db_.get()));
  CheckAll(kOps);
  EXPECT_GT(test::FilesBelowLevel0(db_.get()), 0u) << "nothing ever left level 0";
  ExpectTreeWithinTargets(db_.get(), options_);
  Close();
  EXPECT_GT(compactions_, 0u);
  EXPECT_GT(compaction_bytes_written_, 0u) << "only trivial moves ran";
}

// The tree is rebuilt under one level shape, then reopened under others
// (smaller and larger level targets, other table sizes and compression), each
// time checked, written to and compacted again; on the POSIX file system.
TEST_F(CompactionModelTest, DataSurvivesReopenAfterManyCompactions) {
  temp_dir_.emplace();
  path_ = temp_dir_->path();
  options_.file_system = nullptr;
  // Fewer, larger flushes than the tiny shape's: each one syncs on the real
  // file system, and the level targets below still keep compactions busy.
  options_.write_buffer_size = 1 << 20;
  rng_.seed(0x5eed0100);

  struct Shape {
    const char* name;
    std::uint64_t level1_bytes;
    double multiplier;
    std::uint64_t file_bytes;
    int l0_trigger, l0_slowdown, l0_stop;
    CompressionType compression;
  };
  const Shape shapes[] = {
      {"tiny", 256 << 10, 2, 64 << 10, 2, 4, 8, CompressionType::kNone},
      {"smaller level 1", 64 << 10, 2, 32 << 10, 1, 2, 4, CompressionType::kLz4},
      {"wide fan-out", 1 << 20, 10, 256 << 10, 4, 8, 12, CompressionType::kZstd},
      {"tiny, fan-out 4", 128 << 10, 4, 64 << 10, 2, 4, 8, CompressionType::kNone},
  };
  constexpr int kOpsPerShape = 10000 / test::kScale;
  int op = 0;
  for (const Shape& shape : shapes) {
    SCOPED_TRACE(std::string("shape \"") + shape.name + "\"");
    options_.max_bytes_for_level_base = shape.level1_bytes;
    options_.max_bytes_for_level_multiplier = shape.multiplier;
    options_.target_file_size_base = shape.file_bytes;
    options_.level0_file_num_compaction_trigger = shape.l0_trigger;
    options_.level0_slowdown_writes_trigger = shape.l0_slowdown;
    options_.level0_stop_writes_trigger = shape.l0_stop;
    options_.compression = shape.compression;
    ASSERT_NO_FATAL_FAILURE(Open());
    CheckAll(op);  // what the previous shape left
    for (int i = 0; i < kOpsPerShape && !HasFailure(); ++i) {
      ASSERT_NO_FATAL_FAILURE(RandomOp(++op));
      if (i == kOpsPerShape / 2) {
        const Status s = db_->CompactRange(std::nullopt, std::nullopt);
        ASSERT_TRUE(s.ok()) << s.ToString();
        CheckAll(op);
      }
    }
    ASSERT_FALSE(HasFailure());
    ASSERT_NO_FATAL_FAILURE(test::WaitForBackgroundWork(db_.get()));
    CheckAll(op);
    EXPECT_GT(test::FilesBelowLevel0(db_.get()), 0u) << "nothing ever left level 0";
    ExpectTreeWithinTargets(db_.get(), options_);
    Close();
  }

  options_ = Options();  // the defaults read any shape
  ASSERT_NO_FATAL_FAILURE(Open());
  CheckAll(op);
  Close();
  EXPECT_GT(compactions_, 0u);
  EXPECT_GT(compaction_bytes_written_, 0u) << "only trivial moves ran";
}

INSTANTIATE_TEST_SUITE_P(
    , CompactionModelTest,
    ::testing::Values(CompressionCase{"None", CompressionType::kNone, {}},
                      CompressionCase{"Lz4", CompressionType::kLz4, {}},
                      CompressionCase{"Zstd", CompressionType::kZstd, {}},
                      CompressionCase{
                          "PerLevelNoneLz4Zstd",
                          CompressionType::kNone,
                          {CompressionType::kNone, CompressionType::kLz4, CompressionType::kZstd}}),
    [](const ::testing::TestParamInfo<CompressionCase>& info) { return info.param.name; });

}  // namespace
}  // namespace arenakv
