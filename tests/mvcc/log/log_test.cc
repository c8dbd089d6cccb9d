// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/log/log_format.h"
#include "mvcc/log/log_reader.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/util/checksum.h"
#include "mvcc/util/coding.h"
#include "tests/support/string_files.h"

namespace arenakv {
namespace {

using StringSink = test::StringWritableFile;
using StringSource = test::StringSequentialFile;

class CountingReporter : public LogReader::Reporter {
 public:
  void Corruption(std::size_t bytes, const Status& reason) override {
    EXPECT_TRUE(reason.IsCorruption());
    ++reports;
    dropped_bytes += bytes;
    last_reason = reason.message();
  }
  int reports = 0;
  std::size_t dropped_bytes = 0;
  std::string last_reason;
};

// A log written by LogWriter, with the file offset at which each record ends.
struct Log {
  std::string contents;
  std::vector<std::string> records;
  std::vector<std::size_t> ends;
};

Log WriteLog(const std::vector<std::string>& records) {
  StringSink sink;
  LogWriter writer(&sink);
  Log log;
  for (const std::string& record : records) {
    EXPECT_TRUE(writer.AddRecord(record).ok());
    log.ends.push_back(sink.contents.size());
  }
  log.contents = std::move(sink.contents);
  log.records = records;
  return log;
}

struct ReadResult {
  std::vector<std::string> records;
  Status status;
};

ReadResult ReadLog(std::string contents, LogReader::Reporter* reporter = nullptr,
                   bool skip_corruption = false) {
  StringSource source(std::move(contents));
  LogReader reader(&source, reporter, /*verify_checksums=*/true, skip_corruption);
  ReadResult result;
  std::string record;
  while (reader.ReadRecord(&record)) result.records.push_back(record);
  // Once done, it stays done.
  EXPECT_FALSE(reader.ReadRecord(&record));
  result.status = reader.status();
  return result;
}

// A record of `size` bytes whose content depends on `seed`.
std::string MakeRecord(std::size_t size, std::uint64_t seed) {
  std::string record(size, '\0');
  std::mt19937_64 rng(seed);
  for (char& c : record) c = static_cast<char>(rng());
  return record;
}

// AddRecord(head, tail) writes the bytes AddRecord(head + tail) writes,
// wherever the parts' boundary falls against fragment and block boundaries.
TEST(LogWriterTest, ARecordInTwoPartsIsWrittenAsInOne) {
  const std::size_t kMaxFragment = kLogBlockSize - kLogHeaderSize;
  for (const std::size_t before : {std::size_t{0}, kMaxFragment - 3, kMaxFragment - 100}) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, kMaxFragment,
                                   kMaxFragment + 1, 3 * kLogBlockSize + 17}) {
      const std::string record = MakeRecord(size, size + before);
      for (const std::size_t split : {std::size_t{0}, std::min(size, std::size_t{1}), size / 2,
                                      size - std::min(size, std::size_t{1}), size}) {
        StringSink one, two;
        LogWriter one_writer(&one), two_writer(&two);
        for (LogWriter* w : {&one_writer, &two_writer}) {
          ASSERT_TRUE(w->AddRecord(MakeRecord(before, 7)).ok());
        }
        ASSERT_TRUE(one_writer.AddRecord(record).ok());
        const std::string_view view = record;
        ASSERT_TRUE(two_writer.AddRecord(view.substr(0, split), view.substr(split)).ok());
        ASSERT_EQ(one.contents, two.contents) << before << " " << size << " " << split;
      }
    }
  }
}

// Appends one hand-made fragment (checksummed like LogWriter's).
void AppendFragment(std::string* log, LogRecordType type, std::string_view payload) {
  const char type_byte = static_cast<char>(type);
  PutFixed32(log, Checksum32(std::string_view(&type_byte, 1), payload));
  char length[2];
  EncodeFixed16(length, static_cast<std::uint16_t>(payload.size()));
  log->append(length, 2);
  log->push_back(type_byte);
  log->append(payload);
}

constexpr std::size_t kMaxFragment = kLogBlockSize - kLogHeaderSize;

TEST(LogTest, EmptyLogHasNoRecords) {
  ReadResult result = ReadLog("");
  EXPECT_TRUE(result.records.empty());
  EXPECT_TRUE(result.status.ok());
}

