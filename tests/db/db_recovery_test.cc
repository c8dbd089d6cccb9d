// SPDX-License-Identifier: Apache-2.0
// DB recovery, black-box on a MemFileSystem: reopen after a clean close, after
// a simulated power loss (MemFileSystem::SimulateCrash), with a torn WAL tail,
// with a corrupt WAL record in the middle of a log (Corruption unless
// Options::skip_corrupt_wal_records), and with corrupt or missing SST,
// manifest and CURRENT files (Corruption from Open with paranoid_checks;
// data blocks from DB::VerifyChecksum).
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
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::ExpectChainPrefix;
using test::FilesWithSuffix;
using test::KeyFor;
using test::Model;
using test::ScanForward;
using test::WriteChain;

constexpr const char* kDir = "/db";

// A copy of every file of a DB directory: name -> contents.
using Image = std::map<std::string, std::string>;

Image Capture(FileSystem* fs, const std::string& dir) {
  Image image;
  std::vector<std::string> names;
  EXPECT_TRUE(fs->GetChildren(dir, &names).ok());
  for (const auto& name : names) {
    EXPECT_TRUE(test::ReadFile(fs, dir + "/" + name, &image[name]).ok()) << name;
  }
  return image;
}

void Restore(const Image& image, FileSystem* fs, const std::string& dir) {
  ASSERT_TRUE(fs->CreateDirIfMissing(dir).ok());
  for (const auto& [name, contents] : image) {
    ASSERT_TRUE(test::WriteFile(fs, dir + "/" + name, contents).ok()) << name;
  }
  ASSERT_TRUE(fs->SyncDir(dir).ok());
}

// The name of the one file in `image` whose name ends with `suffix` and that
// is largest (the WAL holding the test's records, the SST holding its data).
std::string Largest(const Image& image, std::string_view suffix) {
  std::string best;
  for (const auto& [name, contents] : image) {
    if (name.ends_with(suffix) && (best.empty() || contents.size() > image.at(best).size())) {
      best = name;
    }
  }
  return best;
}

// Where each record lands in a log written from offset 0, following
// docs/FORMATS.md "Write-ahead log": 32 KiB blocks, 7-byte fragment headers,
// block trailers of fewer than 7 bytes zero-filled.
struct LogPlacement {
  std::uint64_t start = 0;          // offset of the record's first fragment header
  std::uint64_t first_payload = 0;  // offset of the record's first payload byte
  std::uint64_t end = 0;            // offset just past its last fragment
};

std::vector<LogPlacement> PlaceLogRecords(const std::vector<std::size_t>& sizes) {
  constexpr std::uint64_t kBlock = 32768;
  constexpr std::uint64_t kHeader = 7;
  std::vector<LogPlacement> out;
  std::uint64_t p = 0;
  for (std::size_t size : sizes) {
    LogPlacement placement;
    std::uint64_t remaining = size;
    bool first = true;
    bool started = false;
    do {
      std::uint64_t left = kBlock - p % kBlock;
      if (left < kHeader) {
        p += left;
        left = kBlock;
      }
      if (!started) {
        placement.start = p;
        started = true;
      }
      const std::uint64_t fragment = std::min(left - kHeader, remaining);
      if (first && fragment > 0) {
        placement.first_payload = p + kHeader;
        first = false;
      }
      p += kHeader + fragment;
      remaining -= fragment;
    } while (remaining > 0);
    placement.end = p;
    out.push_back(placement);
  }
  return out;
}

std::size_t VarintLength(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 128) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Encoded size of a batch holding one Put (docs/FORMATS.md "Write batch").
std::size_t PutBatchSize(std::size_t key, std::size_t value) {
  return 12 + 1 + VarintLength(key) + key + VarintLength(value) + value;
}

class DbRecoveryTest : public ::testing::Test {
 protected:
  DbRecoveryTest() { options_.file_system = &fs_; }

