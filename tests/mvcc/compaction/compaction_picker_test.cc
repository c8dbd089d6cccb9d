// SPDX-License-Identifier: Apache-2.0
// CompactionPicker (mvcc/compaction/compaction.h): level scores (level 0:
// files / trigger; level n: bytes / target), Pick takes the highest score,
// trivial moves, files of running compactions are busy until Release, and
// PickRange reports busy files. The picker reads only file metadata, so the
// Versions here hold TableFiles with no table behind them.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mvcc/compaction/compaction.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {
namespace {

// A file of user keys [smallest, largest] and `size` bytes; metadata only.
TableFileRef File(std::uint64_t number, const std::string& smallest, const std::string& largest,
                  std::uint64_t size) {
  FileMetaData meta;
  meta.number = number;
  meta.file_size = size;
  meta.smallest = InternalKey(smallest, number, EntryKind::kPut);
  meta.largest = InternalKey(largest, number, EntryKind::kPut);
  meta.smallest_sequence = number;
  meta.largest_sequence = number;
  return std::make_shared<TableFile>(meta, nullptr, nullptr, "");
}

std::vector<std::uint64_t> Numbers(const std::vector<TableFileRef>& files) {
  std::vector<std::uint64_t> numbers;
  for (const TableFileRef& f : files) numbers.push_back(f->meta().number);
  return numbers;
}

// Level 0 triggers at 4 files; level 1 targets 1000 bytes, level n 1000 * 10^(n-1).
Options SmallOptions() {
  Options options;
  options.level0_file_num_compaction_trigger = 4;
  options.max_bytes_for_level_base = 1000;
  options.max_bytes_for_level_multiplier = 10;
  options.target_file_size_base = 100;  // grandparent overlap limit: 1000 bytes
  return options;
}

class CompactionPickerTest : public ::testing::Test {
 protected:
  // Files go in level order (level 0 newest first; others by key).
  void Add(int level, TableFileRef file) { version_->levels[level].push_back(std::move(file)); }
  VersionRef version() const { return version_; }

  CompactionPicker picker_{SmallOptions()};
  std::shared_ptr<Version> version_ = std::make_shared<Version>();
};

TEST_F(CompactionPickerTest, LevelTargetsGrowByTheMultiplier) {
  EXPECT_DOUBLE_EQ(picker_.MaxBytesForLevel(1), 1000);
  EXPECT_DOUBLE_EQ(picker_.MaxBytesForLevel(2), 10000);
  EXPECT_DOUBLE_EQ(picker_.MaxBytesForLevel(4), 1000000);
  EXPECT_EQ(picker_.MaxGrandparentOverlapBytes(), 1000u);
}

// Memtables a memory budget flushes smaller than write_buffer_size shrink
// level 1's target in proportion, to at least one output file; the levels
// below keep the multiplier.
TEST(CompactionPickerLevelBaseTest, SmallerFlushesShrinkLevelOneToAtLeastOneFile) {
  Options options = SmallOptions();
  options.write_buffer_size = 64 << 20;
  EXPECT_DOUBLE_EQ(CompactionPicker(options, 64 << 20).MaxBytesForLevel(1), 1000);
  EXPECT_DOUBLE_EQ(CompactionPicker(options, 128 << 20).MaxBytesForLevel(1), 1000);
  const CompactionPicker quarter(options, 16 << 20);
  EXPECT_DOUBLE_EQ(quarter.MaxBytesForLevel(1), 250);
  EXPECT_DOUBLE_EQ(quarter.MaxBytesForLevel(2), 2500);
  EXPECT_DOUBLE_EQ(CompactionPicker(options, 1 << 20).MaxBytesForLevel(1), 100);  // one file
}

TEST_F(CompactionPickerTest, Level0ScoreIsFilesOverTrigger) {
  for (std::uint64_t n = 6; n >= 1; --n) Add(0, File(n, "a", "z", 1 << 20));

  EXPECT_DOUBLE_EQ(picker_.Scores(*version())[0], 6.0 / 4);
}

TEST_F(CompactionPickerTest, DeeperLevelScoreIsBytesOverTarget) {
  Add(1, File(1, "a", "b", 700));
  Add(1, File(2, "c", "d", 800));
  Add(2, File(3, "a", "z", 5000));
  Add(kNumLevels - 1, File(4, "a", "z", 1 << 30));

  const auto scores = picker_.Scores(*version());

  EXPECT_DOUBLE_EQ(scores[0], 0);
  EXPECT_DOUBLE_EQ(scores[1], 1.5);
  EXPECT_DOUBLE_EQ(scores[2], 0.5);
  EXPECT_DOUBLE_EQ(scores[kNumLevels - 1], 0);  // the last level has nowhere to go
}

TEST_F(CompactionPickerTest, NothingIsPickedWhileEveryScoreIsBelowOne) {
  for (std::uint64_t n = 3; n >= 1; --n) Add(0, File(n, "a", "z", 10));
  Add(1, File(4, "a", "z", 999));

  EXPECT_FALSE(picker_.Pick(version()).has_value());
  EXPECT_EQ(picker_.running(), 0);
}

TEST_F(CompactionPickerTest, PickTakesTheLevelWithTheHighestScore) {
  for (std::uint64_t n = 4; n >= 1; --n) Add(0, File(n, "a", "b", 10));  // score 1
  Add(1, File(5, "a", "b", 1500));                                       // score 1.5
  Add(2, File(6, "c", "d", 30000));                                      // score 3

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->level, 2);
  EXPECT_EQ(c->output_level, 3);
  EXPECT_DOUBLE_EQ(c->score, 3);
  EXPECT_EQ(Numbers(c->inputs), (std::vector<std::uint64_t>{6}));
  EXPECT_FALSE(c->manual);
}

