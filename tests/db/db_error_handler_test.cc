// SPDX-License-Identifier: Apache-2.0
// Background errors by severity (mvcc/db/error_handler.cc), black-box on a
// MemFileSystem whose faults fire at one kind of call on one kind of file
// (and each test checks that its fault fired):
//   - a table's fsync fails: retryable; Resume writes the table again into a
//     new file (never re-syncs the doomed one), and a power loss after that
//     loses nothing;
//   - NoSpace while flushing: retried automatically with backoff, up to
//     max_bgerror_resume_count, then left to Resume;
//   - a compaction output fails: retryable; a manifest write fails: fatal,
//     and the DB reopens whole (the outputs of the compaction are kept);
//   - read errors fail the read, not the DB.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::KeyFor;
using Op = MemFileSystem::Op;

constexpr const char* kDir = "/db";

class DbErrorHandlerTest : public ::testing::Test {
 protected:
  DbErrorHandlerTest() { options_.file_system = &fs_; }
  void Open() {
    db_.reset();
    Status s = DB::Open(options_, kDir, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Get(std::string_view key) { return test::GetOrNotFound(db_.get(), key); }
  void Fill(int from, int to, const std::string& value) {
    for (int i = from; i < to; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), value).ok()) << i;
  }
  void ExpectFilled(int from, int to, const std::string& value) {
    for (int i = from; i < to; ++i) ASSERT_EQ(Get(KeyFor(i)), value) << i;
  }
  std::map<std::string, std::uint64_t> BackgroundError() {
    std::string text;
    EXPECT_TRUE(db_->GetProperty("arenakv.background-error", &text));
    return test::ParseProperty(text);
  }
  std::string Severity() {
    std::string text;
    EXPECT_TRUE(db_->GetProperty("arenakv.background-error", &text));
    return text.substr(10, text.find('\n') - 10);  // after "severity: "
  }
  // Waits (bounded) until done() holds; false on timeout.
  template <typename Done>
  static bool WaitUntil(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  bool WaitForSeverity(const std::string& want) {
    return WaitUntil([&] { return Severity() == want; });
  }

  MemFileSystem fs_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DbErrorHandlerTest, TableSyncFailureIsRetryableAndResumeWritesANewTable) {
  Open();
  Fill(0, 200, "a");
  const int fault = fs_.AddFault({.op = Op::kSync, .file = ".sst"});
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ASSERT_EQ(fs_.Fired(fault), 1);
  EXPECT_EQ(Severity(), "retryable");
  EXPECT_TRUE(db_->Put({}, "refused", "x").IsIOError());  // writes stop...
  ExpectFilled(0, 200, "a");                              // ...reads go on
  EXPECT_TRUE(test::FilesWithSuffix(&fs_, kDir, ".sst").empty()) << "the failed table stayed";

  s = db_->Resume();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Severity(), "none");
  EXPECT_EQ(BackgroundError().at("resumes"), 1u);
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 1u);
  ASSERT_TRUE(db_->Put({}, "after", "resume").ok());
  // A power loss now: the new table is durable whole (the doomed one is gone).
  fs_.SimulateCrash();
  Open();
  ExpectFilled(0, 200, "a");
}

TEST_F(DbErrorHandlerTest, NoSpaceWhileFlushingIsResumedAutomatically) {
  options_.max_bgerror_resume_count = 5;
  options_.bgerror_resume_retry_interval = 1000;  // 1 ms, then 2 ms, ...
  Open();
  Fill(0, 100, "b");
  const int fault = fs_.AddFault(
      {.op = Op::kAppend, .file = ".sst", .times = 2, .error = Status::NoSpace("disk full")});
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  // Two failures, each cleared by an automatic resume; the third try writes
  // the table. (The error is briefly clear between a resume and the retry's
  // failure: wait for the table, not for a clear error.)
  ASSERT_TRUE(WaitUntil([&] { return test::FilesAtLevel(db_.get(), 0) == 1; }))
      << "the automatic resume never got the table written";
  EXPECT_EQ(fs_.Fired(fault), 2);
  EXPECT_EQ(Severity(), "none");
  EXPECT_GE(BackgroundError().at("resumes"), 2u);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 1u);
  ExpectFilled(0, 100, "b");
  ASSERT_TRUE(db_->Put({}, "more", "c").ok());
}

