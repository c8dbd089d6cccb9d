// SPDX-License-Identifier: Apache-2.0
// Recovery from damaged write-ahead logs, black-box on a MemFileSystem: a torn
// tail, damage in the middle of a log or at its end, an undecodable batch, a
// gap in the sequence numbers (a lost log), writes without the WAL between
// logged ones, in each Options::wal_recovery_mode, and what
// "arenakv.recovery" reports. Test WALs are the DB's own, damaged byte by
// byte, or written with the engine's LogWriter where a test needs a log the
// DB would not write (a second live log, a gap, a bad batch).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_writer.h"
#include "tests/support/db_files.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::Capture;
using test::Image;
using test::KeyFor;
using test::Largest;
using test::LogPlacement;
using test::PlaceLogRecords;
using test::PutBatchSize;
using test::Restore;
using test::ScanForward;

constexpr const char* kDir = test::kMemDbDir;

// "arenakv.recovery" as numbers (stopped_at, a text, reads as 0).
std::map<std::string, std::uint64_t> Recovery(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("arenakv.recovery", &text));
  return test::ParseProperty(text);
}

std::string StoppedAt(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("arenakv.recovery", &text));
  const std::size_t at = text.find("stopped_at: ");
  if (at == std::string::npos) return {};
  const std::size_t start = at + 12;
  return text.substr(start, text.find('\n', start) - start);
}

class DbWalRecoveryTest : public test::MemDbTest {};

// The WAL cut at every byte of its last records (a crash during an append):
// Open succeeds and yields exactly the records whose bytes all reached the
// file; later writes go on and survive another reopen.
TEST_F(DbWalRecoveryTest, TornWalTailIsDroppedCleanly) {
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
    // The torn bytes are reported, nothing is counted as damage.
    const auto report = Recovery(db.get());
    EXPECT_EQ(report.at("torn_tail_bytes"),
              cut - (complete > 0 ? placement[static_cast<std::size_t>(complete - 1)].end : 0));
    EXPECT_EQ(report.at("dropped_records"), 0u);
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

class DbWalCorruptionTest : public DbWalRecoveryTest {
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

  // The records starting in a later 32 KiB block than record `bad`.
  static std::uint64_t RecordsFromBlockAfter(const std::vector<LogPlacement>& placement, int bad) {
    std::uint64_t n = 0;
    for (const LogPlacement& p : placement) n += p.start / 32768 > placement[bad].start / 32768;
    return n;
  }
  // The DB holds exactly the records before `n`.
  void ExpectOnlyFirst(int n) {
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_EQ(Get(KeyFor(i)), i < n ? Value(i) : "NOT_FOUND") << i;
    }
  }
  // The recovered DB takes writes and reopens, and the dropped records never
  // come back (replay never reaches into the old logs again).
  void ExpectGoesOn(int n) {
    ASSERT_TRUE(db_->Put({}, "after", "x").ok());
    Open();
    EXPECT_EQ(Get("after"), "x");
    ExpectOnlyFirst(n);
  }
};

TEST_F(DbWalCorruptionTest, CorruptRecordInTheMiddle) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  const int bad = 10;
  image[log][placement[bad].first_payload + 20] ^= 0x5a;  // inside the record's key
  Restore(image, &fs_, kDir);
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency}) {
    options_.wal_recovery_mode = mode;
    Status s = TryOpen();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find(log), std::string::npos) << s.ToString();
  }
  // A refused open changed nothing: point in time recovers the prefix.
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Open();
  ExpectOnlyFirst(bad);
  const auto report = Recovery(db_.get());
  EXPECT_EQ(report.at("records_replayed"), static_cast<std::uint64_t>(bad));
  // The damaged record, and the records a skip-any read finds after it: those
  // starting in a later block (the rest of the damaged block goes with it).
  EXPECT_EQ(report.at("dropped_records"), 1 + RecordsFromBlockAfter(placement, bad));
  EXPECT_EQ(report.at("dropped_bytes"), image[log].size() - placement[bad - 1].end);
  EXPECT_NE(StoppedAt(db_.get()).find(log), std::string::npos) << StoppedAt(db_.get());
  ExpectGoesOn(bad);
}

TEST_F(DbWalCorruptionTest, CorruptHeaderInTheMiddle) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  const int bad = 40;
  image[log][placement[bad].first_payload - 3] ^= 0xff;  // the fragment's length field
  Restore(image, &fs_, kDir);
  options_.wal_recovery_mode = WALRecoveryMode::kTolerateCorruptedTailRecords;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Open();
  ExpectOnlyFirst(bad);
  ExpectGoesOn(bad);
}

