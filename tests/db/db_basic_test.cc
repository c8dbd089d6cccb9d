// SPDX-License-Identifier: Apache-2.0
// DB basics, black-box through mvcc/include/arenakv/mvcc/db.h: point reads and
// writes, the bytes keys and values may hold, size limits, WriteBatch
// atomicity, Open's argument and directory checks, reopen, snapshots,
// properties and DestroyDB. Most tests run on a MemFileSystem; the ones about
// the LOCK file and directories also run on the POSIX file system.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <sstream>
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

using test::ExpectMatches;
using test::KeyFor;
using test::Model;
using test::ScanForward;

class DbBasicTest : public ::testing::Test {
 protected:
  DbBasicTest() { options_.file_system = &fs_; }

  Status TryOpen() {
    db_.reset();
    return DB::Open(options_, kPath, &db_);
  }
  void Open() {
    Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(db_, nullptr);
  }
  void Reopen() {
    db_.reset();
    Open();
  }

  Status Put(std::string_view key, std::string_view value) { return db_->Put({}, key, value); }
  Status Delete(std::string_view key) { return db_->Delete({}, key); }
  // The value, "NOT_FOUND", or the error.
  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    return test::GetOrNotFound(db_.get(), key, snapshot);
  }

  static constexpr const char* kPath = "/db";
  MemFileSystem fs_;  // declared before db_: outlives it
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DbBasicTest, PutGetOverwriteDelete) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(Put("a", "2").ok());
  EXPECT_EQ(Get("a"), "2");
  ASSERT_TRUE(Put("b", "3").ok());
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "3");
  // Deleting an absent key is not an error, and a put after a delete wins.
  ASSERT_TRUE(Delete("never-written").ok());
  EXPECT_EQ(Get("never-written"), "NOT_FOUND");
  ASSERT_TRUE(Put("a", "4").ok());
  EXPECT_EQ(Get("a"), "4");
}

TEST_F(DbBasicTest, GetOfAbsentKeyIsNotFoundAndLeavesValueAlone) {
  Open();
  std::string value = "untouched";
  Status s = db_->Get({}, "missing", &value);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

TEST_F(DbBasicTest, BinaryKeysWithNulBytesAreDistinctAndOrderedBytewise) {
  Open();
  const std::vector<std::string> keys = {
      std::string("\0", 1),   std::string("\0\0", 2),     std::string("a"),
      std::string("a\0", 2),  std::string("a\0b", 3),     std::string("a\x01", 2),
      std::string("ab"),      std::string("\x7f"),        std::string("\x80"),
      std::string("\xff", 1), std::string("\xff\xff", 2), std::string("\xff\0\xff", 3),
  };
  Model model;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string value = "v" + std::to_string(i) + std::string("\0tail", 5);
    ASSERT_TRUE(Put(keys[i], value).ok());
    model.Put(keys[i], value);
  }
  // Bytewise unsigned order, spelled out (not via std::string's operator<).
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end(), [](const std::string& x, const std::string& y) {
    const std::size_t n = std::min(x.size(), y.size());
    const int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
    return c != 0 ? c < 0 : x.size() < y.size();
  });
  auto scanned = ScanForward(db_.get());
  ASSERT_EQ(scanned.size(), sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(scanned[i].first, sorted[i]) << i;
  ExpectMatches(db_.get(), model);
  ASSERT_TRUE(db_->Flush().ok());
  ExpectMatches(db_.get(), model);
  Reopen();
  ExpectMatches(db_.get(), model);
}

TEST_F(DbBasicTest, EmptyKeyAndEmptyValueAreLegal) {
  Open();
  ASSERT_TRUE(Put("", "value-of-empty-key").ok());
  ASSERT_TRUE(Put("k", "").ok());
  EXPECT_EQ(Get(""), "value-of-empty-key");
  std::string value = "not empty";
  ASSERT_TRUE(db_->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "");
  auto scanned = ScanForward(db_.get());
  ASSERT_EQ(scanned.size(), 2u);
  EXPECT_EQ(scanned[0].first, "");  // the empty key sorts first
  EXPECT_EQ(scanned[1].second, "");
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get(""), "value-of-empty-key");
  ASSERT_TRUE(db_->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "");
  ASSERT_TRUE(Delete("").ok());
  EXPECT_EQ(Get(""), "NOT_FOUND");
  Reopen();
  EXPECT_EQ(Get(""), "NOT_FOUND");
  ASSERT_TRUE(db_->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "");
}