// With no retry interval, the background thread clears each error and
// retries before a waiter can see it; Flush still reports that its flush failed.
TEST_F(DbErrorHandlerTest, FlushReportsAFailureThatAnImmediateResumeHid) {
  options_.max_bgerror_resume_count = 5;
  options_.bgerror_resume_retry_interval = 0;
  Open();
  Fill(0, 100, "e");
  const int fault = fs_.AddFault(
      {.op = Op::kAppend, .file = ".sst", .times = 2, .error = Status::NoSpace("disk full")});
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  ASSERT_TRUE(WaitUntil([&] { return test::FilesAtLevel(db_.get(), 0) == 1; }));
  EXPECT_EQ(fs_.Fired(fault), 2);
  EXPECT_EQ(BackgroundError().at("resumes"), 2u);
  ASSERT_TRUE(db_->Flush().ok());  // nothing failed this time
  ExpectFilled(0, 100, "e");
}

// Close flushes writes that skipped the WAL; a NoSpace that an automatic
// resume retries does not make it give up on them.
TEST_F(DbErrorHandlerTest, CloseWaitsWhileAnAutomaticResumeRetriesItsFlush) {
  options_.max_bgerror_resume_count = 5;
  options_.bgerror_resume_retry_interval = 2000;  // 2 ms, then 4 ms
  Open();
  WriteOptions no_wal;
  no_wal.disable_wal = true;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db_->Put(no_wal, KeyFor(i), "u").ok());
  const int fault = fs_.AddFault(
      {.op = Op::kAppend, .file = ".sst", .times = 2, .error = Status::NoSpace("disk full")});
  const Status s = db_->Close();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fs_.Fired(fault), 2);
  Open();
  ExpectFilled(0, 50, "u");
}

TEST_F(DbErrorHandlerTest, AutomaticResumeGivesUpAfterItsCountThenResumeWorks) {
  options_.max_bgerror_resume_count = 2;
  options_.bgerror_resume_retry_interval = 1000;
  Open();
  Fill(0, 50, "d");
  const int fault = fs_.AddFault(
      {.op = Op::kAppend, .file = ".sst", .times = -1, .error = Status::NoSpace("disk full")});
  EXPECT_TRUE(db_->Flush().IsNoSpace());
  // Two automatic retries, each failing again; then it stops trying.
  ASSERT_TRUE(WaitUntil([&] { return fs_.Fired(fault) == 3; }));
  ASSERT_TRUE(WaitForSeverity("retryable"));
  EXPECT_EQ(BackgroundError().at("automatic_resume_attempts"), 2u);
  EXPECT_EQ(fs_.Fired(fault), 3);
  EXPECT_TRUE(db_->Resume().IsNoSpace());  // the disk is still full
  fs_.ClearFaults();
  Status s = db_->Resume();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectFilled(0, 50, "d");
  ASSERT_TRUE(db_->Put({}, "more", "e").ok());
}

// Writes made without the WAL that a background error keeps from a table are
// lost at Close: Close says so (it returned OK before).
TEST_F(DbErrorHandlerTest, CloseReportsUnloggedWritesABackgroundErrorKeptFromATable) {
  options_.max_bgerror_resume_count = 0;
  Open();
  WriteOptions unlogged;
  unlogged.disable_wal = true;
  ASSERT_TRUE(db_->Put(unlogged, "k", "v").ok());
  fs_.AddFault({.op = Op::kAppend, .file = ".sst", .times = -1, .error = Status::NoSpace("full")});
  EXPECT_TRUE(db_->Flush().IsNoSpace());
  Status s = db_->Close();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
}