// A power loss tears the last sector: the last record's header reached the
// disk but its payload is zeros, or garbage. Point in time (the default)
// drops it and opens; tolerate-tail and absolute refuse.
TEST_F(DbWalCorruptionTest, DamagedLastRecord) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  for (char fill : {'\0', '\x5a'}) {
    SCOPED_TRACE(fill == 0 ? "zeroed payload" : "garbage payload");
    Image damaged = image;
    std::string& wal = damaged[log];
    for (std::uint64_t i = placement.back().first_payload; i < wal.size(); ++i) wal[i] = fill;
    MemFileSystem fs;
    Restore(damaged, &fs, kDir);
    Options options = options_;
    options.file_system = &fs;
    std::unique_ptr<DB> db;
    for (WALRecoveryMode mode :
         {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency}) {
      options.wal_recovery_mode = mode;
      Status s = DB::Open(options, kDir, &db);
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    }
    options.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
    Status s = DB::Open(options, kDir, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(ScanForward(db.get()).size(), static_cast<std::size_t>(kRecords - 1));
    EXPECT_EQ(Recovery(db.get()).at("dropped_records"), 1u);
  }
}

// Zero-filled space after the last record (a file system that extended the
// file but never wrote it): a torn tail, dropped in every mode but absolute.
TEST_F(DbWalCorruptionTest, ZeroFilledEndIsATornTail) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  image[log].append(1000, '\0');
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kAbsoluteConsistency, WALRecoveryMode::kTolerateCorruptedTailRecords,
        WALRecoveryMode::kPointInTimeRecovery}) {
    MemFileSystem fs;
    Restore(image, &fs, kDir);
    Options options = options_;
    options.file_system = &fs;
    options.wal_recovery_mode = mode;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, kDir, &db);
    if (mode == WALRecoveryMode::kAbsoluteConsistency) {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(ScanForward(db.get()).size(), static_cast<std::size_t>(kRecords));
    EXPECT_EQ(Recovery(db.get()).at("torn_tail_bytes"), 1000u);
  }
}

// Absolute consistency accepts a log that ends cleanly.
TEST_F(DbWalCorruptionTest, AbsoluteConsistencyOpensAnUndamagedLog) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  options_.wal_recovery_mode = WALRecoveryMode::kAbsoluteConsistency;
  Open();
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords));
  EXPECT_EQ(Recovery(db_.get()).at("records_replayed"), static_cast<std::uint64_t>(kRecords));
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
  options_.wal_recovery_mode = WALRecoveryMode::kSkipAnyCorruptedRecords;
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
  // The recovered DB is whole: it takes writes and reopens in the default mode.
  ASSERT_TRUE(db_->Put({}, "after", "x").ok());
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Open();
  EXPECT_EQ(Get("after"), "x");
  EXPECT_EQ(Get(KeyFor(0)), Value(0));
}

// Logs the DB would not write by itself, next to its own: the fixture writes
// kRecords puts (sequences 1..kRecords) into the DB's WAL, then a test adds a
// later log of its own making.
class DbWalSequenceTest : public DbWalCorruptionTest {
 protected:
  static constexpr std::uint64_t kExtraLog = 900;  // above every number the DB used

  // Writes `batches` into the log numbered `number`, each as one record.
  void WriteLog(std::uint64_t number, const std::vector<WriteBatch>& batches) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(LogFileName(kDir, number), &file).ok());
    LogWriter writer(file.get());
    for (const WriteBatch& batch : batches) ASSERT_TRUE(writer.AddRecord(batch.Contents()).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }
  // Puts of "x<i>" for i in [first, first + n), one batch each, sequences from `first`.
  static std::vector<WriteBatch> Puts(std::uint64_t first, int n) {
    std::vector<WriteBatch> batches(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      batches[i].Put("x" + std::to_string(first + i), "y");
      batches[i].SetSequence(first + static_cast<std::uint64_t>(i));
    }
    return batches;
  }
  void BuildWithExtraLog(std::uint64_t first, int n, Image* image, std::string* log,
                         std::vector<LogPlacement>* placement) {
    Build(image, log, placement);
    WriteLog(kExtraLog, Puts(first, n));
    *image = Capture(&fs_, kDir);
  }
};

TEST_F(DbWalSequenceTest, RecordsContinuingAcrossLogsAreAllReplayed) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  BuildWithExtraLog(kRecords + 1, 10, &image, &log, &placement);
  options_.wal_recovery_mode = WALRecoveryMode::kAbsoluteConsistency;
  Open();
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords + 10));
  EXPECT_EQ(Recovery(db_.get()).at("logs_replayed"), 2u);
}

