// SPDX-License-Identifier: Apache-2.0
// VersionSet (mvcc/version/version_set.h): edits applied with LogAndApply
// shape the current Version, the manifest replays to the same Version (files
// per level, log number, next file number, last sequence), bad edits are
// refused, file numbers are never handed out twice, and WriteSnapshot starts
// a new manifest. Runs on the crash-modelling MemFileSystem.
#include "mvcc/version/version_set.h"

#include <arenakv/mvcc/memory_budget.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/compaction/table_output.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/table_cache.h"
#include "mvcc/version/version_edit.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr const char* kDir = "/db";
using test::KeyFor;

// The file numbers of each level of `version`, in level order.
std::vector<std::vector<std::uint64_t>> FileNumbers(const Version& version) {
  std::vector<std::vector<std::uint64_t>> numbers(kNumLevels);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const TableFileRef& f : version.levels[level]) numbers[level].push_back(f->meta().number);
  }
  return numbers;
}

// The metadata of each level of `version`, in level order.
std::vector<std::vector<FileMetaData>> Metas(const Version& version) {
  std::vector<std::vector<FileMetaData>> metas(kNumLevels);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const TableFileRef& f : version.levels[level]) metas[level].push_back(f->meta());
  }
  return metas;
}

class VersionSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
    versions_ = NewVersionSet();
  }

  std::unique_ptr<VersionSet> NewVersionSet(std::uint64_t max_manifest_file_size = 1 << 30,
                                            std::size_t table_cache_capacity = 0) {
    return std::make_unique<VersionSet>(kDir, &fs_, TableOptions{}, nullptr, max_manifest_file_size,
                                        table_cache_capacity);
  }

  // Found (and its value "v" + user_key) through file's reader.
  static void ExpectReadable(const TableFile& file, const std::string& user_key) {
    std::shared_ptr<const Table> table;
    const Status s = file.GetTable(&table);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Table::GetResult result;
    std::string value;
    ASSERT_TRUE(table->Get(user_key, kMaxSequenceNumber, true, &result, &value).ok());
    EXPECT_EQ(result, Table::GetResult::kFound);
    EXPECT_EQ(value, "v" + user_key);
  }

  std::vector<std::string> Manifests() {
    std::vector<std::string> names, manifests;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const std::string& name : names) {
      if (name.starts_with("MANIFEST-")) manifests.push_back(name);
    }
    return manifests;
  }

  // Writes one table file holding a put of each of `user_keys` (ascending)
  // at `sequence`, and returns it opened.
  TableFileRef WriteTable(const std::vector<std::string>& user_keys, SequenceNumber sequence) {
    TableOutput out(versions_.get(), versions_->table_options());
    for (const std::string& user_key : user_keys) {
      EXPECT_TRUE(out.Add(InternalKey(user_key, sequence, EntryKind::kPut), "v" + user_key).ok());
    }
    EXPECT_TRUE(out.Finish().ok());
    EXPECT_EQ(out.files().size(), 1u);
    return out.files().empty() ? nullptr : out.files().front().second;
  }

  // Writes a table and adds it to `level` with one LogAndApply.
  TableFileRef AddTable(int level, const std::vector<std::string>& user_keys,
                        SequenceNumber sequence) {
    TableFileRef file = WriteTable(user_keys, sequence);
    VersionEdit edit;
    edit.AddFile(level, file->meta());
    EXPECT_TRUE(versions_->LogAndApply(&edit, {file}).ok());
    return file;
  }

  std::string CurrentManifest() {
    std::string name;
    EXPECT_TRUE(ReadCurrentFile(&fs_, kDir, &name).ok());
    return std::string(kDir) + "/" + name;
  }

  MemFileSystem fs_;
  std::unique_ptr<VersionSet> versions_;
};

