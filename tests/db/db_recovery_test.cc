// SPDX-License-Identifier: Apache-2.0
// DB recovery, black-box on a MemFileSystem: reopen after a clean close, after
// a simulated power loss (MemFileSystem::SimulateCrash), and with corrupt or
// missing SST, manifest and CURRENT files (Corruption from Open with
// paranoid_checks; data blocks from DB::VerifyChecksum). Damaged WALs and the
// recovery modes: db_wal_recovery_test.cc.
//
// Many tests write test::WriteChain's chain, whose every prefix leaves a
// state that test::ExpectChainPrefix recognises exactly.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_files.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::Capture;
using test::ExpectChainPrefix;
using test::FilesWithSuffix;
using test::Image;
using test::KeyFor;
using test::Model;
using test::Restore;
using test::ScanForward;
using test::WriteChain;

constexpr const char* kDir = test::kMemDbDir;

class DbRecoveryTest : public test::MemDbTest {};

TEST_F(DbRecoveryTest, ReopenCyclesKeepEveryWriteAndKeepSequencesGrowing) {
  Open();
  Model model;
  std::mt19937_64 rng(3);
  for (int cycle = 0; cycle < 6; ++cycle) {
    for (int i = 0; i < 100; ++i) {
      const std::string key = KeyFor(rng() % 150);
      if (rng() % 5 == 0) {
        ASSERT_TRUE(db_->Delete({}, key).ok());
        model.Delete(key);
      } else {
        const std::string value = "c" + std::to_string(cycle) + "_" + std::to_string(i);
        ASSERT_TRUE(db_->Put({}, key, value).ok());
        model.Put(key, value);
      }
    }
    if (cycle % 2 == 1) {
      ASSERT_TRUE(db_->Flush().ok());
    }
    Open();
    test::ExpectMatches(db_.get(), model);
  }
}

TEST_F(DbRecoveryTest, OpeningTheSameFilesTwiceYieldsTheSameContents) {
  options_.write_buffer_size = test::kSmallWriteBuffer;
  Open();
  for (std::int64_t i = 0; i < 600; ++i) ASSERT_TRUE(WriteChain(db_.get(), i, false).ok());
  db_.reset();
  const Image image = Capture(&fs_, kDir);
  std::vector<std::vector<std::pair<std::string, std::string>>> seen;
  for (int round = 0; round < 2; ++round) {
    MemFileSystem fs;
    Restore(image, &fs, kDir);
    Options options = options_;
    options.file_system = &fs;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, kDir, &db).ok());
    seen.push_back(ScanForward(db.get()));
  }
  EXPECT_EQ(seen[0], seen[1]);
  Open();
  EXPECT_EQ(ExpectChainPrefix(db_.get(), 599), 599);
}

TEST_F(DbRecoveryTest, SyncedWritesSurviveACrash) {
  Open();
  for (std::int64_t i = 0; i < 120; ++i) ASSERT_TRUE(WriteChain(db_.get(), i, true).ok());
  Crash();
  Open();
  EXPECT_EQ(ExpectChainPrefix(db_.get(), 119), 119);
}

TEST_F(DbRecoveryTest, UnsyncedWritesRecoverAsAPrefix) {
  Open();
  std::int64_t last_synced = -1;
  for (std::int64_t i = 0; i < 300; ++i) {
    const bool sync = i % 37 == 0;
    ASSERT_TRUE(WriteChain(db_.get(), i, sync).ok());
    if (sync) last_synced = i;
  }
  Crash();
  Open();
  ExpectChainPrefix(db_.get(), last_synced);
}

TEST_F(DbRecoveryTest, CrashAfterFlushKeepsFlushedAndSyncedWrites) {
  Open();
  for (std::int64_t i = 0; i < 200; ++i) ASSERT_TRUE(WriteChain(db_.get(), i, false).ok());
  ASSERT_TRUE(db_->Flush().ok());  // durable without any synced write
  for (std::int64_t i = 200; i < 250; ++i) ASSERT_TRUE(WriteChain(db_.get(), i, false).ok());
  Crash();
  Open();
  ExpectChainPrefix(db_.get(), 199);
}

