// SPDX-License-Identifier: Apache-2.0
// CompactionJob (mvcc/compaction/compaction_job.h): merges its inputs into
// new files at the output level, keeps only the versions some reader may see,
// drops tombstones with nothing below them, moves files trivially without
// writing, cuts outputs at the target size between user keys, and removes
// its outputs when abandoned.
#include "mvcc/compaction/compaction_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/compaction/compaction.h"
#include "mvcc/compaction/table_output.h"
#include "mvcc/env/filename.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_edit.h"
#include "mvcc/version/version_set.h"
#include "tests/mvcc/compaction/table_rows.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr const char* kDir = "/db";

class CompactionJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
    ASSERT_TRUE(versions_.CreateNew().ok());
  }

  // Writes `rows` (in internal-key order) as one table and adds it to `level`.
  TableFileRef AddFile(int level, const std::vector<Row>& rows) {
    TableOutput out(&versions_, versions_.table_options());
    for (const Row& row : rows) {
      EXPECT_TRUE(out.Add(InternalKey(row.user_key, row.sequence, row.kind), row.value).ok());
    }
    EXPECT_TRUE(out.Finish().ok());
    EXPECT_EQ(out.files().size(), 1u);
    TableFileRef file = out.files().front().second;
    VersionEdit edit;
    edit.AddFile(level, file->meta());
    EXPECT_TRUE(versions_.LogAndApply(&edit, {file}).ok());
    return file;
  }

  // A compaction of `inputs` at `level` and `output_inputs` at level + 1,
  // from the current Version, with outputs cut only past `target_file_size`.
  Compaction MakeCompaction(int level, std::vector<TableFileRef> inputs,
                            std::vector<TableFileRef> output_inputs,
                            std::uint64_t target_file_size = 1 << 30) {
    Compaction c;
    c.version = versions_.current();
    c.level = level;
    c.output_level = level + 1;
    c.inputs = std::move(inputs);
    c.output_inputs = std::move(output_inputs);
    c.smallest_user_key = "";
    c.largest_user_key = "\xff";
    c.target_file_size = target_file_size;
    c.max_grandparent_overlap = std::uint64_t{1} << 40;
    return c;
  }

  // Runs `c` with the given live sequences and installs the result.
  Status RunAndInstall(const Compaction& c, std::vector<SequenceNumber> sequences,
                       CompactionJobStats* stats = nullptr) {
    CompactionJob job(&versions_, versions_.table_options(), c, std::move(sequences), &stop_);
    VersionEdit edit;
    std::vector<TableFileRef> added;
    Status s = job.Run(&edit, &added);
    if (stats != nullptr) *stats = job.stats();
    if (!s.ok()) return s;
    return versions_.LogAndApply(&edit, std::move(added));
  }

  std::size_t TableFilesOnDisk() {
    std::vector<std::string> names;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    std::size_t count = 0;
    for (const std::string& name : names) {
      std::uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type == FileType::kTable) ++count;
    }
    return count;
  }

  MemFileSystem fs_;
  VersionSet versions_{kDir, &fs_, TableOptions{}, nullptr};
  std::atomic<bool> stop_{false};
};

TEST_F(CompactionJobTest, MergesTheInputsIntoSortedOutputsThatReplaceThem) {
  const TableFileRef below = AddFile(1, {Put("e", 5, "e5")});
  const TableFileRef older = AddFile(0, {Put("a", 10, "a10"), Put("c", 11, "c11")});
  const TableFileRef newer = AddFile(0, {Put("b", 20, "b20"), Put("d", 21, "d21")});
  AddFile(2, {Put("a", 1, "a1"), Put("z", 2, "z2")});  // keeps sequences from zeroing
  CompactionJobStats stats;

  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {newer, older}, {below}), {100}, &stats).ok());

  const VersionRef v = versions_.current();
  EXPECT_TRUE(v->levels[0].empty());
  ASSERT_EQ(v->levels[1].size(), 1u);
  EXPECT_EQ(Rows(v->levels[1]),
            (std::vector<Row>{Put("a", 10, "a10"), Put("b", 20, "b20"), Put("c", 11, "c11"),
                              Put("d", 21, "d21"), Put("e", 5, "e5")}));
  EXPECT_EQ(stats.entries_read, 5u);
  EXPECT_EQ(stats.entries_written, 5u);
  EXPECT_EQ(stats.files_written, 1u);
  EXPECT_EQ(stats.bytes_written, v->levels[1][0]->meta().file_size);
}