TEST_F(VersionSetTest, CreateNewWritesAnEmptySnapshotThatCurrentNames) {
  ASSERT_TRUE(versions_->CreateNew().ok());

  EXPECT_EQ(versions_->current()->NumFiles(), 0u);
  EXPECT_EQ(versions_->log_number(), 0u);
  EXPECT_EQ(versions_->last_sequence(), 0u);
  EXPECT_EQ(CurrentManifest(), ManifestFileName(kDir, versions_->manifest_number()));
  EXPECT_TRUE(fs_.FileExists(CurrentManifest()));
  EXPECT_GT(versions_->next_file_number(), versions_->manifest_number());
}

// version_set.h says CreateNew writes MANIFEST-000001, but the manifest takes
// NewFileNumber(), which starts at 2, so it is MANIFEST-000002. The DB never
// calls CreateNew (it always uses WriteSnapshot), so only the comment or the
// first number is off. Disabled until one of them is settled.
TEST_F(VersionSetTest, CreateNewNamesItsManifestWithTheNextFileNumber) {
  const std::uint64_t next = versions_->next_file_number();
  ASSERT_TRUE(versions_->CreateNew().ok());

  EXPECT_EQ(versions_->manifest_number(), next);
  EXPECT_EQ(CurrentManifest(), ManifestFileName(kDir, next));
  EXPECT_EQ(versions_->next_file_number(), next + 1);
}

TEST_F(VersionSetTest, LogAndApplyWithoutAManifestIsInvalidArgument) {
  VersionEdit edit;
  edit.SetLogNumber(3);

  EXPECT_TRUE(versions_->LogAndApply(&edit, {}).IsInvalidArgument());
  EXPECT_EQ(versions_->log_number(), 0u);
}

TEST_F(VersionSetTest, AddedFilesJoinTheirLevelsLevel0NewestFirstDeeperLevelsByKey) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  const TableFileRef l1_high = WriteTable({"p", "q"}, 1);
  const TableFileRef l1_low = WriteTable({"a", "b"}, 2);
  const TableFileRef l0_old = WriteTable({"c", "x"}, 3);
  const TableFileRef l0_new = WriteTable({"b", "y"}, 4);
  VersionEdit edit;
  edit.AddFile(1, l1_high->meta());
  edit.AddFile(1, l1_low->meta());
  edit.AddFile(0, l0_old->meta());
  edit.AddFile(0, l0_new->meta());

  ASSERT_TRUE(versions_->LogAndApply(&edit, {l1_high, l1_low, l0_old, l0_new}).ok());

  const VersionRef v = versions_->current();
  std::vector<std::vector<std::uint64_t>> expected(kNumLevels);
  expected[0] = {l0_new->meta().number, l0_old->meta().number};
  expected[1] = {l1_low->meta().number, l1_high->meta().number};
  EXPECT_EQ(FileNumbers(*v), expected);
  EXPECT_EQ(v->NumFiles(), 4u);
  EXPECT_EQ(v->LevelBytes(1), l1_low->meta().file_size + l1_high->meta().file_size);
  EXPECT_EQ(v->levels[1][0].get(), l1_low.get());  // the opened file itself, not a copy
}

TEST_F(VersionSetTest, LogAndApplyRecordsTheCountersInTheEdit) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  versions_->SetLastSequence(77);
  VersionEdit edit;
  edit.SetLogNumber(9);

  ASSERT_TRUE(versions_->LogAndApply(&edit, {}).ok());

  EXPECT_EQ(edit.log_number(), 9u);
  EXPECT_EQ(edit.next_file_number(), versions_->next_file_number());
  EXPECT_EQ(edit.last_sequence(), 77u);
  EXPECT_EQ(versions_->log_number(), 9u);
}

TEST_F(VersionSetTest, AnEditWithoutALogNumberKeepsTheLastOne) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  VersionEdit first;
  first.SetLogNumber(5);
  ASSERT_TRUE(versions_->LogAndApply(&first, {}).ok());

  AddTable(0, {"a"}, 1);

  EXPECT_EQ(versions_->log_number(), 5u);
}