TEST_F(CompactionPickerTest, Level0CompactionTakesEveryLevel0FileAndTheLevel1FilesTheyOverlap) {
  Add(0, File(4, "c", "f", 10));
  Add(0, File(3, "e", "h", 10));
  Add(0, File(2, "b", "d", 10));
  Add(0, File(1, "g", "i", 10));
  Add(1, File(5, "a", "b", 10));
  Add(1, File(6, "j", "k", 10));
  Add(2, File(7, "h", "z", 10));

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->level, 0);
  EXPECT_EQ(c->output_level, 1);
  EXPECT_EQ(Numbers(c->inputs), (std::vector<std::uint64_t>{4, 3, 2, 1}));
  EXPECT_EQ(Numbers(c->output_inputs), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(Numbers(c->grandparents), (std::vector<std::uint64_t>{7}));
  EXPECT_EQ(c->smallest_user_key, "a");
  EXPECT_EQ(c->largest_user_key, "i");
  EXPECT_FALSE(c->trivial_move);
  EXPECT_EQ(c->target_file_size, 100u);
  EXPECT_EQ(c->InputBytes(), 50u);
  EXPECT_TRUE(picker_.level0_running());
}

TEST_F(CompactionPickerTest, DisjointLevel0FilesOverNothingInLevel1MoveTrivially) {
  for (std::uint64_t n = 4; n >= 1; --n) {
    const std::string key(1, static_cast<char>('a' + 2 * n));
    Add(0, File(n, key, key, 10));
  }
  Add(1, File(5, "x", "z", 10));

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->trivial_move);
  EXPECT_TRUE(c->output_inputs.empty());
}

TEST_F(CompactionPickerTest, OverlappingLevel0FilesNeverMoveTrivially) {
  for (std::uint64_t n = 4; n >= 1; --n) Add(0, File(n, "a", "c", 10));

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->output_inputs.empty());
  EXPECT_FALSE(c->trivial_move);
}

TEST_F(CompactionPickerTest, FileOverlappingNothingInTheNextLevelMovesTrivially) {
  Add(1, File(1, "m", "n", 1500));
  Add(2, File(2, "a", "b", 10));
  Add(2, File(3, "x", "y", 10));

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Numbers(c->inputs), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(c->output_inputs.empty());
  EXPECT_TRUE(c->trivial_move);
}

TEST_F(CompactionPickerTest, FileOverlappingTheNextLevelIsMerged) {
  Add(1, File(1, "m", "n", 1500));
  Add(2, File(2, "n", "p", 10));

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Numbers(c->output_inputs), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(c->largest_user_key, "p");
  EXPECT_FALSE(c->trivial_move);
}

TEST_F(CompactionPickerTest, TooMuchGrandparentOverlapRulesOutATrivialMove) {
  Add(1, File(1, "m", "n", 1500));
  Add(3, File(2, "a", "z", 1001));  // over the 1000-byte grandparent limit

  const std::optional<Compaction> c = picker_.Pick(version());

  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->output_inputs.empty());
  EXPECT_EQ(Numbers(c->grandparents), (std::vector<std::uint64_t>{2}));
  EXPECT_FALSE(c->trivial_move);
}

