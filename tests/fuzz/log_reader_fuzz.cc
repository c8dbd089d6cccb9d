// SPDX-License-Identifier: Apache-2.0
// log_reader_fuzz: LogReader over arbitrary bytes.
//
// Feeds: the input, as a whole write-ahead log or manifest file
// (docs/FORMATS.md, "Write-ahead log"), read through an in-memory
// SequentialFile three ways: checksums verified, stopping at corruption (what
// recovery does by default); checksums verified, skipping corruption (skip-any
// recovery); checksums not verified, skipping corruption.
// Checks, in every mode: status() is OK or Corruption, and OK when skipping;
// a stopped default read reported its corruption and an OK one reported none;
// last_record_end() <= bytes_read() <= the input's size; every record returned
// is whole: the file advanced by at least its size plus one fragment header;
// a finished reader stays finished. Across modes: the records of the default
// read are a prefix of those of the skipping read. Round trip: the records,
// written again with LogWriter, read back identical with an OK status and no
// tail.
// A crash means the reader reads outside its block buffer, loops, returns a
// record made of bytes it did not verify as one record, or disagrees with the
// writer about the format.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/log/log_format.h"
#include "mvcc/log/log_reader.h"
#include "mvcc/log/log_writer.h"
#include "tests/fuzz/fuzz_util.h"

namespace arenakv {
namespace {

class CountingReporter final : public LogReader::Reporter {
 public:
  void Corruption(std::size_t /*bytes*/, const Status& reason) override {
    FUZZ_CHECK(reason.IsCorruption(), "reported a non-Corruption: " + reason.ToString());
    ++reports;
  }
  int reports = 0;
};

// Reads every record of `log` and checks the invariants that hold in any mode.
std::vector<std::string> ReadAll(std::string_view log, bool verify_checksums, bool skip_corruption,
                                 Status* status) {
  fuzz::StringSequentialFile file(log);
  CountingReporter reporter;
  LogReader reader(&file, &reporter, verify_checksums, skip_corruption);
  std::vector<std::string> records;
  std::string record;
  std::uint64_t previous_end = 0;
  while (reader.ReadRecord(&record)) {
    const std::uint64_t end = reader.last_record_end();
    FUZZ_CHECK(end >= previous_end + kLogHeaderSize + record.size(),
               "a record larger than the bytes it was read from");
    FUZZ_CHECK(end <= reader.bytes_read(), "last_record_end() past bytes_read()");
    previous_end = end;
    records.push_back(record);
  }
  FUZZ_CHECK(!reader.ReadRecord(&record), "ReadRecord returned a record after the end");
  FUZZ_CHECK(reader.last_record_end() == previous_end, "last_record_end() moved after the end");
  FUZZ_CHECK(reader.last_record_end() <= reader.bytes_read(), "last_record_end() > bytes_read()");
  FUZZ_CHECK(reader.bytes_read() <= log.size(), "bytes_read() past the end of the file");
  *status = reader.status();
  if (skip_corruption) {
    FUZZ_CHECK(status->ok(), "skip_corruption read stopped: " + status->ToString());
  } else {
    FUZZ_CHECK(status->ok() || status->IsCorruption(), status->ToString());
    FUZZ_CHECK(status->ok() == (reporter.reports == 0),
               "default read: Corruption status and reports disagree");
  }
  return records;
}

void FuzzLogReader(std::string_view input) {
  Status strict_status, skip_status, unchecked_status;
  const std::vector<std::string> strict = ReadAll(input, true, false, &strict_status);
  const std::vector<std::string> skipping = ReadAll(input, true, true, &skip_status);
  ReadAll(input, false, true, &unchecked_status);

  FUZZ_CHECK(strict.size() <= skipping.size(), "skipping read found fewer records");
  for (std::size_t i = 0; i < strict.size(); ++i) {
    FUZZ_CHECK(strict[i] == skipping[i],
               "default and skipping reads differ at record " + std::to_string(i));
  }
  if (strict_status.ok()) {
    FUZZ_CHECK(strict.size() == skipping.size(), "clean log read differently when skipping");
  }

  // What was read, written again, reads back exactly.
  fuzz::StringWritableFile sink;
  LogWriter writer(&sink);
  for (const std::string& record : skipping) {
    FUZZ_CHECK(writer.AddRecord(record).ok(), "LogWriter::AddRecord failed");
  }
  fuzz::StringSequentialFile file(sink.contents);
  CountingReporter reporter;
  LogReader reader(&file, &reporter, true);
  std::string record;
  std::size_t i = 0;
  while (reader.ReadRecord(&record)) {
    FUZZ_CHECK(i < skipping.size() && record == skipping[i], "round trip: record differs");
    ++i;
  }
  FUZZ_CHECK(i == skipping.size(), "round trip: records missing");
  FUZZ_CHECK(reader.status().ok() && reporter.reports == 0,
             "round trip: " + reader.status().ToString());
  FUZZ_CHECK(reader.last_record_end() == sink.contents.size() &&
                 reader.bytes_read() == sink.contents.size(),
             "round trip: the rewritten log reads as having a tail");
}

}  // namespace
}  // namespace arenakv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  arenakv::FuzzLogReader(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