TEST_F(VersionSetTest, DeletedFileLeavesTheVersionAndItsFileGoesWithTheLastReader) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  TableFileRef file = AddTable(1, {"a", "b"}, 1);
  const std::string path = TableFileName(kDir, file->meta().number);
  VersionRef reader = versions_->current();
  VersionEdit edit;
  edit.DeleteFile(1, file->meta().number);
  file.reset();

  ASSERT_TRUE(versions_->LogAndApply(&edit, {}).ok());

  EXPECT_EQ(versions_->current()->NumFiles(), 0u);
  EXPECT_TRUE(fs_.FileExists(path));  // the old Version still reads it
  reader.reset();
  EXPECT_FALSE(fs_.FileExists(path));
}

TEST_F(VersionSetTest, FileMovedToAnotherLevelStaysOnDisk) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  TableFileRef file = AddTable(0, {"a", "b"}, 1);
  const std::uint64_t number = file->meta().number;
  const std::string path = TableFileName(kDir, number);
  VersionEdit edit;
  edit.DeleteFile(0, number);
  edit.AddFile(1, file->meta());

  ASSERT_TRUE(versions_->LogAndApply(&edit, {file}).ok());
  file.reset();

  std::vector<std::vector<std::uint64_t>> expected(kNumLevels);
  expected[1] = {number};
  EXPECT_EQ(FileNumbers(*versions_->current()), expected);
  EXPECT_TRUE(fs_.FileExists(path));
}

TEST_F(VersionSetTest, DeletingAFileThatIsNotThereIsCorruptionAndChangesNothing) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  const TableFileRef file = AddTable(1, {"a"}, 1);
  const VersionRef before = versions_->current();
  VersionEdit missing_number;
  missing_number.DeleteFile(1, file->meta().number + 100);
  VersionEdit wrong_level;
  wrong_level.DeleteFile(2, file->meta().number);

  EXPECT_TRUE(versions_->LogAndApply(&missing_number, {}).IsCorruption());
  EXPECT_TRUE(versions_->LogAndApply(&wrong_level, {}).IsCorruption());

  EXPECT_EQ(versions_->current(), before);
  // The refused edits never reached the manifest: it still replays.
  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(false).ok());
  EXPECT_EQ(Metas(*recovered->current()), Metas(*before));
}

TEST_F(VersionSetTest, RecoverReplaysTheManifestToTheSameVersion) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  AddTable(0, {"a", "m"}, 10);
  const TableFileRef gone = AddTable(0, {"c", "d"}, 11);
  AddTable(2, {"e", "f"}, 3);
  AddTable(2, {"b", "c"}, 2);
  VersionEdit edit;
  edit.DeleteFile(0, gone->meta().number);
  edit.SetLogNumber(21);
  versions_->SetLastSequence(1234);
  ASSERT_TRUE(versions_->LogAndApply(&edit, {}).ok());

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(/*paranoid_checks=*/true).ok());

  EXPECT_EQ(Metas(*recovered->current()), Metas(*versions_->current()));
  EXPECT_EQ(FileNumbers(*recovered->current())[0].size(), 1u);
  EXPECT_EQ(FileNumbers(*recovered->current())[2].size(), 2u);
  EXPECT_EQ(recovered->log_number(), 21u);
  EXPECT_EQ(recovered->next_file_number(), versions_->next_file_number());
  EXPECT_EQ(recovered->last_sequence(), 1234u);
  EXPECT_EQ(recovered->manifest_number(), versions_->manifest_number());
}

TEST_F(VersionSetTest, ParanoidRecoverRefusesOverlappingFilesInALevelBelowZero) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  // The manifest accepts the edit (LogAndApply does not check ranges), so the
  // damage is one a replay must catch.
  AddTable(1, {"a", "m"}, 1);
  AddTable(1, {"k", "z"}, 2);

  Status s = NewVersionSet()->Recover(/*paranoid_checks=*/true);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("overlap at level 1"), std::string::npos) << s.ToString();
  EXPECT_TRUE(NewVersionSet()->Recover(/*paranoid_checks=*/false).ok());
}

