// SPDX-License-Identifier: Apache-2.0
// NewLevelIterator (mvcc/version/level_iterator.h): one iterator over a
// sorted run of table files, moving in both directions across file
// boundaries, with seeks landing in the right file, and never valid over an
// empty list of files.
#include "mvcc/version/level_iterator.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/compaction/table_output.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_set.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr const char* kDir = "/db";

class LevelIteratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
    // Three files: [a@3 a@1 b@2] [d@5 e@4] [g@6 h@7 h@2]. "c" and "f" fall
    // between files.
    AddFile({InternalKey("a", 3, EntryKind::kPut), InternalKey("a", 1, EntryKind::kPut),
             InternalKey("b", 2, EntryKind::kDelete)});
    AddFile({InternalKey("d", 5, EntryKind::kPut), InternalKey("e", 4, EntryKind::kPut)});
    AddFile({InternalKey("g", 6, EntryKind::kPut), InternalKey("h", 7, EntryKind::kPut),
             InternalKey("h", 2, EntryKind::kPut)});
  }

  // Writes one table of `keys` (sorted internal keys; value = "value of " +
  // user key and sequence) and appends it to the run.
  void AddFile(const std::vector<std::string>& keys) {
    TableOutput out(&versions_, versions_.table_options());
    for (const std::string& key : keys) {
      ASSERT_TRUE(out.Add(key, ValueOf(key)).ok());
      all_.push_back(key);
    }
    ASSERT_TRUE(out.Finish().ok());
    ASSERT_EQ(out.files().size(), 1u);
    files_.push_back(out.files().front().second);
  }

  static std::string ValueOf(const std::string& key) {
    return "value of " + std::string(ExtractUserKey(key)) +
           std::to_string(ExtractTrailer(key) >> 8);
  }

  std::unique_ptr<InternalIterator> NewIterator() { return NewLevelIterator(files_, true); }

  MemFileSystem fs_;
  VersionSet versions_{kDir, &fs_, TableOptions{}, nullptr};
  std::vector<TableFileRef> files_;
  std::vector<std::string> all_;  // every key of the run, in order
};

// A key that sorts after every version of `user_key` and before the next user key.
std::string AfterAll(const std::string& user_key) {
  return InternalKey(user_key, 0, EntryKind::kDelete);
}
// A key that sorts before every version of `user_key`.
std::string BeforeAll(const std::string& user_key) {
  return InternalKey(user_key, kMaxSequenceNumber, kKindForSeek);
}

TEST_F(LevelIteratorTest, ForwardScanYieldsEveryEntryOfEveryFileInOrder) {
  auto iter = NewIterator();
  std::vector<std::string> keys;

  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    keys.emplace_back(iter->key());
    EXPECT_EQ(iter->value(), ValueOf(keys.back()));
  }

  EXPECT_TRUE(iter->status().ok());
  EXPECT_EQ(keys, all_);
}

TEST_F(LevelIteratorTest, BackwardScanYieldsEveryEntryOfEveryFileInReverse) {
  auto iter = NewIterator();
  std::vector<std::string> keys;

  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) keys.emplace_back(iter->key());

  EXPECT_TRUE(iter->status().ok());
  EXPECT_EQ(keys, std::vector<std::string>(all_.rbegin(), all_.rend()));
}

TEST_F(LevelIteratorTest, SeekLandsOnTheFirstEntryAtOrAfterTheTarget) {
  auto iter = NewIterator();

  iter->Seek(BeforeAll("e"));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("e", 4, EntryKind::kPut));

  iter->Seek(InternalKey("a", 2, kKindForSeek));  // between the two versions of "a"
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("a", 1, EntryKind::kPut));

  iter->Seek(BeforeAll("0"));  // before the first file
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("a", 3, EntryKind::kPut));
}

TEST_F(LevelIteratorTest, SeekBetweenFilesLandsOnTheNextFilesFirstEntry) {
  auto iter = NewIterator();

  iter->Seek(BeforeAll("c"));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("d", 5, EntryKind::kPut));

  iter->Seek(AfterAll("e"));  // after the last entry of the middle file
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("g", 6, EntryKind::kPut));
}

TEST_F(LevelIteratorTest, SeekPastTheLastEntryIsNotValid) {
  auto iter = NewIterator();

  iter->Seek(AfterAll("h"));

  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(LevelIteratorTest, SeekForPrevLandsOnTheLastEntryAtOrBeforeTheTarget) {
  auto iter = NewIterator();

  iter->SeekForPrev(InternalKey("h", 7, EntryKind::kPut));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("h", 7, EntryKind::kPut));

  iter->SeekForPrev(AfterAll("c"));  // between the first and the middle file
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("b", 2, EntryKind::kDelete));

  iter->SeekForPrev(BeforeAll("g"));  // before the last file's first entry
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("e", 4, EntryKind::kPut));

  iter->SeekForPrev(BeforeAll("z"));  // past the end
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("h", 2, EntryKind::kPut));
}

TEST_F(LevelIteratorTest, SeekForPrevBeforeTheFirstEntryIsNotValid) {
  auto iter = NewIterator();

  iter->SeekForPrev(BeforeAll("a"));

  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(LevelIteratorTest, NextFromAFilesLastEntryMovesToTheNextFile) {
  auto iter = NewIterator();
  iter->SeekForPrev(AfterAll("b"));
  ASSERT_TRUE(iter->Valid());

  iter->Next();

  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("d", 5, EntryKind::kPut));
}

TEST_F(LevelIteratorTest, PrevFromAFilesFirstEntryMovesToThePreviousFile) {
  auto iter = NewIterator();
  iter->Seek(BeforeAll("g"));
  ASSERT_TRUE(iter->Valid());

  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("e", 4, EntryKind::kPut));
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("d", 5, EntryKind::kPut));
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("b", 2, EntryKind::kDelete));
}

TEST_F(LevelIteratorTest, PrevFromTheFirstEntryAndNextFromTheLastLeaveTheRun) {
  auto iter = NewIterator();

  iter->SeekToFirst();
  iter->Prev();
  EXPECT_FALSE(iter->Valid());

  iter->SeekToLast();
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(LevelIteratorTest, DirectionChangesAcrossABoundaryRevisitTheSameEntries) {
  auto iter = NewIterator();
  iter->Seek(BeforeAll("d"));

  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("b", 2, EntryKind::kDelete));
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("d", 5, EntryKind::kPut));
  EXPECT_EQ(iter->value(), "value of d5");
}

TEST_F(LevelIteratorTest, EmptyFileListIsNeverValid) {
  auto iter = NewLevelIterator({}, true);

  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(BeforeAll("a"));
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(BeforeAll("z"));
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(LevelIteratorTest, OneFileRunBehavesLikeTheFile) {
  auto iter = NewLevelIterator({files_[1]}, true);
  std::vector<std::string> keys;

  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) keys.emplace_back(iter->key());
  EXPECT_EQ(keys, (std::vector<std::string>{InternalKey("d", 5, EntryKind::kPut),
                                            InternalKey("e", 4, EntryKind::kPut)}));
  iter->Seek(BeforeAll("a"));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("d", 5, EntryKind::kPut));
  iter->SeekForPrev(BeforeAll("z"));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("e", 4, EntryKind::kPut));
}

}  // namespace
}  // namespace arenakv