TEST_F(DbBasicTest, LargeValuesSurviveFlushAndReopen) {
  Open();
  std::mt19937_64 rng(7);
  const std::string big = test::RandomBytes(rng, (1 << 20) + 17);  // spans many SST blocks
  const std::string medium = test::RandomBytes(rng, 100'000);
  ASSERT_TRUE(Put("big", big).ok());
  ASSERT_TRUE(Put("medium", medium).ok());
  EXPECT_EQ(Get("big"), big);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get("big"), big);
  EXPECT_EQ(Get("medium"), medium);
  Reopen();
  EXPECT_EQ(Get("big"), big);
  EXPECT_EQ(Get("medium"), medium);
}

TEST_F(DbBasicTest, OversizedKeyIsInvalidArgumentAndWritesNothing) {
  options_.max_key_size = 16;
  Open();
  const std::string max_key(16, 'k');
  const std::string long_key(17, 'k');
  ASSERT_TRUE(Put(max_key, "ok").ok());
  Status s = Put(long_key, "v");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get(long_key), "NOT_FOUND");
  s = Delete(long_key);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get(max_key), "ok");
  ASSERT_TRUE(Delete(max_key).ok());
  EXPECT_EQ(Get(max_key), "NOT_FOUND");
}

TEST_F(DbBasicTest, OversizedValueIsInvalidArgumentAndWritesNothing) {
  options_.max_value_size = 100;
  Open();
  ASSERT_TRUE(Put("k", std::string(100, 'v')).ok());
  Status s = Put("k", std::string(101, 'w'));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get("k"), std::string(100, 'v'));
  s = Put("other", std::string(101, 'w'));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get("other"), "NOT_FOUND");
  Reopen();  // nothing of the refused writes reached the WAL either
  EXPECT_EQ(Get("k"), std::string(100, 'v'));
  EXPECT_EQ(Get("other"), "NOT_FOUND");
}

// The same for a value large enough to be written from the caller's buffer
// (mvcc/db/outside_value.h): its size is checked although its batch holds
// none of it.
TEST_F(DbBasicTest, OversizedLargeValueIsInvalidArgumentAndWritesNothing) {
  options_.max_value_size = 200 << 10;
  Open();
  ASSERT_TRUE(Put("k", std::string(200 << 10, 'v')).ok());
  const Status s = Put("k", std::string((200 << 10) + 1, 'w'));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get("k"), std::string(200 << 10, 'v'));
  Reopen();
  EXPECT_EQ(Get("k"), std::string(200 << 10, 'v'));
}

TEST_F(DbBasicTest, BatchWithOneOversizedEntryWritesNone) {
  options_.max_key_size = 8;
  options_.max_value_size = 8;
  Open();
  ASSERT_TRUE(Put("keep", "old").ok());

  WriteBatch bad_value;
  bad_value.Put("a", "1");
  bad_value.Delete("keep");
  bad_value.Put("b", std::string(9, 'x'));
  Status s = db_->Write({}, &bad_value);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  WriteBatch bad_delete;
  bad_delete.Put("c", "3");
  bad_delete.Delete(std::string(9, 'k'));
  s = db_->Write({}, &bad_delete);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  for (const char* key : {"a", "b", "c"}) EXPECT_EQ(Get(key), "NOT_FOUND") << key;
  EXPECT_EQ(Get("keep"), "old");
  Reopen();
  for (const char* key : {"a", "b", "c"}) EXPECT_EQ(Get(key), "NOT_FOUND") << key;
  EXPECT_EQ(Get("keep"), "old");
}

TEST_F(DbBasicTest, WriteBatchAppliesInOrderAndAtomically) {
  Open();
  ASSERT_TRUE(Put("a", "before").ok());
  const Snapshot* before = db_->GetSnapshot();

  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("a");
  batch.Put("b", "first");
  batch.Put("b", "second");
  batch.Put("c", "3");
  batch.Delete("c");
  batch.Put("c", "final");
  ASSERT_TRUE(db_->Write({}, &batch).ok());

  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "second");
  EXPECT_EQ(Get("c"), "final");
  // The snapshot taken before sees none of the batch.
  EXPECT_EQ(Get("a", before), "before");
  EXPECT_EQ(Get("b", before), "NOT_FOUND");
  EXPECT_EQ(Get("c", before), "NOT_FOUND");
  // A later snapshot sees all of it: the batch consumed one sequence per record.
  const Snapshot* after = db_->GetSnapshot();
  EXPECT_GE(after->sequence(), before->sequence() + batch.Count());
  db_->ReleaseSnapshot(before);
  db_->ReleaseSnapshot(after);

  WriteBatch empty;
  EXPECT_TRUE(db_->Write({}, &empty).ok());
  Reopen();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "second");
  EXPECT_EQ(Get("c"), "final");
}