TEST_F(DbErrorHandlerTest, CompactionOutputFailureIsRetryable) {
  options_.disable_auto_compactions = true;
  Open();
  for (int round = 0; round < 2; ++round) {
    Fill(0, 200, "r" + std::to_string(round));
    ASSERT_TRUE(db_->Flush().ok());
  }
  const int fault = fs_.AddFault({.op = Op::kAppend, .file = ".sst"});
  Status s = db_->CompactRange(std::nullopt, std::nullopt);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ASSERT_EQ(fs_.Fired(fault), 1);
  EXPECT_EQ(Severity(), "retryable");
  ExpectFilled(0, 200, "r1");
  ASSERT_TRUE(db_->Resume().ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 0u);
  ExpectFilled(0, 200, "r1");
}

// The manifest's fsync fails after a compaction's edit reached it: whether
// the edit survives is unknowable, so the DB is fatal until reopened, and
// the compaction's outputs stay on disk (the reopened manifest may need them).
TEST_F(DbErrorHandlerTest, ManifestWriteFailureIsFatalAndTheDbReopensWhole) {
  options_.disable_auto_compactions = true;
  Open();
  for (int round = 0; round < 2; ++round) {
    Fill(0, 200, "m" + std::to_string(round));
    ASSERT_TRUE(db_->Flush().ok());
  }
  const int fault = fs_.AddFault({.op = Op::kSync, .file = "MANIFEST"});
  Status s = db_->CompactRange(std::nullopt, std::nullopt);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ASSERT_EQ(fs_.Fired(fault), 1);
  EXPECT_EQ(Severity(), "fatal");
  EXPECT_TRUE(db_->Resume().IsIOError());
  EXPECT_TRUE(db_->Put({}, "x", "y").IsIOError());
  ExpectFilled(0, 200, "m1");
  Open();
  ExpectFilled(0, 200, "m1");
  EXPECT_TRUE(db_->VerifyChecksum().ok());
  ASSERT_TRUE(db_->Put({}, "x", "y").ok());
}

TEST_F(DbErrorHandlerTest, ReadErrorsFailTheReadNotTheDb) {
  options_.block_cache_size = 0;  // every Get reads its block from the file
  Open();
  Fill(0, 100, "q");
  ASSERT_TRUE(db_->Flush().ok());
  const int fault = fs_.AddFault({.op = Op::kRead, .file = ".sst"});
  std::string value;
  Status s = db_->Get({}, KeyFor(5), &value);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(fs_.Fired(fault), 1);
  EXPECT_EQ(Get(KeyFor(5)), "q");  // the next read works
  EXPECT_EQ(Severity(), "none");
  ASSERT_TRUE(db_->Put({}, "write", "ok").ok());
}

// A scan across tables whose read fails stops with the error (never skipping
// the table and going on as if it were empty); a new iterator, or a Seek of
// the same one, opens the table again and reads it all.
TEST_F(DbErrorHandlerTest, IteratorStopsAtAReadErrorAndASeekReadsAgain) {
  options_.block_cache_size = 0;
  options_.disable_auto_compactions = true;
  Open();
  const std::string value(100, 'i');  // 300 keys: about ten 4 KiB data blocks
  for (int round = 0; round < 3; ++round) {
    Fill(round * 100, round * 100 + 100, value);
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());  // one run at level 1
  const int fault = fs_.AddFault({.op = Op::kRead, .file = ".sst", .skip = 3});
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSERT_EQ(it->key(), KeyFor(seen)) << "a key was skipped";
    ++seen;
  }
  ASSERT_EQ(fs_.Fired(fault), 1);
  EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString();
  EXPECT_LT(seen, 300);
  it->SeekToFirst();
  seen = 0;
  for (; it->Valid(); it->Next()) ++seen;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, 300);
  EXPECT_EQ(test::ScanForward(db_.get()).size(), 300u);
}

}  // namespace
}  // namespace arenakv