// A gap between logs (a log in between is lost) is Corruption in every mode
// but skip-any, which recovers both sides.
TEST_F(DbWalSequenceTest, SequenceGapBetweenLogsIsCorruption) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  BuildWithExtraLog(kRecords + 5, 10, &image, &log, &placement);
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency,
        WALRecoveryMode::kPointInTimeRecovery}) {
    options_.wal_recovery_mode = mode;
    Status s = TryOpen();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("sequence gap"), std::string::npos) << s.ToString();
  }
  options_.wal_recovery_mode = WALRecoveryMode::kSkipAnyCorruptedRecords;
  Open();
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords + 10));
}

// A log created while the one before it was not yet synced starts with a
// predecessor marker: the last sequence that earlier log holds. Whole, every
// mode replays both logs. Cut at a record boundary (a crash lost its unsynced
// tail), point in time stops there and applies nothing of the later log,
// where without the marker the gap would be Corruption; the strict modes
// refuse; skip-any salvages both sides (a hole, as that mode allows).
TEST_F(DbWalSequenceTest, APredecessorMarkerTurnsALostUnsyncedTailIntoAStop) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(LogFileName(kDir, kExtraLog), &file).ok());
    LogWriter writer(file.get());
    std::uint64_t number = 0;
    FileType type;
    ASSERT_TRUE(ParseFileName(log, &number, &type));
    ASSERT_TRUE(writer
                    .AddRecord(EncodePredecessorMarker(
                        {.log_number = number, .last = kRecords, .has_records = true}))
                    .ok());
    for (const WriteBatch& batch : Puts(kRecords + 1, 10)) {
      ASSERT_TRUE(writer.AddRecord(batch.Contents()).ok());
    }
    ASSERT_TRUE(file->Close().ok());
  }
  image = Capture(&fs_, kDir);
  const std::string later_key = "x" + std::to_string(kRecords + 1);
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency,
        WALRecoveryMode::kPointInTimeRecovery, WALRecoveryMode::kSkipAnyCorruptedRecords}) {
    SCOPED_TRACE(static_cast<int>(mode));
    options_.wal_recovery_mode = mode;
    Restore(image, &fs_, kDir);
    Open();
    EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords + 10));
  }

  constexpr int kKept = kRecords - 5;
  Image cut = image;
  cut[log].resize(placement[kKept - 1].end);
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kAbsoluteConsistency}) {
    options_.wal_recovery_mode = mode;
    Restore(cut, &fs_, kDir);
    Status s = TryOpen();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  options_.wal_recovery_mode = WALRecoveryMode::kSkipAnyCorruptedRecords;
  Restore(cut, &fs_, kDir);
  Open();
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kKept + 10));
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Restore(cut, &fs_, kDir);
  Open();
  ExpectOnlyFirst(kKept);
  EXPECT_EQ(Get(later_key), "NOT_FOUND");
  EXPECT_NE(StoppedAt(db_.get()).find("a crash lost what it had not synced"), std::string::npos)
      << StoppedAt(db_.get());
  EXPECT_EQ(Recovery(db_.get()).at("dropped_records"), 11u);  // the marker and the ten puts
  ExpectGoesOn(kKept);
}

// Point in time stops at damage in the first log and applies nothing from
// the second, although the second is intact.
TEST_F(DbWalSequenceTest, PointInTimeAppliesNothingFromLaterLogs) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  BuildWithExtraLog(kRecords + 1, 10, &image, &log, &placement);
  const int bad = 100;
  image[log][placement[bad].first_payload + 20] ^= 0x5a;
  Restore(image, &fs_, kDir);
  Open();
  ExpectOnlyFirst(bad);
  EXPECT_EQ(Get("x" + std::to_string(kRecords + 1)), "NOT_FOUND");
  EXPECT_EQ(Recovery(db_.get()).at("dropped_records"),
            1 + RecordsFromBlockAfter(placement, bad) + 10);
  ExpectGoesOn(bad);
}

// Every log but the last was synced whole before the next began, so an
// incomplete end there is lost data: point in time stops, tolerate-tail refuses.
TEST_F(DbWalSequenceTest, IncompleteEndOfAnEarlierLogIsNotATornTail) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  BuildWithExtraLog(kRecords + 1, 10, &image, &log, &placement);
  image[log].resize(placement.back().end - 5);
  Restore(image, &fs_, kDir);
  options_.wal_recovery_mode = WALRecoveryMode::kTolerateCorruptedTailRecords;
  EXPECT_TRUE(TryOpen().IsCorruption());
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Open();
  ExpectOnlyFirst(kRecords - 1);
  EXPECT_EQ(Get("x" + std::to_string(kRecords + 1)), "NOT_FOUND");
}