TEST_F(DbBasicTest, OpenRejectsInvalidOptions) {
  options_.write_buffer_size = 0;
  EXPECT_FALSE(TryOpen().ok());
  options_ = Options();
  options_.file_system = &fs_;
  options_.max_write_buffer_number = 0;
  EXPECT_FALSE(TryOpen().ok());
  options_.max_write_buffer_number = -1;
  EXPECT_FALSE(TryOpen().ok());
  options_.max_write_buffer_number = 1;  // the smallest legal value
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbBasicTest, OpenOfARegularFileFails) {
  ASSERT_TRUE(test::WriteFile(&fs_, "/file", "not a directory").ok());
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(options_, "/file", &db).ok());
  std::string contents;
  ASSERT_TRUE(test::ReadFile(&fs_, "/file", &contents).ok());
  EXPECT_EQ(contents, "not a directory");
}

TEST_F(DbBasicTest, CreateIfMissingFalseOnMissingDirectoryFails) {
  options_.create_if_missing = false;
  EXPECT_FALSE(TryOpen().ok());
  EXPECT_FALSE(fs_.CheckDirectory(kPath).ok());  // and it created nothing
}

TEST_F(DbBasicTest, CreateIfMissingFalseOnEmptyDirectoryFails) {
  ASSERT_TRUE(fs_.CreateDirIfMissing(kPath).ok());
  options_.create_if_missing = false;
  EXPECT_FALSE(TryOpen().ok());
}

TEST_F(DbBasicTest, CreateIfMissingFalseOpensAnExistingDb) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  db_.reset();
  options_.create_if_missing = false;
  Open();
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbBasicTest, ErrorIfExistsOnExistingDbFails) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  db_.reset();
  options_.error_if_exists = true;
  EXPECT_FALSE(TryOpen().ok());
  options_.error_if_exists = false;
  Open();  // the refused open changed nothing
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbBasicTest, ErrorIfExistsOnNewDbSucceeds) {
  options_.error_if_exists = true;
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
}

TEST_F(DbBasicTest, SecondOpenWhileOpenIsBusyOrIOError) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  std::unique_ptr<DB> second;
  Status s = DB::Open(options_, kPath, &second);
  EXPECT_TRUE(s.IsBusy() || s.IsIOError()) << s.ToString();
  // The first handle is unharmed, and the lock is released on close.
  EXPECT_EQ(Get("k"), "v");
  ASSERT_TRUE(Put("k2", "v2").ok());
  db_.reset();
  s = DB::Open(options_, kPath, &second);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string value;
  ASSERT_TRUE(second->Get({}, "k2", &value).ok());
  EXPECT_EQ(value, "v2");
}

TEST(DbBasicPosixTest, SecondOpenWhileOpenIsBusyOrIOError) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  std::unique_ptr<DB> first;
  ASSERT_TRUE(DB::Open(Options(), path, &first).ok());
  ASSERT_TRUE(first->Put({}, "k", "v").ok());
  std::unique_ptr<DB> second;
  Status s = DB::Open(Options(), path, &second);
  EXPECT_TRUE(s.IsBusy() || s.IsIOError()) << s.ToString();
  std::string value;
  ASSERT_TRUE(first->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "v");
  first.reset();
  ASSERT_TRUE(DB::Open(Options(), path, &second).ok());
  ASSERT_TRUE(second->Get({}, "k", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST(DbBasicPosixTest, OpenOfARegularFileFails) {
  test::TempDir dir;
  const std::string path = dir.Sub("file");
  ASSERT_TRUE(test::WriteFile(FileSystem::Default(), path, "x").ok());
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(Options(), path, &db).ok());
}

TEST(DbBasicPosixTest, CreateIfMissingFalseOnMissingDirectoryFails) {
  test::TempDir dir;
  Options options;
  options.create_if_missing = false;
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(options, dir.Sub("absent"), &db).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("absent")));
}