TEST_F(VersionSetTest, ParanoidRecoverRefusesATableWhoseKeyRangeIsNotTheManifests) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  const TableFileRef file = WriteTable({"b", "c"}, 1);
  FileMetaData wrong = file->meta();
  wrong.largest = InternalKey("y", 1, EntryKind::kPut);  // the table ends at "c"
  VersionEdit edit;
  edit.AddFile(1, wrong);
  ASSERT_TRUE(versions_->LogAndApply(&edit, {file}).ok());

  Status s = NewVersionSet()->Recover(/*paranoid_checks=*/true);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("key range"), std::string::npos) << s.ToString();
  EXPECT_TRUE(NewVersionSet()->Recover(/*paranoid_checks=*/false).ok());
}

TEST_F(VersionSetTest, RecoverReadsNoDataBlock) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; ++i) keys.push_back("key" + std::to_string(100000 + i));
  const TableFileRef file = AddTable(1, keys, 1);
  // A byte in the first data block (at offset 0): no data block is read, so
  // even a paranoid replay opens the table; reading the block reports it.
  ASSERT_TRUE(fs_.CorruptByte(TableFileName(kDir, file->meta().number), 10).ok());

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(/*paranoid_checks=*/true).ok());
  const TableFileRef reopened = recovered->current()->levels[1].front();
  std::shared_ptr<const Table> table;
  ASSERT_TRUE(reopened->GetTable(&table).ok());
  EXPECT_TRUE(table->VerifyAll().IsCorruption());
}

TEST_F(VersionSetTest, ManifestRollsOverPastItsMaximumSizeAndKeepsEveryEdit) {
  versions_ = NewVersionSet(/*max_manifest_file_size=*/512);
  ASSERT_TRUE(versions_->CreateNew().ok());
  const std::uint64_t first = versions_->manifest_number();
  for (int i = 0; i < 40; ++i) {
    AddTable(0, {"k" + std::to_string(100 + i)}, static_cast<SequenceNumber>(i + 1));
  }
  VersionEdit edit;
  edit.SetLogNumber(77);
  ASSERT_TRUE(versions_->LogAndApply(&edit, {}).ok());

  EXPECT_GT(versions_->manifest_number(), first) << "the manifest never rolled over";
  EXPECT_EQ(Manifests(),
            std::vector<std::string>{ManifestFileName("", versions_->manifest_number()).substr(1)})
      << "the old manifests are deleted";
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(CurrentManifest(), &size).ok());
  EXPECT_LT(size, 4096u);

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(/*paranoid_checks=*/true).ok());
  EXPECT_EQ(Metas(*recovered->current()), Metas(*versions_->current()));
  EXPECT_EQ(recovered->current()->levels[0].size(), 40u);
  EXPECT_EQ(recovered->log_number(), 77u);
}

TEST_F(VersionSetTest, EveryEditSurvivesACrashAcrossManifestRollovers) {
  versions_ = NewVersionSet(/*max_manifest_file_size=*/300);
  ASSERT_TRUE(versions_->CreateNew().ok());
  for (int i = 0; i < 20; ++i) AddTable(1, {"k" + std::to_string(100 + i)}, 1);
  const auto want = Metas(*versions_->current());
  fs_.SimulateCrash();

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(/*paranoid_checks=*/true).ok());
  EXPECT_EQ(Metas(*recovered->current()), want);
}

TEST_F(VersionSetTest, RecoveredTablesAreReadable) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  AddTable(1, {"k1", "k2"}, 5);

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(false).ok());

  std::shared_ptr<const Table> table;
  ASSERT_TRUE(recovered->current()->levels[1].at(0)->GetTable(&table).ok());
  Table::GetResult result;
  std::string value;
  ASSERT_TRUE(table->Get("k2", kMaxSequenceNumber, true, &result, &value).ok());
  EXPECT_EQ(result, Table::GetResult::kFound);
  EXPECT_EQ(value, "vk2");
}