TEST_F(CompactionPickerTest, LevelFilesArePickedRoundRobinByKey) {
  Add(1, File(1, "a", "b", 1000));
  Add(1, File(2, "c", "d", 1000));
  Add(1, File(3, "e", "f", 1000));

  const std::optional<Compaction> first = picker_.Pick(version());
  const std::optional<Compaction> second = picker_.Pick(version());

  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Numbers(first->inputs), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(Numbers(second->inputs), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(picker_.running(), 2);
}

TEST_F(CompactionPickerTest, FilesOfARunningCompactionAreSkippedUntilReleased) {
  Add(1, File(1, "a", "b", 1000));
  Add(1, File(2, "c", "d", 1000));
  Add(1, File(3, "e", "f", 1000));
  bool busy = true;
  // A manual compaction holds file 1 (and leaves the round-robin pointer alone).
  const std::optional<Compaction> manual = picker_.PickRange(version(), 1, 2, "a", "b", &busy);
  ASSERT_TRUE(manual.has_value());

  const std::optional<Compaction> automatic = picker_.Pick(version());

  ASSERT_TRUE(automatic.has_value());
  EXPECT_EQ(Numbers(automatic->inputs), (std::vector<std::uint64_t>{2}));
  EXPECT_DOUBLE_EQ(automatic->score, 2);  // the busy file no longer counts
  picker_.Release(manual.value());
  const std::optional<Compaction> again = picker_.PickRange(version(), 1, 2, "a", "b", &busy);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(busy);
  EXPECT_EQ(Numbers(again->inputs), (std::vector<std::uint64_t>{1}));
}

TEST_F(CompactionPickerTest, APickSkipsFilesWhoseNextLevelFilesAreBusy) {
  Add(1, File(1, "a", "b", 500));
  Add(1, File(2, "c", "d", 500));
  Add(1, File(3, "x", "y", 500));
  Add(2, File(4, "b", "c", 10));  // under files 1 and 2

  const std::optional<Compaction> first = picker_.Pick(version());
  const std::optional<Compaction> second = picker_.Pick(version());

  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Numbers(first->output_inputs), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(Numbers(second->inputs), (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(second->output_inputs.empty());
}

TEST_F(CompactionPickerTest, OnlyOneLevel0CompactionRunsUntilReleased) {
  for (std::uint64_t n = 8; n >= 1; --n) Add(0, File(n, "a", "z", 10));
  const std::optional<Compaction> first = picker_.Pick(version());
  ASSERT_TRUE(first.has_value());

  EXPECT_DOUBLE_EQ(picker_.Scores(*version())[0], 0);
  EXPECT_FALSE(picker_.Pick(version()).has_value());

  picker_.Release(first.value());
  EXPECT_FALSE(picker_.level0_running());
  EXPECT_EQ(picker_.running(), 0);
  const std::optional<Compaction> again = picker_.Pick(version());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Numbers(again->inputs), Numbers(first->inputs));
}

TEST_F(CompactionPickerTest, PickRangeOfAnEmptyRangeIsNotBusy) {
  Add(1, File(1, "a", "b", 10));
  bool busy = true;

  EXPECT_FALSE(picker_.PickRange(version(), 1, 2, "c", "d", &busy).has_value());
  EXPECT_FALSE(busy);
  EXPECT_EQ(picker_.running(), 0);
}

TEST_F(CompactionPickerTest, PickRangeTakesTheFilesInTheRange) {
  Add(1, File(1, "a", "b", 10));
  Add(1, File(2, "c", "d", 10));
  Add(1, File(3, "e", "f", 10));
  bool busy = true;

  const std::optional<Compaction> c = picker_.PickRange(version(), 1, 2, "b", "c", &busy);

  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(busy);
  EXPECT_TRUE(c->manual);
  EXPECT_EQ(Numbers(c->inputs), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(picker_.running(), 1);
}

TEST_F(CompactionPickerTest, PickRangeOverBusyFilesSetsBusy) {
  Add(1, File(1, "a", "b", 10));
  Add(1, File(2, "c", "d", 10));
  bool busy = false;
  const std::optional<Compaction> running = picker_.PickRange(version(), 1, 2, "a", "b", &busy);
  ASSERT_TRUE(running.has_value());

  EXPECT_FALSE(picker_.PickRange(version(), 1, 2, std::nullopt, std::nullopt, &busy).has_value());
  EXPECT_TRUE(busy);
  EXPECT_EQ(picker_.running(), 1);
}

TEST_F(CompactionPickerTest, PickRangeOfLevel0WhileALevel0CompactionRunsSetsBusy) {
  for (std::uint64_t n = 4; n >= 1; --n) Add(0, File(n, "a", "b", 10));
  const std::optional<Compaction> automatic = picker_.Pick(version());
  ASSERT_TRUE(automatic.has_value());
  // A flush since then added a level-0 file that no compaction holds.
  auto newer = std::make_shared<Version>(*version());
  newer->levels[0].insert(newer->levels[0].begin(), File(9, "x", "y", 10));
  bool busy = false;

  EXPECT_FALSE(picker_.PickRange(newer, 0, 1, "x", "y", &busy).has_value());
  EXPECT_TRUE(busy);
  picker_.Release(automatic.value());
  const std::optional<Compaction> manual = picker_.PickRange(newer, 0, 1, "x", "y", &busy);
  ASSERT_TRUE(manual.has_value());
  EXPECT_FALSE(busy);
  EXPECT_EQ(Numbers(manual->inputs), (std::vector<std::uint64_t>{9}));
}

TEST_F(CompactionPickerTest, AKeyIsBottommostWhenNoLevelBelowTheOutputHoldsIt) {
  Add(1, File(1, "a", "c", 10));
  Add(3, File(2, "m", "p", 10));
  bool busy = false;
  const std::optional<Compaction> c = picker_.PickRange(version(), 1, 2, "a", "c", &busy);
  ASSERT_TRUE(c.has_value());

  EXPECT_TRUE(c->IsBottommostForKey("b"));
  EXPECT_TRUE(c->IsBottommostForKey("q"));
  EXPECT_FALSE(c->IsBottommostForKey("n"));
}

}  // namespace
}  // namespace arenakv