TEST_F(DbBasicTest, ReopenKeepsUnflushedWrites) {
  Open();
  Model model;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put(KeyFor(i), "v" + std::to_string(i)).ok());
    model.Put(KeyFor(i), "v" + std::to_string(i));
  }
  for (int i = 0; i < 200; i += 3) {
    ASSERT_TRUE(Delete(KeyFor(i)).ok());
    model.Delete(KeyFor(i));
  }
  Reopen();
  ExpectMatches(db_.get(), model);
  Reopen();  // reopening a recovered DB again changes nothing
  ExpectMatches(db_.get(), model);
}

TEST_F(DbBasicTest, ReopenKeepsFlushedWrites) {
  Open();
  Model model;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put(KeyFor(i), "v" + std::to_string(i)).ok());
    model.Put(KeyFor(i), "v" + std::to_string(i));
  }
  ASSERT_TRUE(db_->Flush().ok());
  ExpectMatches(db_.get(), model);
  Reopen();
  ExpectMatches(db_.get(), model);
}

TEST_F(DbBasicTest, FlushOfAnEmptyDbSucceeds) {
  Open();
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_TRUE(ScanForward(db_.get()).empty());
  Reopen();
  EXPECT_TRUE(ScanForward(db_.get()).empty());
}

// Data split over several SSTs and the memtable, with overwrites and deletes
// in newer layers shadowing older ones.
TEST_F(DbBasicTest, ReopenKeepsDataSplitOverSstsAndMemtable) {
  Open();
  Model model;
  auto put = [&](int i, const std::string& tag) {
    ASSERT_TRUE(Put(KeyFor(i), tag + std::to_string(i)).ok());
    model.Put(KeyFor(i), tag + std::to_string(i));
  };
  for (int i = 0; i < 300; ++i) put(i, "first");
  ASSERT_TRUE(db_->Flush().ok());
  for (int i = 0; i < 300; i += 2) put(i, "second");
  for (int i = 1; i < 300; i += 7) {
    ASSERT_TRUE(Delete(KeyFor(i)).ok());
    model.Delete(KeyFor(i));
  }
  ASSERT_TRUE(db_->Flush().ok());
  for (int i = 250; i < 400; ++i) put(i, "third");
  ASSERT_TRUE(db_->Flush().ok());
  // The memtable: overwrites, deletes of flushed keys, a put of a deleted key.
  for (int i = 0; i < 400; i += 5) put(i, "memtable");
  for (int i = 3; i < 400; i += 11) {
    ASSERT_TRUE(Delete(KeyFor(i)).ok());
    model.Delete(KeyFor(i));
  }
  put(1, "resurrected");
  EXPECT_GE(test::FilesWithSuffix(&fs_, kPath, ".sst").size(), 1u);
  ExpectMatches(db_.get(), model);
  Reopen();
  ExpectMatches(db_.get(), model);
  ASSERT_TRUE(db_->Flush().ok());
  Reopen();
  ExpectMatches(db_.get(), model);
}

TEST_F(DbBasicTest, DisableWalWritesAreReadableAndSurviveAFlush) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "k", "v").ok());
  EXPECT_EQ(Get("k"), "v");
  ASSERT_TRUE(db_->Flush().ok());
  Reopen();
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbBasicTest, SyncWritesAreReadable) {
  Open();
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->Put(sync, "k", "v").ok());
  ASSERT_TRUE(db_->Delete(sync, "k").ok());
  ASSERT_TRUE(db_->Put(sync, "k2", "v2").ok());
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  EXPECT_EQ(Get("k2"), "v2");
}