TEST_F(VersionSetTest, EveryAppliedEditSurvivesACrash) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  AddTable(0, {"a"}, 1);
  AddTable(1, {"b"}, 2);
  const auto expected = Metas(*versions_->current());
  const std::uint64_t next_file_number = versions_->next_file_number();

  fs_.SimulateCrash();
  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(false).ok());

  EXPECT_EQ(Metas(*recovered->current()), expected);
  EXPECT_EQ(recovered->next_file_number(), next_file_number);
}

TEST_F(VersionSetTest, RecoverWithoutCurrentFails) {
  auto recovered = NewVersionSet();

  EXPECT_FALSE(recovered->Recover(false).ok());
}

TEST_F(VersionSetTest, RecoverOfAManifestNamingAMissingTableIsCorruption) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  const TableFileRef file = AddTable(1, {"a"}, 1);
  ASSERT_TRUE(fs_.RemoveFile(TableFileName(kDir, file->meta().number)).ok());

  auto recovered = NewVersionSet();
  EXPECT_TRUE(recovered->Recover(false).IsCorruption());
}

TEST_F(VersionSetTest, RecoverOfAManifestDeletingAFileThatIsNotThereIsCorruption) {
  // A manifest written by hand: a valid empty snapshot, then an edit deleting
  // table 7, which no edit added.
  VersionEdit snapshot;
  snapshot.SetComparatorName(kBytewiseComparatorName);
  snapshot.SetLogNumber(0);
  snapshot.SetNextFileNumber(10);
  snapshot.SetLastSequence(0);
  VersionEdit bad;
  bad.DeleteFile(1, 7);
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(ManifestFileName(kDir, 3), &file).ok());
    LogWriter log(file.get());
    std::string record;
    snapshot.EncodeTo(&record);
    ASSERT_TRUE(log.AddRecord(record).ok());
    record.clear();
    bad.EncodeTo(&record);
    ASSERT_TRUE(log.AddRecord(record).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 3).ok());

  EXPECT_TRUE(versions_->Recover(false).IsCorruption());
}

TEST_F(VersionSetTest, NewFileNumberHandsOutEachNumberOnce) {
  const std::uint64_t first = versions_->NewFileNumber();
  const std::uint64_t second = versions_->NewFileNumber();

  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(versions_->next_file_number(), second + 1);
}

TEST_F(VersionSetTest, MarkFileNumberUsedRaisesTheNextNumberButNeverLowersIt) {
  const std::uint64_t start = versions_->next_file_number();

  versions_->MarkFileNumberUsed(start + 10);
  EXPECT_EQ(versions_->next_file_number(), start + 11);
  versions_->MarkFileNumberUsed(start);
  EXPECT_EQ(versions_->next_file_number(), start + 11);
  EXPECT_EQ(versions_->NewFileNumber(), start + 11);
}

TEST_F(VersionSetTest, WriteSnapshotStartsANewManifestHoldingTheWholeState) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  AddTable(0, {"a"}, 1);
  const TableFileRef moved = AddTable(0, {"b"}, 2);
  const std::uint64_t old_manifest = versions_->manifest_number();
  const std::string old_manifest_path = CurrentManifest();
  VersionEdit edit;
  edit.SetLogNumber(17);
  edit.DeleteFile(0, moved->meta().number);
  edit.AddFile(3, moved->meta());

  ASSERT_TRUE(versions_->WriteSnapshot(&edit, {moved}).ok());

  EXPECT_GT(versions_->manifest_number(), old_manifest);
  EXPECT_EQ(CurrentManifest(), ManifestFileName(kDir, versions_->manifest_number()));
  EXPECT_TRUE(fs_.FileExists(old_manifest_path));  // left for the caller to delete
  EXPECT_EQ(versions_->log_number(), 17u);
  EXPECT_EQ(versions_->current()->levels[3].size(), 1u);
  // The new manifest alone rebuilds the state.
  ASSERT_TRUE(fs_.RemoveFile(old_manifest_path).ok());
  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(false).ok());
  EXPECT_EQ(Metas(*recovered->current()), Metas(*versions_->current()));
  EXPECT_EQ(recovered->log_number(), 17u);
}