// Crashes at many points of a run whose memtable rotates and flushes on its
// own; each round continues the chain from what it recovered.
TEST_F(DbRecoveryTest, RepeatedCrashesAmidRotationsRecoverAPrefixEachTime) {
  options_.write_buffer_size = test::kSmallWriteBuffer;
  std::mt19937_64 rng(17);
  std::int64_t next = 0;
  std::int64_t last_synced = -1;
  for (int round = 0; round < 12; ++round) {
    Open();
    const std::int64_t recovered = ExpectChainPrefix(db_.get(), last_synced);
    next = recovered + 1;
    last_synced = recovered;
    const int writes = 50 + static_cast<int>(rng() % 300);
    for (int w = 0; w < writes; ++w, ++next) {
      const bool sync = rng() % 8 == 0;
      ASSERT_TRUE(WriteChain(db_.get(), next, sync).ok());
      if (sync) last_synced = next;
    }
    if (rng() % 3 == 0) {
      ASSERT_TRUE(db_->Flush().ok());
      last_synced = next - 1;
    }
    Crash();
  }
  Open();
  ExpectChainPrefix(db_.get(), last_synced);
}

TEST_F(DbRecoveryTest, DisableWalWritesAreLostOnCrashWithoutAHole) {
  Open();
  ASSERT_TRUE(WriteChain(db_.get(), 0, true).ok());
  WriteBatch batch;
  batch.Put("nowal", "x");
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Write(no_wal, &batch).ok());
  Crash();
  Open();
  ExpectChainPrefix(db_.get(), 0);
}

// Writes made without the WAL live only in the memtable: a clean close
// (the destructor, or Close) flushes them, so they survive a reopen.
TEST_F(DbRecoveryTest, DisableWalWritesSurviveACleanClose) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "nowal", "x").ok());
  ASSERT_TRUE(db_->Put({}, "wal", "y").ok());
  db_.reset();
  Open();
  EXPECT_EQ(Get("nowal"), "x");
  EXPECT_EQ(Get("wal"), "y");
}

TEST_F(DbRecoveryTest, CloseFlushesUnloggedWritesThenRefusesWritesButServesReads) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "nowal", "x").ok());
  ASSERT_TRUE(FilesWithSuffix(&fs_, kDir, ".sst").empty());

  ASSERT_TRUE(db_->Close().ok());
  EXPECT_EQ(FilesWithSuffix(&fs_, kDir, ".sst").size(), 1u);
  EXPECT_TRUE(db_->Put({}, "late", "z").IsInvalidArgument());
  EXPECT_TRUE(db_->Flush().IsInvalidArgument());
  EXPECT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).IsInvalidArgument());
  EXPECT_EQ(Get("nowal"), "x");
  EXPECT_TRUE(db_->Close().ok()) << "a second Close is a no-op";

  Open();
  EXPECT_EQ(Get("nowal"), "x");
  EXPECT_EQ(Get("late"), "NOT_FOUND");
}

TEST_F(DbRecoveryTest, CloseWithOnlyLoggedWritesFlushesNothing) {
  Open();
  ASSERT_TRUE(db_->Put({}, "wal", "y").ok());
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_TRUE(FilesWithSuffix(&fs_, kDir, ".sst").empty()) << "the WAL holds them already";
  Open();
  EXPECT_EQ(Get("wal"), "y");
}

TEST_F(DbRecoveryTest, CloseReportsAFailedFlushOfUnloggedWrites) {
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  ASSERT_TRUE(db_->Put(no_wal, "nowal", "x").ok());
  fs_.InjectWriteError(true);
  Status s = db_->Close();
  EXPECT_FALSE(s.ok()) << "the unlogged write is lost: Close must say so";
  fs_.ClearFaults();
  Open();
  EXPECT_EQ(Get("nowal"), "NOT_FOUND");
}

TEST_F(DbRecoveryTest, CreatingADbSyncsItsParentDirectory) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/parent").ok());
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options_, "/parent/db", &db).ok());
  EXPECT_GE(fs_.SyncDirCount("/parent"), 1) << "the new directory's name may not survive a crash";
}

TEST_F(DbRecoveryTest, DbIdentityIsStableAcrossReopensAndDiffersBetweenDbs) {
  Open();
  std::string id;
  ASSERT_TRUE(db_->GetDbIdentity(&id).ok());
  EXPECT_EQ(id.size(), 36u) << id;
  EXPECT_TRUE(fs_.FileExists(std::string(kDir) + "/IDENTITY"));
  Open();
  std::string again;
  ASSERT_TRUE(db_->GetDbIdentity(&again).ok());
  EXPECT_EQ(again, id);

  std::unique_ptr<DB> other;
  ASSERT_TRUE(DB::Open(options_, "/other", &other).ok());
  std::string other_id;
  ASSERT_TRUE(other->GetDbIdentity(&other_id).ok());
  EXPECT_NE(other_id, id);
}