TEST_F(CompactionJobTest, PutsEveryReaderSeesWithNothingBelowAreWrittenWithSequenceZero) {
  const TableFileRef input = AddFile(1, {Put("a", 10, "a10"), Put("b", 200, "b200")});
  CompactionJobStats stats;

  ASSERT_TRUE(RunAndInstall(MakeCompaction(1, {input}, {}), {100}, &stats).ok());

  // b@200 is newer than the newest sequence the job knows of: kept as is.
  EXPECT_EQ(Rows(versions_.current()->levels[2]),
            (std::vector<Row>{Put("a", 0, "a10"), Put("b", 200, "b200")}));
  EXPECT_EQ(stats.zeroed_sequences, 1u);
}

TEST_F(CompactionJobTest, VersionsNoReaderSeesAreDropped) {
  const TableFileRef below = AddFile(1, {Put("a", 10, "oldest")});
  const TableFileRef older = AddFile(0, {Put("a", 20, "old")});
  const TableFileRef newer = AddFile(0, {Put("a", 30, "new"), Put("b", 31, "b")});
  AddFile(2, {Put("a", 1, "deep"), Put("z", 1, "deep")});
  CompactionJobStats stats;

  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {newer, older}, {below}), {100}, &stats).ok());

  EXPECT_EQ(Rows(versions_.current()->levels[1]),
            (std::vector<Row>{Put("a", 30, "new"), Put("b", 31, "b")}));
  EXPECT_EQ(stats.dropped_hidden, 2u);
}

TEST_F(CompactionJobTest, TheVersionASnapshotSeesIsKept) {
  const TableFileRef older = AddFile(0, {Put("a", 20, "snapshot sees"), Put("a", 15, "hidden")});
  const TableFileRef newer = AddFile(0, {Put("a", 30, "new")});
  AddFile(2, {Put("a", 1, "deep")});
  CompactionJobStats stats;

  // A snapshot at 25 sees a@20; the newest sequence, 100, sees a@30.
  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {newer, older}, {}), {25, 100}, &stats).ok());

  EXPECT_EQ(Rows(versions_.current()->levels[1]),
            (std::vector<Row>{Put("a", 30, "new"), Put("a", 20, "snapshot sees")}));
  EXPECT_EQ(stats.dropped_hidden, 1u);
}

TEST_F(CompactionJobTest, TombstonesAtTheBottomVanishWithWhatTheyHide) {
  const TableFileRef below = AddFile(1, {Put("a", 10, "deleted"), Put("c", 11, "c")});
  const TableFileRef input = AddFile(0, {Del("a", 30), Put("b", 31, "b")});
  CompactionJobStats stats;

  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {input}, {below}), {100}, &stats).ok());

  EXPECT_EQ(Rows(versions_.current()->levels[1]),
            (std::vector<Row>{Put("b", 0, "b"), Put("c", 0, "c")}));
  EXPECT_EQ(stats.dropped_tombstones, 1u);
}

TEST_F(CompactionJobTest, TombstonesStayWhileALowerLevelMayHoldTheKey) {
  const TableFileRef below = AddFile(1, {Put("a", 10, "deleted")});
  const TableFileRef input = AddFile(0, {Del("a", 30)});
  AddFile(2, {Put("a", 1, "deep")});

  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {input}, {below}), {100}).ok());

  EXPECT_EQ(Rows(versions_.current()->levels[1]), (std::vector<Row>{Del("a", 30)}));
}

TEST_F(CompactionJobTest, TombstoneASnapshotNeedsStaysAtTheBottom) {
  const TableFileRef input = AddFile(0, {Del("a", 30), Put("a", 10, "old")});

  // A snapshot at 20 still sees a@10; the tombstone hides it from newer reads.
  ASSERT_TRUE(RunAndInstall(MakeCompaction(0, {input}, {}), {20, 100}).ok());

  EXPECT_EQ(Rows(versions_.current()->levels[1]),
            (std::vector<Row>{Del("a", 30), Put("a", 0, "old")}));
}