TEST(LogTest, RoundTripsEmptyAndOneByteRecords) {
  const std::vector<std::string> records = {"", "x", "", std::string(1, '\0'), "hello"};
  Log log = WriteLog(records);
  EXPECT_EQ(log.ends[0], kLogHeaderSize);  // an empty record is a bare header
  ReadResult result = ReadLog(log.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, RecordFillingABlockExactlyLeavesNoTrailer) {
  Log log = WriteLog({MakeRecord(kMaxFragment, 1), "next"});
  EXPECT_EQ(log.ends[0], kLogBlockSize);
  EXPECT_EQ(log.ends[1], kLogBlockSize + kLogHeaderSize + 4);
  ReadResult result = ReadLog(log.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records, log.records);
}

TEST(LogTest, BlockTailsTooSmallForAHeaderAreZeroFilled) {
  for (std::size_t tail = 0; tail <= kLogHeaderSize; ++tail) {
    // The first record leaves `tail` bytes in block 0.
    Log log = WriteLog({MakeRecord(kMaxFragment - tail, tail), "after", ""});
    ASSERT_EQ(log.ends[0], kLogBlockSize - tail);
    if (tail < kLogHeaderSize) {
      // The trailer is skipped; "after" starts block 1.
      EXPECT_EQ(log.contents.substr(kLogBlockSize - tail, tail), std::string(tail, '\0'));
      EXPECT_EQ(log.ends[1], kLogBlockSize + kLogHeaderSize + 5);
    } else {
      // Exactly a header fits: an empty first fragment, the rest in block 1.
      EXPECT_EQ(log.ends[1], kLogBlockSize + kLogHeaderSize + 5);
    }
    ReadResult result = ReadLog(log.contents);
    EXPECT_TRUE(result.status.ok()) << tail;
    EXPECT_EQ(result.records, log.records) << tail;
  }
}

TEST(LogTest, RecordsSpanManyBlocks) {
  const std::vector<std::string> records = {"small", MakeRecord(5 * kLogBlockSize + 123, 2),
                                            MakeRecord(2 * kMaxFragment, 3),
                                            MakeRecord(kLogBlockSize, 4), "tail"};
  Log log = WriteLog(records);
  ReadResult result = ReadLog(log.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, ManySmallRecords) {
  std::vector<std::string> records;
  for (int i = 0; i < 100000; ++i) records.push_back(std::to_string(i));
  Log log = WriteLog(records);
  ReadResult result = ReadLog(log.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, RandomSizesMatchTheModel) {
  std::mt19937_64 rng(7);
  std::vector<std::string> records;
  for (int i = 0; i < 2000; ++i) {
    // Mostly small, sometimes around a block, rarely several blocks.
    const std::uint64_t pick = rng() % 100;
    std::size_t size = rng() % 100;
    if (pick >= 98) {
      size = rng() % (4 * kLogBlockSize);
    } else if (pick >= 90) {
      size = kLogBlockSize - 64 + rng() % 128;
    } else if (pick >= 60) {
      size = rng() % 4000;
    }
    records.push_back(MakeRecord(size, rng()));
  }
  Log log = WriteLog(records);
  ReadResult result = ReadLog(log.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, WriterContinuesAnExistingLog) {
  StringSink sink;
  {
    LogWriter writer(&sink);
    ASSERT_TRUE(writer.AddRecord(MakeRecord(kLogBlockSize - 100, 5)).ok());
  }
  LogWriter writer(&sink);  // picks up at offset kLogBlockSize - 100 + 7
  ASSERT_TRUE(writer.AddRecord(MakeRecord(300, 6)).ok());
  ReadResult result = ReadLog(sink.contents);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.records,
            (std::vector<std::string>{MakeRecord(kLogBlockSize - 100, 5), MakeRecord(300, 6)}));
}

// Cutting the log at byte `length` must yield exactly the records that end at
// or before it, with an OK status and no reports.
void CheckTruncation(const Log& log, std::size_t length) {
  CountingReporter reporter;
  ReadResult result = ReadLog(log.contents.substr(0, length), &reporter);
  const std::size_t intact = static_cast<std::size_t>(
      std::upper_bound(log.ends.begin(), log.ends.end(), length) - log.ends.begin());
  ASSERT_TRUE(result.status.ok()) << "cut at " << length << ": " << result.status.ToString();
  ASSERT_EQ(reporter.reports, 0) << "cut at " << length << ": " << reporter.last_reason;
  ASSERT_EQ(result.records.size(), intact) << "cut at " << length;
  for (std::size_t i = 0; i < intact; ++i) ASSERT_EQ(result.records[i], log.records[i]);
}

TEST(LogTest, RecoversPrefixAfterTornTailAtEveryByte) {
  std::vector<std::string> records;
  for (std::size_t i = 0; i < 24; ++i) records.push_back(MakeRecord(i * 13 % 200, i));
  records.push_back("");
  records.push_back("z");
  Log log = WriteLog(records);
  for (std::size_t length = 0; length <= log.contents.size(); ++length) {
    CheckTruncation(log, length);
  }
}

// last_record_end() is where each record ends in the file, and once reading
// is done, bytes_read() - last_record_end() is the torn tail: what recovery
// reports as dropped (and absolute consistency refuses).
TEST(LogTest, OffsetsLocateEachRecordAndTheTornTail) {
  std::vector<std::string> records;
  for (std::size_t i = 0; i < 40; ++i) records.push_back(MakeRecord(i * 977 % 9000, i));
  Log log = WriteLog(records);
  for (std::size_t cut :
       {log.contents.size(), log.contents.size() - 1, log.ends[30] + 3, log.ends[12]}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    StringSource source(log.contents.substr(0, cut));
    LogReader reader(&source, nullptr, /*verify_checksums=*/true);
    EXPECT_EQ(reader.last_record_end(), 0u);
    std::string record;
    std::size_t n = 0;
    while (reader.ReadRecord(&record)) {
      ASSERT_EQ(reader.last_record_end(), log.ends[n]);
      ++n;
    }
    ASSERT_TRUE(reader.status().ok());
    ASSERT_GT(n, 0u);
    EXPECT_EQ(reader.bytes_read(), cut);
    EXPECT_EQ(reader.bytes_read() - reader.last_record_end(), cut - log.ends[n - 1]);
  }
}

TEST(LogTest, RecoversPrefixAfterTornTailAcrossBlocks) {
  // Records spanning blocks, one ending exactly at a block boundary, one
  // leaving a 3-byte trailer, an empty one.
  std::vector<std::string> records = {MakeRecord(100, 1), MakeRecord(kLogBlockSize + 500, 2),
                                      MakeRecord(10, 3)};
  std::size_t used = WriteLog(records).contents.size() % kLogBlockSize;
  records.push_back(MakeRecord(kLogBlockSize - used - kLogHeaderSize, 4));
  records.push_back(MakeRecord(kMaxFragment - 3, 5));
  records.push_back("");
  records.push_back(MakeRecord(2 * kLogBlockSize, 6));
  records.push_back("end");
  Log log = WriteLog(records);
  ASSERT_EQ(log.ends[3], 2 * kLogBlockSize);
  ASSERT_EQ(log.ends[4], 3 * kLogBlockSize - 3);
  // Every byte near a block or record boundary, and a stride through the rest.
  std::vector<std::size_t> cuts;
  for (std::size_t length = 0; length <= log.contents.size(); length += 97) cuts.push_back(length);
  std::vector<std::size_t> boundaries = log.ends;
  for (std::size_t b = 0; b <= log.contents.size(); b += kLogBlockSize) boundaries.push_back(b);
  for (std::size_t b : boundaries) {
    for (std::size_t d = 0; d <= 2 * kLogHeaderSize; ++d) {
      if (b >= d) cuts.push_back(b - d);
      if (b + d <= log.contents.size()) cuts.push_back(b + d);
    }
  }
  for (std::size_t length : cuts) CheckTruncation(log, length);
}

TEST(LogTest, FileEndingInZeroFilledSpaceIsATornTail) {
  Log log = WriteLog({"one", MakeRecord(5000, 1), "three"});
  // Zeros within the last block, and zeros running into two more blocks.
  for (std::size_t zeros :
       {std::size_t{1}, kLogHeaderSize, std::size_t{1000}, 2 * kLogBlockSize + 17}) {
    CountingReporter reporter;
    ReadResult result = ReadLog(log.contents + std::string(zeros, '\0'), &reporter);
    EXPECT_TRUE(result.status.ok()) << zeros;
    EXPECT_EQ(reporter.reports, 0) << zeros;
    EXPECT_EQ(result.records, log.records) << zeros;
  }
}

TEST(LogTest, UnfinishedRecordFollowedByZerosIsATornTail) {
  std::string contents;
  AppendFragment(&contents, LogRecordType::kFull, "whole");
  AppendFragment(&contents, LogRecordType::kFirst, "half");
  contents.append(100, '\0');
  CountingReporter reporter;
  ReadResult result = ReadLog(contents, &reporter);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(reporter.reports, 0);
  EXPECT_EQ(result.records, (std::vector<std::string>{"whole"}));
}

// 20 records of 5000 bytes over four blocks; record 3 lies wholly in block 0.
Log FourBlockLog() {
  std::vector<std::string> records;
  for (int i = 0; i < 20; ++i) records.push_back(MakeRecord(5000, 100 + i));
  return WriteLog(records);
}

// What skip_corruption recovers after damage in block 0, record `bad`: the
// records before it and every record that starts in a later block.
std::vector<std::string> SurvivorsOfBlockZeroDamage(const Log& log, std::size_t bad) {
  std::vector<std::string> survivors;
  for (std::size_t i = 0; i < log.records.size(); ++i) {
    const std::size_t start = i == 0 ? 0 : log.ends[i - 1];
    if (i < bad || start >= kLogBlockSize) survivors.push_back(log.records[i]);
  }
  return survivors;
}

TEST(LogTest, FlippedPayloadByteIsCorruptionByDefault) {
  Log log = FourBlockLog();
  std::string damaged = log.contents;
  damaged[log.ends[2] + kLogHeaderSize + 100] ^= 0x01;  // inside record 3's payload
  CountingReporter reporter;
  ReadResult result = ReadLog(damaged, &reporter);
  EXPECT_TRUE(result.status.IsCorruption()) << result.status.ToString();
  EXPECT_EQ(result.records, std::vector<std::string>(log.records.begin(), log.records.begin() + 3));
  EXPECT_EQ(reporter.reports, 1);
  EXPECT_GT(reporter.dropped_bytes, 0u);
}

TEST(LogTest, SkipCorruptionReadsOnPastAFlippedByte) {
  Log log = FourBlockLog();
  std::string damaged = log.contents;
  damaged[log.ends[2] + kLogHeaderSize + 100] ^= 0x01;
  CountingReporter reporter;
  ReadResult result = ReadLog(damaged, &reporter, /*skip_corruption=*/true);
  EXPECT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(result.records, SurvivorsOfBlockZeroDamage(log, 3));
  EXPECT_GT(result.records.size(), 10u);
  EXPECT_GE(reporter.reports, 1);
  // At least the rest of block 0 from record 3 on was dropped.
  EXPECT_GE(reporter.dropped_bytes, kLogBlockSize - log.ends[2]);
}

TEST(LogTest, DamagedHeaderIsCorruption) {
  Log log = FourBlockLog();
  for (std::size_t header_byte = 0; header_byte < kLogHeaderSize; ++header_byte) {
    std::string damaged = log.contents;
    damaged[log.ends[2] + header_byte] ^= 0x40;  // record 3's checksum, length or type
    ReadResult strict = ReadLog(damaged);
    EXPECT_TRUE(strict.status.IsCorruption()) << header_byte;
    EXPECT_EQ(strict.records.size(), 3u) << header_byte;

    CountingReporter reporter;
    ReadResult skipping = ReadLog(damaged, &reporter, /*skip_corruption=*/true);
    EXPECT_TRUE(skipping.status.ok()) << header_byte;
    EXPECT_EQ(skipping.records, SurvivorsOfBlockZeroDamage(log, 3)) << header_byte;
    EXPECT_GE(reporter.reports, 1) << header_byte;
  }
}

TEST(LogTest, FlippedByteInTheLastRecordIsCorruption) {
  Log log = WriteLog({"first", "second", "last record"});
  std::string damaged = log.contents;
  damaged[damaged.size() - 2] ^= 0x01;
  ReadResult result = ReadLog(damaged);
  EXPECT_TRUE(result.status.IsCorruption());
  EXPECT_EQ(result.records, (std::vector<std::string>{"first", "second"}));
}

TEST(LogTest, UncheckedReaderDoesNotSeeAFlippedPayloadByte) {
  Log log = WriteLog({"abc", "def"});
  std::string damaged = log.contents;
  damaged[kLogHeaderSize] = 'X';
  StringSource source(damaged);
  LogReader reader(&source, nullptr, /*verify_checksums=*/false);
  std::string record;
  ASSERT_TRUE(reader.ReadRecord(&record));
  EXPECT_EQ(record, "Xbc");
  ASSERT_TRUE(reader.ReadRecord(&record));
  EXPECT_EQ(record, "def");
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_TRUE(reader.status().ok());
}

TEST(LogTest, FragmentWithoutStartIsCorruption) {
  std::string contents;
  AppendFragment(&contents, LogRecordType::kFull, "before");
  AppendFragment(&contents, LogRecordType::kMiddle, "orphan middle");
  AppendFragment(&contents, LogRecordType::kLast, "orphan last");
  AppendFragment(&contents, LogRecordType::kFull, "after");

  ReadResult strict = ReadLog(contents);
  EXPECT_TRUE(strict.status.IsCorruption());
  EXPECT_EQ(strict.records, (std::vector<std::string>{"before"}));

  CountingReporter reporter;
  ReadResult skipping = ReadLog(contents, &reporter, /*skip_corruption=*/true);
  EXPECT_TRUE(skipping.status.ok());
  EXPECT_EQ(skipping.records, (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(reporter.reports, 2);
  EXPECT_EQ(reporter.dropped_bytes,
            std::string_view("orphan middle").size() + std::string_view("orphan last").size());
}

TEST(LogTest, RecordWithoutEndIsCorruption) {
  std::string contents;
  AppendFragment(&contents, LogRecordType::kFirst, "abandoned");
  AppendFragment(&contents, LogRecordType::kFull, "full");
  AppendFragment(&contents, LogRecordType::kFirst, "ab");
  AppendFragment(&contents, LogRecordType::kMiddle, "and");
  AppendFragment(&contents, LogRecordType::kFirst, "new ");
  AppendFragment(&contents, LogRecordType::kLast, "record");

  ReadResult strict = ReadLog(contents);
  EXPECT_TRUE(strict.status.IsCorruption());
  EXPECT_TRUE(strict.records.empty());

  CountingReporter reporter;
  ReadResult skipping = ReadLog(contents, &reporter, /*skip_corruption=*/true);
  EXPECT_TRUE(skipping.status.ok());
  EXPECT_EQ(skipping.records, (std::vector<std::string>{"full", "new record"}));
  EXPECT_EQ(reporter.reports, 2);
  EXPECT_EQ(reporter.dropped_bytes, std::string_view("abandoned").size() + 5);
}

TEST(LogTest, UnknownFragmentTypeIsCorruption) {
  std::string contents;
  AppendFragment(&contents, LogRecordType::kFull, "ok");
  AppendFragment(&contents, static_cast<LogRecordType>(9), "future");
  AppendFragment(&contents, LogRecordType::kFull, "after");
  EXPECT_TRUE(ReadLog(contents).status.IsCorruption());
  ReadResult skipping = ReadLog(contents, nullptr, /*skip_corruption=*/true);
  EXPECT_TRUE(skipping.status.ok());
  EXPECT_EQ(skipping.records, (std::vector<std::string>{"ok", "after"}));
}

// Types 5..7 once collided with the reader's own markers (end of file, bad
// fragment, zero-filled space): a type-5 fragment ended the log silently, as
// if it were a torn tail, and dropped every record after it (found by
// tests/fuzz/log_reader_fuzz).
TEST(LogTest, FragmentTypesPastTheKnownOnesAreCorruption) {
  for (const unsigned type : {5u, 6u, 7u, 255u}) {
    SCOPED_TRACE(type);
    std::string contents;
    AppendFragment(&contents, LogRecordType::kFull, "ok");
    AppendFragment(&contents, static_cast<LogRecordType>(type), "future");
    AppendFragment(&contents, LogRecordType::kFull, "after");
    CountingReporter reporter;
    const ReadResult strict = ReadLog(contents, &reporter);
    EXPECT_TRUE(strict.status.IsCorruption()) << strict.status.ToString();
    EXPECT_EQ(strict.records, (std::vector<std::string>{"ok"}));
    EXPECT_EQ(reporter.reports, 1);
    const ReadResult skipping = ReadLog(contents, nullptr, /*skip_corruption=*/true);
    EXPECT_TRUE(skipping.status.ok());
    EXPECT_EQ(skipping.records, (std::vector<std::string>{"ok", "after"}));
  }
}

TEST(LogTest, ZeroFilledSpaceFollowedByRecordsIsCorruption) {
  StringSink sink;
  {
    LogWriter writer(&sink);
    ASSERT_TRUE(writer.AddRecord("before").ok());
  }
  sink.contents.resize(kLogBlockSize, '\0');  // the rest of block 0 zero-filled
  {
    LogWriter writer(&sink);
    ASSERT_TRUE(writer.AddRecord("after").ok());
  }
  ReadResult strict = ReadLog(sink.contents);
  EXPECT_TRUE(strict.status.IsCorruption());
  EXPECT_EQ(strict.records, (std::vector<std::string>{"before"}));

  CountingReporter reporter;
  ReadResult skipping = ReadLog(sink.contents, &reporter, /*skip_corruption=*/true);
  EXPECT_TRUE(skipping.status.ok());
  EXPECT_EQ(skipping.records, (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(reporter.reports, 1);
  EXPECT_EQ(reporter.dropped_bytes, kLogBlockSize - (kLogHeaderSize + 6));
}

TEST(LogTest, ReadErrorStopsReading) {
  Log log = WriteLog({"a", "b"});
  StringSource source(log.contents);
  source.fail_reads = true;
  LogReader reader(&source, nullptr, /*verify_checksums=*/true);
  std::string record;
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_TRUE(reader.status().IsIOError());
}

}  // namespace
}  // namespace arenakv