TEST_F(VersionSetTest, EditsAfterWriteSnapshotGoToTheNewManifest) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  VersionEdit snapshot_edit;
  ASSERT_TRUE(versions_->WriteSnapshot(&snapshot_edit, {}).ok());

  AddTable(2, {"z"}, 4);

  auto recovered = NewVersionSet();
  ASSERT_TRUE(recovered->Recover(false).ok());
  EXPECT_EQ(recovered->manifest_number(), versions_->manifest_number());
  EXPECT_EQ(Metas(*recovered->current()), Metas(*versions_->current()));
  EXPECT_EQ(recovered->current()->levels[2].size(), 1u);
}

// With a table cache (max_open_files): at most its capacity of readers stay
// open, evicted ones reopen on demand, Recover opens none (but still finds a
// missing file), each file is checked at its first use and a failed open is
// not remembered, and a file's reader leaves the cache with its TableFile.
TEST_F(VersionSetTest, ATableCacheKeepsAtMostItsCapacityOpenAndEveryFileReads) {
  versions_ = NewVersionSet(1 << 30, /*table_cache_capacity=*/2);
  ASSERT_TRUE(versions_->CreateNew().ok());
  for (int i = 0; i < 5; ++i) AddTable(1, {"k" + std::to_string(i)}, 1);
  EXPECT_EQ(versions_->table_cache()->size(), 2u);
  EXPECT_EQ(versions_->table_cache()->evictions(), 3u);
  const VersionRef version = versions_->current();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5; ++i) ExpectReadable(*version->levels[1].at(i), "k" + std::to_string(i));
    EXPECT_LE(versions_->table_cache()->size(), 2u);
  }
  // A reader handed out stays usable after its eviction.
  std::shared_ptr<const Table> held;
  ASSERT_TRUE(version->levels[1].at(0)->GetTable(&held).ok());
  for (int i = 1; i < 5; ++i) ExpectReadable(*version->levels[1].at(i), "k" + std::to_string(i));
  Table::GetResult result;
  ASSERT_TRUE(held->Get("k0", kMaxSequenceNumber, true, &result, nullptr).ok());
  EXPECT_EQ(result, Table::GetResult::kFound);
}

// A flush's or compaction's output charges what its builder holds (the
// filter's key hashes and the index grow with the file) to the DB's budget
// until the file is finished; before, nothing of it was charged.
TEST_F(VersionSetTest, ATableOutputChargesItsBuilderToTheBudgetUntilTheFileIsDone) {
  MemoryBudget budget(64 << 20);
  auto versions = std::make_unique<VersionSet>(kDir, &fs_, TableOptions{}, nullptr, 1 << 30,
                                               TableCache::kUnlimited, true, &budget);
  ASSERT_TRUE(versions->CreateNew().ok());
  TableOutput out(versions.get(), versions->table_options());
  constexpr int kKeys = 100000;  // 800 KB of filter hashes alone
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(out.Add(InternalKey(KeyFor(i), 1, EntryKind::kPut), "v").ok());
  }
  const std::size_t charged = budget.charged(MemoryBudget::Consumer::kCompaction);
  EXPECT_GE(charged, std::size_t{kKeys} * 8);
  EXPECT_EQ(charged % TableOutput::kChargeStep, 0u);
  EXPECT_LE(charged, std::size_t{4} << 20);
  ASSERT_TRUE(out.Finish().ok());
  EXPECT_EQ(budget.charged(MemoryBudget::Consumer::kCompaction), 0u);
  EXPECT_EQ(versions->table_cache()->uncharged_job_bytes(), 0u);
  ASSERT_EQ(out.files().size(), 1u);
  EXPECT_EQ(out.files().front().first.number, out.files().front().second->meta().number);
}