TEST_F(DbBasicTest, SnapshotSeesExactlyWritesUpToItsSequenceAcrossFlushes) {
  Open();
  ASSERT_TRUE(Put("a", "a1").ok());
  ASSERT_TRUE(Put("b", "b1").ok());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_TRUE(Put("a", "a2").ok());
  ASSERT_TRUE(Delete("b").ok());
  ASSERT_TRUE(Put("c", "c2").ok());
  const Snapshot* s2 = db_->GetSnapshot();
  EXPECT_GT(s2->sequence(), s1->sequence());
  ASSERT_TRUE(Put("a", "a3").ok());
  ASSERT_TRUE(Put("b", "b3").ok());
  ASSERT_TRUE(Delete("c").ok());

  auto check = [&] {
    EXPECT_EQ(Get("a", s1), "a1");
    EXPECT_EQ(Get("b", s1), "b1");
    EXPECT_EQ(Get("c", s1), "NOT_FOUND");
    EXPECT_EQ(Get("a", s2), "a2");
    EXPECT_EQ(Get("b", s2), "NOT_FOUND");
    EXPECT_EQ(Get("c", s2), "c2");
    EXPECT_EQ(Get("a"), "a3");
    EXPECT_EQ(Get("b"), "b3");
    EXPECT_EQ(Get("c"), "NOT_FOUND");
    ReadOptions ro;
    ro.snapshot = s1;
    EXPECT_EQ(ScanForward(db_.get(), ro),
              (std::vector<std::pair<std::string, std::string>>{{"a", "a1"}, {"b", "b1"}}));
    ro.snapshot = s2;
    EXPECT_EQ(ScanForward(db_.get(), ro),
              (std::vector<std::pair<std::string, std::string>>{{"a", "a2"}, {"c", "c2"}}));
  };
  check();
  ASSERT_TRUE(db_->Flush().ok());
  check();
  ASSERT_TRUE(Put("a", "a4").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Status s = db_->CompactRange(std::nullopt, std::nullopt);
  EXPECT_TRUE(s.ok() || s.IsNotSupported()) << s.ToString();
  EXPECT_EQ(Get("a", s1), "a1");
  EXPECT_EQ(Get("c", s2), "c2");
  EXPECT_EQ(Get("a"), "a4");
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
  EXPECT_EQ(Get("a"), "a4");
}

TEST_F(DbBasicTest, SnapshotSequencesDoNotDecrease) {
  Open();
  const Snapshot* s0 = db_->GetSnapshot();
  ASSERT_TRUE(Put("k", "v").ok());
  const Snapshot* s1 = db_->GetSnapshot();
  const Snapshot* s1b = db_->GetSnapshot();
  EXPECT_GT(s1->sequence(), s0->sequence());
  EXPECT_EQ(s1->sequence(), s1b->sequence());
  EXPECT_EQ(Get("k", s0), "NOT_FOUND");
  EXPECT_EQ(Get("k", s1b), "v");
  const std::uint64_t seq1 = s1->sequence();
  db_->ReleaseSnapshot(s1b);
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s0);
  // Sequences keep growing across a reopen.
  Reopen();
  ASSERT_TRUE(Put("k", "v2").ok());
  const Snapshot* s2 = db_->GetSnapshot();
  EXPECT_GT(s2->sequence(), seq1);
  db_->ReleaseSnapshot(s2);
}

// Random puts, deletes, batches and flushes (binary keys from a small
// alphabet so keys collide), compared with a model, with snapshots taken at
// random points and each checked against the model as it was then.
TEST_F(DbBasicTest, RandomOperationsMatchAModel) {
  options_.write_buffer_size = test::kSmallWriteBuffer;  // rotations happen during the run
  Open();
  std::mt19937_64 rng(20240601);
  Model model;
  std::vector<std::pair<const Snapshot*, Model>> snapshots;
  auto random_key = [&] {
    std::string key(rng() % 4, '\0');
    for (auto& c : key) c = "\0ab\xff"[rng() % 4];
    return key + std::to_string(rng() % 40);
  };
  const int kOps = 4000 / test::kScale;
  for (int op = 0; op < kOps; ++op) {
    const unsigned what = rng() % 100;
    if (what < 55) {
      std::string key = random_key();
      std::string value = test::RandomBytes(rng, rng() % 200);
      ASSERT_TRUE(Put(key, value).ok());
      model.Put(key, value);
    } else if (what < 75) {
      std::string key = random_key();
      ASSERT_TRUE(Delete(key).ok());
      model.Delete(key);
    } else if (what < 93) {
      WriteBatch batch;
      Model next = model;
      for (int n = static_cast<int>(rng() % 6); n >= 0; --n) {
        std::string key = random_key();
        if (rng() % 3 == 0) {
          batch.Delete(key);
          next.Delete(key);
        } else {
          std::string value = test::RandomBytes(rng, rng() % 50);
          batch.Put(key, value);
          next.Put(key, value);
        }
      }
      ASSERT_TRUE(db_->Write({}, &batch).ok());
      model = std::move(next);
    } else if (what < 96) {
      ASSERT_TRUE(db_->Flush().ok());
    } else if (snapshots.size() < 8) {
      snapshots.emplace_back(db_->GetSnapshot(), model);
    }
  }
  ExpectMatches(db_.get(), model);
  for (const auto& [snapshot, then] : snapshots) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    ExpectMatches(db_.get(), then, ro);
    db_->ReleaseSnapshot(snapshot);
  }
  Reopen();
  ExpectMatches(db_.get(), model);
}

