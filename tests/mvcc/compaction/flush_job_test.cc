// SPDX-License-Identifier: Apache-2.0
// FlushJob (mvcc/compaction/flush_job.h): writes an immutable memtable to one
// level-0 table, keeping each key's newest version and the newest version
// each live snapshot sees; tombstones and sequences stay as they are (a
// level-0 file is never the bottom); an empty memtable writes no file.
#include "mvcc/compaction/flush_job.h"

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/env/filename.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_set.h"
#include "tests/mvcc/compaction/table_rows.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr const char* kDir = "/db";

class FlushJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
    ASSERT_TRUE(versions_.CreateNew().ok());
  }

  // An immutable memtable holding `rows` (any order).
  static MemTableRef Memtable(const std::vector<Row>& rows) {
    MemTableRef mem = MemTable::Create(1 << 20, 16 << 20);
    for (const Row& row : rows) {
      EXPECT_TRUE(mem->Add(row.sequence, row.kind, row.user_key, row.value).ok());
    }
    mem->MarkImmutable();
    return mem;
  }

  Status Flush(const MemTableRef& mem, std::vector<SequenceNumber> sequences, TableFileRef* file,
               FileMetaData* meta) {
    return FlushJob(&versions_, versions_.table_options(), mem, std::move(sequences))
        .Run(file, meta);
  }

  std::vector<std::string> TableFiles() {
    std::vector<std::string> names, tables;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const std::string& name : names) {
      std::uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type == FileType::kTable) tables.push_back(name);
    }
    return tables;
  }

  MemFileSystem fs_;
  VersionSet versions_{kDir, &fs_, TableOptions{}, nullptr};
};

TEST_F(FlushJobTest, WithoutSnapshotsOnlyEachKeysNewestVersionIsWritten) {
  const MemTableRef mem =
      Memtable({Put("a", 1, "a1"), Put("b", 2, "b2"), Put("a", 3, "a3"), Del("b", 4)});
  TableFileRef file;
  FileMetaData meta;

  ASSERT_TRUE(Flush(mem, {kMaxSequenceNumber}, &file, &meta).ok());

  ASSERT_NE(file, nullptr);
  EXPECT_EQ(Rows(*file), (std::vector<Row>{Put("a", 3, "a3"), Del("b", 4)}));
  EXPECT_EQ(meta.number, file->meta().number);
  EXPECT_EQ(ExtractUserKey(meta.smallest), "a");
  EXPECT_EQ(ExtractUserKey(meta.largest), "b");
  EXPECT_EQ(TableFiles(), std::vector<std::string>{TableFileName("", meta.number).substr(1)});
}

TEST_F(FlushJobTest, TheVersionEachSnapshotSeesIsKept) {
  const MemTableRef mem =
      Memtable({Put("a", 1, "a1"), Put("a", 2, "a2"), Put("a", 5, "a5"), Put("a", 7, "a7")});
  TableFileRef file;
  FileMetaData meta;

  // Readers at 2 (a snapshot), 5 (another) and 9 (the newest sequence).
  ASSERT_TRUE(Flush(mem, {2, 5, 9}, &file, &meta).ok());

  ASSERT_NE(file, nullptr);
  EXPECT_EQ(Rows(*file),
            (std::vector<Row>{Put("a", 7, "a7"), Put("a", 5, "a5"), Put("a", 2, "a2")}));
}

TEST_F(FlushJobTest, TombstonesAndSequencesStayAsTheyAre) {
  // Every reader sees these, but level 0 is never the bottom: a flush keeps
  // the tombstone (older tables may hold the key) and the put's sequence.
  const MemTableRef mem = Memtable({Put("a", 3, "a3"), Del("b", 4)});
  TableFileRef file;
  FileMetaData meta;

  ASSERT_TRUE(Flush(mem, {100}, &file, &meta).ok());

  ASSERT_NE(file, nullptr);
  EXPECT_EQ(Rows(*file), (std::vector<Row>{Put("a", 3, "a3"), Del("b", 4)}));
}

TEST_F(FlushJobTest, AnEmptyMemtableWritesNoFile) {
  const MemTableRef mem = Memtable({});
  TableFileRef file;
  FileMetaData meta;

  ASSERT_TRUE(Flush(mem, {kMaxSequenceNumber}, &file, &meta).ok());

  EXPECT_EQ(file, nullptr);
  EXPECT_TRUE(TableFiles().empty());
}

}  // namespace
}  // namespace arenakv