// With the budget full (and nothing to free), the output goes on uncharged:
// a flush or compaction gives memory back, so it never fails for lack of it.
TEST_F(VersionSetTest, ATableOutputTheBudgetHasNoRoomForGoesOnUncharged) {
  MemoryBudget budget(1 << 20);
  ASSERT_TRUE(budget.TryCharge(MemoryBudget::Consumer::kOther, 1 << 20));
  {
    auto versions = std::make_unique<VersionSet>(kDir, &fs_, TableOptions{}, nullptr, 1 << 30,
                                                 TableCache::kUnlimited, true, &budget);
    ASSERT_TRUE(versions->CreateNew().ok());
    TableOutput out(versions.get(), versions->table_options());
    for (int i = 0; i < 100000; ++i) {
      ASSERT_TRUE(out.Add(InternalKey(KeyFor(i), 1, EntryKind::kPut), "v").ok());
    }
    EXPECT_EQ(budget.charged(MemoryBudget::Consumer::kCompaction), 0u);
    EXPECT_GE(versions->table_cache()->uncharged_job_bytes(), std::uint64_t{800000});
    ASSERT_TRUE(out.Finish().ok());
    EXPECT_EQ(out.files().size(), 1u);
  }
  budget.Release(MemoryBudget::Consumer::kOther, 1 << 20);
}

TEST_F(VersionSetTest, WithATableCacheRecoverOpensNoTableAndEachIsCheckedAtFirstUse) {
  ASSERT_TRUE(versions_->CreateNew().ok());
  const TableFileRef good = AddTable(1, {"a"}, 1);
  const TableFileRef damaged = AddTable(1, {"m"}, 2);
  const TableFileRef ranged = WriteTable({"x"}, 3);
  FileMetaData wrong = ranged->meta();
  wrong.largest = InternalKey("z", 3, EntryKind::kPut);  // the table ends at "x"
  VersionEdit edit;
  edit.AddFile(1, wrong);
  ASSERT_TRUE(versions_->LogAndApply(&edit, {ranged}).ok());
  const std::string damaged_path = TableFileName(kDir, damaged->meta().number);
  ASSERT_TRUE(fs_.CorruptByte(damaged_path, damaged->meta().file_size - 3).ok());  // footer

  EXPECT_TRUE(NewVersionSet()->Recover(/*paranoid_checks=*/true).IsCorruption());
  auto recovered = NewVersionSet(1 << 30, /*table_cache_capacity=*/4);
  ASSERT_TRUE(recovered->Recover(/*paranoid_checks=*/true).ok());
  EXPECT_EQ(recovered->table_cache()->opens(), 0u);
  const auto& files = recovered->current()->levels[1];
  ASSERT_EQ(files.size(), 3u);
  ExpectReadable(*files[0], "a");
  for (int attempt = 0; attempt < 2; ++attempt) {  // a failure is not cached: it is retried
    std::shared_ptr<const Table> table;
    Status s = files[1]->GetTable(&table);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find(damaged_path), std::string::npos) << s.ToString();
    s = files[2]->GetTable(&table);
    EXPECT_NE(s.message().find("key range"), std::string::npos) << s.ToString();
    EXPECT_TRUE(files[1]->NewIterator(true)->status().IsCorruption());
  }
  EXPECT_EQ(recovered->table_cache()->size(), 1u);

  // A missing file is still found at Recover.
  ASSERT_TRUE(fs_.RemoveFile(TableFileName(kDir, good->meta().number)).ok());
  EXPECT_TRUE(NewVersionSet(1 << 30, 4)->Recover(false).IsCorruption());
}

TEST_F(VersionSetTest, AFilesReaderLeavesTheTableCacheWithIt) {
  versions_ = NewVersionSet(1 << 30, /*table_cache_capacity=*/4);
  ASSERT_TRUE(versions_->CreateNew().ok());
  TableFileRef file = AddTable(1, {"a", "b"}, 1);
  AddTable(1, {"c"}, 1);
  EXPECT_EQ(versions_->table_cache()->size(), 2u);
  VersionEdit edit;
  edit.DeleteFile(1, file->meta().number);
  file.reset();
  ASSERT_TRUE(versions_->LogAndApply(&edit, {}).ok());
  EXPECT_EQ(versions_->table_cache()->size(), 1u);
}

}  // namespace
}  // namespace arenakv