TEST_F(DbBasicTest, ArenaStatsPropertyHasEveryField) {
  Open();
  std::string text;
  ASSERT_TRUE(db_->GetProperty("arenakv.memtable.arena-stats", &text));
  auto stats = test::ParseProperty(text);
  for (const char* name : {"live_memtables", "immutable_memtables", "requested_bytes",
                           "allocated_bytes", "reserved_bytes", "released_arenas"}) {
    EXPECT_TRUE(stats.count(name)) << name << " missing from:\n" << text;
  }
  EXPECT_GE(stats["live_memtables"], 1u);
  const auto requested_before = stats["requested_bytes"];
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put(KeyFor(i), std::string(100, 'v')).ok());
  ASSERT_TRUE(db_->GetProperty("arenakv.memtable.arena-stats", &text));
  stats = test::ParseProperty(text);
  EXPECT_GE(stats["requested_bytes"], requested_before + 100 * 100);
  EXPECT_GE(stats["allocated_bytes"], stats["requested_bytes"]);
  EXPECT_GE(stats["reserved_bytes"], stats["allocated_bytes"]);
  EXPECT_LE(stats["immutable_memtables"], stats["live_memtables"]);

  const auto released_before = stats["released_arenas"];
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->GetProperty("arenakv.memtable.arena-stats", &text));
  stats = test::ParseProperty(text);
  // The flushed memtable had no other reader: its arena is gone.
  EXPECT_GT(stats["released_arenas"], released_before) << text;
  EXPECT_LT(stats["requested_bytes"], 100u * 100u) << text;
}

TEST_F(DbBasicTest, UnknownPropertyIsFalse) {
  Open();
  std::string value;
  EXPECT_FALSE(db_->GetProperty("arenakv.no-such-property", &value));
  EXPECT_FALSE(db_->GetProperty("", &value));
  EXPECT_TRUE(db_->GetProperty("arenakv.stats", &value));
}

TEST_F(DbBasicTest, DestroyDbRemovesEverything) {
  Open();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put(KeyFor(i), "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(Put("unflushed", "v").ok());
  db_.reset();
  Status s = DestroyDB(kPath, options_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> left;
  if (fs_.GetChildren(kPath, &left).ok()) {
    EXPECT_TRUE(left.empty()) << left.size() << " files left, e.g. " << left.front();
  }
  options_.create_if_missing = false;
  EXPECT_FALSE(TryOpen().ok());
  options_.create_if_missing = true;
  Open();
  EXPECT_TRUE(ScanForward(db_.get()).empty());
}

TEST(DbBasicPosixTest, DestroyDbRemovesEverything) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), path, &db).ok());
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put({}, "k2", "v").ok());
  }
  ASSERT_TRUE(DestroyDB(path, Options()).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

#if defined(__linux__)
// How many of this process's threads run at nice 19 (field 19 of
// /proc/self/task/<tid>/stat).
long ThreadsAtNice19() {
  long count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    const std::string text((std::istreambuf_iterator<char>(stat)),
                           std::istreambuf_iterator<char>());
    const std::size_t name_end = text.rfind(')');  // the name may hold spaces
    if (name_end == std::string::npos) continue;
    std::istringstream fields(text.substr(name_end + 1));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19 && field == "19") ++count;
    }
  }
  return count;
}

TEST_F(DbBasicTest, LowerBackgroundPriorityRunsTheBackgroundThreadsAtNice19) {
  const long before = ThreadsAtNice19();
  options_.max_background_jobs = 2;
  options_.lower_background_priority = true;
  Open();
  // Each thread lowers itself as it starts.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ThreadsAtNice19() < before + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(ThreadsAtNice19(), before + 2);
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());  // the lowered threads do the work
  EXPECT_EQ(Get("k"), "v");
  db_.reset();
  EXPECT_EQ(ThreadsAtNice19(), before);
  options_.lower_background_priority = false;
  Open();
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(ThreadsAtNice19(), before);
}
#endif  // __linux__

}  // namespace
}  // namespace arenakv