TEST_F(DbRecoveryTest, ADbWithoutIdentityGetsOneAndKeepsItsData) {
  Open();
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  db_.reset();
  ASSERT_TRUE(fs_.RemoveFile(std::string(kDir) + "/IDENTITY").ok());
  Open();
  std::string id;
  ASSERT_TRUE(db_->GetDbIdentity(&id).ok());
  EXPECT_EQ(id.size(), 36u);
  EXPECT_TRUE(fs_.FileExists(std::string(kDir) + "/IDENTITY"));
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbRecoveryTest, DamagedIdentityIsCorruption) {
  Open();
  db_.reset();
  ASSERT_TRUE(test::WriteFile(&fs_, std::string(kDir) + "/IDENTITY", "not an id\n").ok());
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbRecoveryTest, ManifestRollsOverAndTheDbReopensWhole) {
  options_.max_manifest_file_size = 1024;
  options_.disable_auto_compactions = true;
  Open();
  auto manifests = [this] {
    std::vector<std::string> names, out;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const std::string& n : names) {
      if (n.starts_with("MANIFEST-")) out.push_back(n);
    }
    return out;
  };
  const std::vector<std::string> at_open = manifests();
  ASSERT_EQ(at_open.size(), 1u);
  Model model;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(db_->Put({}, KeyFor(i), "v" + std::to_string(i)).ok());
    model.Put(KeyFor(i), "v" + std::to_string(i));
    ASSERT_TRUE(db_->Flush().ok());
  }
  EXPECT_EQ(FilesWithSuffix(&fs_, kDir, ".sst").size(), 30u);
  const std::vector<std::string> after = manifests();
  ASSERT_EQ(after.size(), 1u) << "rolled-over manifests are deleted";
  EXPECT_NE(after[0], at_open[0]) << "the manifest never rolled over";
  Crash();
  Open();
  ExpectMatches(db_.get(), model);
}

TEST_F(DbRecoveryTest, ZeroMaxManifestFileSizeIsInvalidArgument) {
  options_.max_manifest_file_size = 0;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
}

class DbTableCorruptionTest : public DbRecoveryTest {
 protected:
  static constexpr int kKeys = 2000;
  void Build() {
    options_.block_size = 1024;
    Open();
    for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), Value(i)).ok());
    ASSERT_TRUE(db_->Flush().ok());
    db_.reset();
    ssts_ = FilesWithSuffix(&fs_, kDir, ".sst");
    ASSERT_EQ(ssts_.size(), 1u);
  }
  static std::string Value(int i) { return "value" + std::to_string(i * 7919); }
  std::vector<std::string> ssts_;
};

// Open reads no data block, even with paranoid checks (its time must not
// grow with the data); VerifyChecksum reads them all and names the file.
TEST_F(DbTableCorruptionTest, CorruptDataBlockIsFoundByVerifyChecksumNotByOpen) {
  Build();
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(ssts_[0], &size).ok());
  ASSERT_TRUE(fs_.CorruptByte(ssts_[0], size / 3).ok());  // a data block
  options_.paranoid_checks = true;
  ASSERT_TRUE(TryOpen().ok());
  Status s = db_->VerifyChecksum();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(ssts_[0]), std::string::npos) << s.ToString();
}