  Status TryOpen() {
    db_.reset();
    return DB::Open(options_, kDir, &db_);
  }
  void Open() {
    Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // A power loss: the DB object dies after its files were cut to what was
  // synced (its destructor sees only IOErrors and must cope).
  void Crash() {
    fs_.SimulateCrash();
    db_.reset();
  }
  // The value, "NOT_FOUND", or the error.
  std::string Get(std::string_view key) { return test::GetOrNotFound(db_.get(), key); }

  MemFileSystem fs_;  // outlives db_
  Options options_;
  std::unique_ptr<DB> db_;
};

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

// The WAL cut at every byte of its last records (a crash during an append):
// Open succeeds and yields exactly the records whose bytes all reached the
// file; later writes go on and survive another reopen.
TEST_F(DbRecoveryTest, TornWalTailIsDroppedCleanly) {
  Open();
  constexpr int kRecords = 40;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < kRecords; ++i) {
    const std::string value(static_cast<std::size_t>(10 + i * 3), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(db_->Put({}, KeyFor(i), value).ok());
    sizes.push_back(PutBatchSize(KeyFor(i).size(), value.size()));
  }
  db_.reset();
  const Image image = Capture(&fs_, kDir);
  const std::string log = Largest(image, ".log");
  ASSERT_FALSE(log.empty());
  const std::string& wal = image.at(log);
  const std::vector<LogPlacement> placement = PlaceLogRecords(sizes);
  ASSERT_EQ(wal.size(), placement.back().end) << "the WAL is not one record per write";

  // Every cut in the last record and the bytes before it; every 13th before that.
  const std::uint64_t every_byte_from = placement[kRecords - 2].end - 3;
  for (std::uint64_t cut = placement[kRecords - 8].end; cut <= wal.size();
       cut += cut < every_byte_from ? 13 : test::kScale) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(wal.size()));
    int complete = 0;
    while (complete < kRecords && placement[static_cast<std::size_t>(complete)].end <= cut) {
      ++complete;
    }
    MemFileSystem fs;
    Image torn = image;
    torn[log].resize(cut);
    Restore(torn, &fs, kDir);
    Options options = options_;
    options.file_system = &fs;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDir, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto scanned = ScanForward(db.get());
    ASSERT_EQ(scanned.size(), static_cast<std::size_t>(complete));
    for (int i = 0; i < complete; ++i) EXPECT_EQ(scanned[i].first, KeyFor(i));
    // Only a few cuts: also check that the DB goes on cleanly after the torn tail.
    if (cut % 7 == 0 || cut == wal.size()) {
      ASSERT_TRUE(db->Put({}, "after", "torn").ok());
      db.reset();
      s = DB::Open(options, kDir, &db);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(ScanForward(db.get()).size(), static_cast<std::size_t>(complete) + 1);
    }
  }
}

class DbWalCorruptionTest : public DbRecoveryTest {
 protected:
  static constexpr int kRecords = 250;  // about 60 KiB: the log spans 2 blocks

  // Writes kRecords puts of ~230 bytes, closes the DB, and returns its files,
  // the WAL's name and where each record lies in it.
  void Build(Image* image, std::string* log, std::vector<LogPlacement>* placement) {
    Open();
    std::vector<std::size_t> sizes;
    for (int i = 0; i < kRecords; ++i) {
      const std::string value = Value(i);
      ASSERT_TRUE(db_->Put({}, KeyFor(i), value).ok());
      sizes.push_back(PutBatchSize(KeyFor(i).size(), value.size()));
    }
    db_.reset();
    *image = Capture(&fs_, kDir);
    *log = Largest(*image, ".log");
    ASSERT_FALSE(log->empty());
    *placement = PlaceLogRecords(sizes);
    ASSERT_EQ(image->at(*log).size(), placement->back().end)
        << "the WAL is not one record per write";
    ASSERT_GT(placement->back().end, 32768u);
  }
  static std::string Value(int i) { return std::string(230, static_cast<char>('A' + i % 26)); }
};

TEST_F(DbWalCorruptionTest, CorruptRecordInTheMiddleIsCorruption) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  const int bad = 10;
  image[log][placement[bad].first_payload + 20] ^= 0x5a;  // inside the record's key
  Restore(image, &fs_, kDir);
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  // A refused open changed nothing: the same Open fails again the same way.
  s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbWalCorruptionTest, CorruptHeaderInTheMiddleIsCorruption) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  const int bad = 40;
  image[log][placement[bad].first_payload - 3] ^= 0xff;  // the fragment's length field
  Restore(image, &fs_, kDir);
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(DbWalCorruptionTest, SkipCorruptWalRecordsRecoversTheRest) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  const int bad = 10;
  const std::uint64_t offset = placement[bad].first_payload + 20;
  image[log][offset] ^= 0x5a;
  Restore(image, &fs_, kDir);
  options_.skip_corrupt_wal_records = true;
  Open();
  // Records before the bad one and records starting in a later block are
  // back; the bad one is not; any other record is either absent or intact.
  const std::uint64_t bad_block = offset / 32768;
  for (int i = 0; i < kRecords; ++i) {
    const std::string got = Get(KeyFor(i));
    const auto start_block = placement[i].start / 32768;
    if (i < bad || start_block > bad_block) {
      EXPECT_EQ(got, Value(i)) << i;
    } else if (i == bad) {
      EXPECT_EQ(got, "NOT_FOUND");
    } else if (got != "NOT_FOUND") {
      EXPECT_EQ(got, Value(i)) << i;
    }
  }
  // The recovered DB is whole: it takes writes and reopens without the option.
  ASSERT_TRUE(db_->Put({}, "after", "x").ok());
  options_.skip_corrupt_wal_records = false;
  Open();
  EXPECT_EQ(Get("after"), "x");
  EXPECT_EQ(Get(KeyFor(0)), Value(0));
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