TEST_F(CompactionJobTest, TrivialMoveWritesNothingAndMovesTheFiles) {
  const TableFileRef file = AddFile(1, {Put("a", 10, "a")});
  Compaction c = MakeCompaction(1, {file}, {});
  c.trivial_move = true;
  const std::uint64_t next_file_number = versions_.next_file_number();
  CompactionJob job(&versions_, versions_.table_options(), c, {100}, &stop_);
  VersionEdit edit;
  std::vector<TableFileRef> added;

  ASSERT_TRUE(job.Run(&edit, &added).ok());

  EXPECT_EQ(edit.deleted_files(),
            (std::set<std::pair<int, std::uint64_t>>{{1, file->meta().number}}));
  ASSERT_EQ(edit.new_files().size(), 1u);
  EXPECT_EQ(edit.new_files()[0].first, 2);
  EXPECT_EQ(edit.new_files()[0].second, file->meta());
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0], file);
  EXPECT_EQ(job.stats().files_written, 0u);
  EXPECT_EQ(versions_.next_file_number(), next_file_number);
  EXPECT_EQ(TableFilesOnDisk(), 1u);
  ASSERT_TRUE(versions_.LogAndApply(&edit, std::move(added)).ok());
  EXPECT_EQ(Rows(versions_.current()->levels[2]), (std::vector<Row>{Put("a", 10, "a")}));
}

TEST_F(CompactionJobTest, OutputsAreCutPastTheTargetSizeAndNeverInsideAUserKey) {
  // 60 user keys of three versions each, all kept by snapshots at 1 and 2.
  std::vector<Row> rows;
  for (int i = 0; i < 60; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "key%03d", i);
    for (SequenceNumber sequence : {3, 2, 1}) {
      rows.push_back(Put(user_key, sequence, std::string(100, static_cast<char>('a' + i % 26))));
    }
  }
  const TableFileRef input = AddFile(1, rows);
  AddFile(3, {Put("a", 1, "below"), Put("z", 1, "below")});  // no sequence is zeroed
  constexpr std::uint64_t kTarget = 2000;
  CompactionJobStats stats;

  ASSERT_TRUE(RunAndInstall(MakeCompaction(1, {input}, {}, kTarget), {1, 2, 100}, &stats).ok());

  const std::vector<TableFileRef>& outputs = versions_.current()->levels[2];
  ASSERT_GT(outputs.size(), 2u);
  EXPECT_EQ(stats.files_written, outputs.size());
  for (std::size_t i = 0; i + 1 < outputs.size(); ++i) {
    EXPECT_GE(outputs[i]->meta().file_size, kTarget) << "output " << i;
    EXPECT_LT(LargestUserKey(*outputs[i]), SmallestUserKey(*outputs[i + 1])) << "output " << i;
  }
  EXPECT_EQ(Rows(outputs), rows);
}

TEST_F(CompactionJobTest, AbandonRemovesTheOutputs) {
  const TableFileRef input = AddFile(0, {Put("a", 10, "a"), Put("b", 11, "b")});
  const Compaction c = MakeCompaction(0, {input}, {});
  CompactionJob job(&versions_, versions_.table_options(), c, {100}, &stop_);
  VersionEdit edit;
  std::vector<TableFileRef> added;
  ASSERT_TRUE(job.Run(&edit, &added).ok());
  ASSERT_EQ(added.size(), 1u);
  const std::string output = TableFileName(kDir, added[0]->meta().number);
  ASSERT_TRUE(fs_.FileExists(output));

  added.clear();
  job.Abandon();

  EXPECT_FALSE(fs_.FileExists(output));
  EXPECT_EQ(TableFilesOnDisk(), 1u);  // the input
}

TEST_F(CompactionJobTest, AStoppedJobReturnsBusyAndWritesNothing) {
  const TableFileRef input = AddFile(0, {Put("a", 10, "a")});
  const Compaction c = MakeCompaction(0, {input}, {});
  stop_.store(true);
  CompactionJob job(&versions_, versions_.table_options(), c, {100}, &stop_);
  VersionEdit edit;
  std::vector<TableFileRef> added;

  EXPECT_TRUE(job.Run(&edit, &added).IsBusy());
  job.Abandon();

  EXPECT_TRUE(added.empty());
  EXPECT_EQ(TableFilesOnDisk(), 1u);
}

}  // namespace
}  // namespace arenakv