TEST_F(DbTableCorruptionTest, VerifyChecksumOfAHealthyDbIsOk) {
  Build();
  Open();
  EXPECT_TRUE(db_->VerifyChecksum().ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(db_->VerifyChecksum().ok());
}

TEST_F(DbTableCorruptionTest, CorruptSstFooterIsCorruptionFromOpen) {
  Build();
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(ssts_[0], &size).ok());
  ASSERT_TRUE(fs_.CorruptByte(ssts_[0], size - 1).ok());  // the footer's magic
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbTableCorruptionTest, TruncatedSstIsCorruptionFromOpen) {
  Build();
  std::string contents;
  ASSERT_TRUE(test::ReadFile(&fs_, ssts_[0], &contents).ok());
  ASSERT_TRUE(test::WriteFile(&fs_, ssts_[0], contents.substr(0, contents.size() / 2)).ok());
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// Without paranoid checks a corrupt block may go unnoticed by Open, but no
// read may return wrong data: each read is right or Corruption, and a read of
// the corrupt block reports it.
TEST_F(DbTableCorruptionTest, CorruptSstNeverReadsAsWrongData) {
  Build();
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(ssts_[0], &size).ok());
  ASSERT_TRUE(fs_.CorruptByte(ssts_[0], size / 3).ok());
  options_.paranoid_checks = false;
  Status s = TryOpen();
  if (!s.ok()) {
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    return;
  }
  int corrupt_reads = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string value;
    s = db_->Get({}, KeyFor(i), &value);
    if (s.IsCorruption()) {
      ++corrupt_reads;
    } else {
      ASSERT_TRUE(s.ok()) << KeyFor(i) << ": " << s.ToString();
      EXPECT_EQ(value, Value(i)) << KeyFor(i);
    }
  }
  EXPECT_GT(corrupt_reads, 0);
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSERT_EQ(it->key(), KeyFor(seen)) << "a key was skipped or invented";
    ASSERT_EQ(it->value(), Value(seen));
    ++seen;
  }
  EXPECT_LT(seen, kKeys);
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST_F(DbTableCorruptionTest, MissingSstIsCorruptionFromOpen) {
  Build();
  ASSERT_TRUE(fs_.RemoveFile(ssts_[0]).ok());
  options_.paranoid_checks = true;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbTableCorruptionTest, CorruptManifestIsCorruptionFromOpen) {
  Build();
  const std::vector<std::string> manifests = [&] {
    std::vector<std::string> names, out;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const auto& name : names) {
      if (name.starts_with("MANIFEST-")) out.push_back(std::string(kDir) + "/" + name);
    }
    return out;
  }();
  ASSERT_FALSE(manifests.empty());
  for (const auto& manifest : manifests) {
    std::uint64_t size = 0;
    ASSERT_TRUE(fs_.GetFileSize(manifest, &size).ok());
    ASSERT_GT(size, 8u);
    ASSERT_TRUE(fs_.CorruptByte(manifest, 8).ok());  // inside the first record's payload
  }
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbTableCorruptionTest, GarbageCurrentIsCorruptionFromOpen) {
  Build();
  ASSERT_TRUE(test::WriteFile(&fs_, std::string(kDir) + "/CURRENT", "NOT-A-MANIFEST\n").ok());
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// Every write before a synced one survives a power loss, also when rotations
// moved the earlier, unsynced ones into older WALs: rotation syncs the old WAL
// before the new one takes writes.
TEST_F(DbRecoveryTest, UnsyncedWritesInOlderWalsSurviveALaterSyncedWrite) {
  options_.write_buffer_size = test::kSmallWriteBuffer;
  Open();
  constexpr int kWrites = 2000 / test::kScale;
  const std::string value(1000, 'v');
  for (int i = 0; i < kWrites; ++i) {
    WriteOptions wo;
    wo.sync = i == kWrites - 1;
    ASSERT_TRUE(db_->Put(wo, KeyFor(i), value).ok()) << i;
  }
  Crash();
  Open();
  for (int i = 0; i < kWrites; ++i) ASSERT_EQ(Get(KeyFor(i)), value) << i;
}

// A DB whose CURRENT is gone is damaged, not empty: Open must not create a new
// DB over its tables (which would delete them).
TEST_F(DbRecoveryTest, TablesWithoutCurrentAreCorruptionAndStayOnDisk) {
  Open();
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  db_.reset();
  ASSERT_TRUE(fs_.RemoveFile(std::string(kDir) + "/CURRENT").ok());
  const std::vector<std::string> tables = FilesWithSuffix(&fs_, kDir, ".sst");
  ASSERT_FALSE(tables.empty());
  EXPECT_TRUE(TryOpen().IsCorruption());
  EXPECT_EQ(FilesWithSuffix(&fs_, kDir, ".sst"), tables);
}

// Without create_if_missing, a directory holding no DB is left as it was:
// no LOCK, no LOG.
TEST_F(DbRecoveryTest, OpeningADirectoryWithoutADbCreatesNothingThere) {
  ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok());
  options_.create_if_missing = false;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren(kDir, &names).ok());
  EXPECT_TRUE(names.empty()) << names.front();
}

TEST_F(DbRecoveryTest, SyncWithDisableWalIsInvalidArgument) {
  Open();
  WriteOptions wo;
  wo.sync = true;
  wo.disable_wal = true;
  EXPECT_TRUE(db_->Put(wo, "k", "v").IsInvalidArgument());
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

}  // namespace
}  // namespace arenakv