// A failed Open (or rotation) can leave an empty newer log after one that
// ends torn: the torn one is still the last holding anything, so its tail
// is a torn tail, not damage. (Tolerate-tail refused this DB before.)
TEST_F(DbWalSequenceTest, EmptyLogsAfterATornOneDoNotMakeItsTailDamage) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  image[log].resize(placement.back().end - 5);
  Restore(image, &fs_, kDir);
  WriteLog(kExtraLog, {});
  const Image torn = Capture(&fs_, kDir);
  for (WALRecoveryMode mode :
       {WALRecoveryMode::kTolerateCorruptedTailRecords, WALRecoveryMode::kPointInTimeRecovery}) {
    db_.reset();
    Restore(torn, &fs_, kDir);
    options_.wal_recovery_mode = mode;
    Open();
    ExpectOnlyFirst(kRecords - 1);
    EXPECT_EQ(StoppedAt(db_.get()), "-");
    EXPECT_EQ(Recovery(db_.get()).at("torn_tail_bytes"),
              placement.back().end - 5 - placement[kRecords - 2].end);
  }
}

// A record whose checksum holds but whose batch does not decode.
TEST_F(DbWalSequenceTest, UndecodableBatch) {
  Image image;
  std::string log;
  std::vector<LogPlacement> placement;
  Build(&image, &log, &placement);
  std::vector<WriteBatch> batches = Puts(kRecords + 1, 3);
  std::string bad(batches[1].Contents());
  bad[8] = 7;  // the count: 7 records announced, 1 present
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_.NewWritableFile(LogFileName(kDir, kExtraLog), &file).ok());
  LogWriter writer(file.get());
  ASSERT_TRUE(writer.AddRecord(batches[0].Contents()).ok());
  ASSERT_TRUE(writer.AddRecord(bad).ok());
  ASSERT_TRUE(writer.AddRecord(batches[2].Contents()).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  image = Capture(&fs_, kDir);

  options_.wal_recovery_mode = WALRecoveryMode::kTolerateCorruptedTailRecords;
  EXPECT_TRUE(TryOpen().IsCorruption());
  options_.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  Open();
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords + 1));
  EXPECT_EQ(Recovery(db_.get()).at("dropped_records"), 2u);
  db_.reset();
  Restore(image, &fs_, kDir);
  options_.wal_recovery_mode = WALRecoveryMode::kSkipAnyCorruptedRecords;
  Open();
  // The batch after the bad one is kept; skip-any does not mind the gap.
  EXPECT_EQ(ScanForward(db_.get()).size(), static_cast<std::size_t>(kRecords + 2));
}

// Writes without the WAL take sequence numbers the WAL never sees; the next
// logged write marks the jump, so replay does not take it for a lost record.
TEST_F(DbWalRecoveryTest, UnknownRecoveryModeIsInvalidArgument) {
  options_.wal_recovery_mode = static_cast<WALRecoveryMode>(9);
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::OpenForReadOnly(options_, kDir, &db).IsInvalidArgument());
}

TEST_F(DbWalRecoveryTest, UnloggedWritesBetweenLoggedOnesAreNoGap) {
  Open();
  WriteOptions unlogged;
  unlogged.disable_wal = true;
  WriteOptions synced;
  synced.sync = true;
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Put(unlogged, "b", "2").ok());
  ASSERT_TRUE(db_->Put(unlogged, "c", "3").ok());
  ASSERT_TRUE(db_->Put(synced, "d", "4").ok());
  Crash();
  options_.wal_recovery_mode = WALRecoveryMode::kAbsoluteConsistency;
  Open();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");  // lost with the crash, as disable_wal says
  EXPECT_EQ(Get("c"), "NOT_FOUND");
  EXPECT_EQ(Get("d"), "4");
  // And again after the reopen: the new WAL continues from the recovered state.
  ASSERT_TRUE(db_->Put(unlogged, "e", "5").ok());
  ASSERT_TRUE(db_->Put(synced, "f", "6").ok());
  Crash();
  Open();
  EXPECT_EQ(Get("f"), "6");
  EXPECT_EQ(Get("e"), "NOT_FOUND");
}

}  // namespace
}  // namespace arenakv
