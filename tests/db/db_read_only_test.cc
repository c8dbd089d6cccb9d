// SPDX-License-Identifier: Apache-2.0
// DB::OpenForReadOnly, black-box on a MemFileSystem: it reads what the
// writer's tables and WALs hold while the writer keeps the DB open, writes
// nothing (the directory is byte for byte the same afterwards), refuses
// writes with NotSupported, keeps WAL contents larger than a memtable in
// memory, and sees nothing written after it opened.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/util/sync_point.h"
#include "tests/support/db_files.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::Capture;
using test::Image;
using test::KeyFor;
using test::ScanForward;

constexpr const char* kDir = "/db";

class DbReadOnlyTest : public ::testing::Test {
 protected:
  DbReadOnlyTest() { options_.file_system = &fs_; }
  void OpenWriter() {
    writer_.reset();
    Status s = DB::Open(options_, kDir, &writer_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<DB> OpenReader(const Options& options) {
    std::unique_ptr<DB> db;
    Status s = DB::OpenForReadOnly(options, kDir, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return db;
  }

  MemFileSystem fs_;
  Options options_;
  std::unique_ptr<DB> writer_;
};

TEST_F(DbReadOnlyTest, ReadsTablesAndWalsBesideAWriterAndWritesNothing) {
  OpenWriter();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(writer_->Put({}, KeyFor(i), "table").ok());
  ASSERT_TRUE(writer_->Flush().ok());
  for (int i = 200; i < 400; ++i) ASSERT_TRUE(writer_->Put({}, KeyFor(i), "wal").ok());
  ASSERT_TRUE(writer_->Delete({}, KeyFor(0)).ok());

  const Image before = Capture(&fs_, kDir);
  {
    std::unique_ptr<DB> reader = OpenReader(options_);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(test::GetOrNotFound(reader.get(), KeyFor(0)), "NOT_FOUND");
    EXPECT_EQ(test::GetOrNotFound(reader.get(), KeyFor(1)), "table");
    EXPECT_EQ(test::GetOrNotFound(reader.get(), KeyFor(250)), "wal");
    EXPECT_EQ(ScanForward(reader.get()).size(), 399u);
    EXPECT_TRUE(reader->Put({}, "x", "y").IsNotSupported());
    EXPECT_TRUE(reader->Delete({}, "x").IsNotSupported());
    WriteBatch batch;
    batch.Put("x", "y");
    EXPECT_TRUE(reader->Write({}, &batch).IsNotSupported());
    EXPECT_TRUE(reader->Flush().IsNotSupported());
    EXPECT_TRUE(reader->CompactRange(std::nullopt, std::nullopt).IsNotSupported());
    EXPECT_TRUE(reader->VerifyChecksum().ok());
    EXPECT_TRUE(reader->VerifyChecksum(ReadOptions{}).ok());
    // The writer goes on; the reader does not see it.
    ASSERT_TRUE(writer_->Put({}, "later", "1").ok());
    EXPECT_EQ(test::GetOrNotFound(reader.get(), "later"), "NOT_FOUND");
    ASSERT_TRUE(writer_->Delete({}, "later").ok());
    EXPECT_TRUE(reader->Close().ok());
  }
  // Nothing the reader did changed a file (the writer's two writes since
  // went to its WAL alone).
  Image after = Capture(&fs_, kDir);
  for (const auto& [name, contents] : before) {
    ASSERT_TRUE(after.contains(name)) << name << " is gone";
    if (!name.ends_with(".log")) {
      EXPECT_EQ(after.at(name), contents) << name;
    }
  }
  EXPECT_EQ(after.size(), before.size());
}

// The writer flushes (deleting the log the reader's manifest names, and
// writing a new manifest) right after the reader read its manifest: the
// reader's first attempt sees a sequence gap; it opens again on the newer
// files and sees everything. (It reported Corruption before.)
TEST_F(DbReadOnlyTest, AWriterMovingOnDuringTheOpenIsNotCorruption) {
  OpenWriter();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer_->Put({}, KeyFor(i), "v").ok());
  std::atomic<int> calls{0};
  SyncPoint::Get()->SetCallBack("DBImpl::Recover:ManifestRead", [&](void*) {
    if (calls.fetch_add(1) > 0) return;
    EXPECT_TRUE(writer_->Flush().ok());
    EXPECT_TRUE(writer_->Put({}, "later", "x").ok());
  });
  SyncPoint::Get()->EnableProcessing();
  std::unique_ptr<DB> reader;
  Status s = DB::OpenForReadOnly(options_, kDir, &reader);
  SyncPoint::Get()->DisableProcessing();
  SyncPoint::Get()->ClearAll();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(calls.load(), 2);
  EXPECT_EQ(ScanForward(reader.get()).size(), 101u);
}

TEST_F(DbReadOnlyTest, NoDbIsInvalidArgumentAndCreatesNothing) {
  std::unique_ptr<DB> db;
  Status s = DB::OpenForReadOnly(options_, kDir, &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(fs_.CheckDirectory(kDir).IsNotFound());
  ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
  s = DB::OpenForReadOnly(options_, kDir, &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren(kDir, &names).ok());
  EXPECT_TRUE(names.empty());
}

// More WAL than one memtable holds: the reader keeps every replayed memtable
// (it may not flush) and reads across them in both directions.
TEST_F(DbReadOnlyTest, KeepsWalContentsLargerThanAMemtableInMemory) {
  OpenWriter();  // 64 MiB write buffer: everything stays in the WAL
  test::Model model;
  const std::string value(1000, 'v');
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(writer_->Put({}, KeyFor(i * 7919 % 2000), value + std::to_string(i)).ok());
    model.Put(KeyFor(i * 7919 % 2000), value + std::to_string(i));
  }
  writer_.reset();
  const Image before = Capture(&fs_, kDir);
  Options small = options_;
  small.write_buffer_size = test::kSmallWriteBuffer;
  std::unique_ptr<DB> reader = OpenReader(small);
  ASSERT_NE(reader, nullptr);
  std::string stats;
  ASSERT_TRUE(reader->GetProperty("arenakv.memtable.arena-stats", &stats));
  EXPECT_GT(test::ParseProperty(stats).at("immutable_memtables"), 1u) << stats;
  test::ExpectMatches(reader.get(), model);
  reader.reset();
  EXPECT_EQ(Capture(&fs_, kDir), before);
}

// A damaged WAL: point in time reads the prefix and leaves the WAL as it is
// (a writable Open would replace it), so the writer's own Open decides later.
TEST_F(DbReadOnlyTest, DamagedWalIsReadAsAPrefixAndLeftAlone) {
  OpenWriter();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(writer_->Put({}, KeyFor(i), std::string(100, 'v')).ok());
  writer_.reset();
  std::string wal;
  for (const auto& [name, contents] : Capture(&fs_, kDir)) {
    if (name.ends_with(".log") && !contents.empty()) wal = name;
  }
  ASSERT_FALSE(wal.empty());
  ASSERT_TRUE(fs_.CorruptByte(std::string(kDir) + "/" + wal, 5000).ok());
  const Image before = Capture(&fs_, kDir);
  std::unique_ptr<DB> reader = OpenReader(options_);
  ASSERT_NE(reader, nullptr);
  const std::size_t seen = ScanForward(reader.get()).size();
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, 100u);
  reader.reset();
  EXPECT_EQ(Capture(&fs_, kDir), before);
  Options absolute = options_;
  absolute.wal_recovery_mode = WALRecoveryMode::kAbsoluteConsistency;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::OpenForReadOnly(absolute, kDir, &db).IsCorruption());
}

}  // namespace
}  // namespace arenakv
