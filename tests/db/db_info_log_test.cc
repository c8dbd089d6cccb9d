// SPDX-License-Identifier: Apache-2.0
// What a DB leaves for its operator, black-box on a MemFileSystem: the info
// LOG (open, recovery, flushes, compactions, close; what a point-in-time
// recovery dropped; renamed to LOG.old.<n> by the next Open) and the OPTIONS
// file (one per DB, the options of the latest Open, readable back).
#include <memory>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/db/options_file.h"
#include "mvcc/env/filename.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::KeyFor;

constexpr const char* kDir = "/db";

class DbInfoLogTest : public ::testing::Test {
 protected:
  DbInfoLogTest() { options_.file_system = &fs_; }
  void Open() {
    db_.reset();
    Status s = DB::Open(options_, kDir, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Read(const std::string& name) {
    std::string contents;
    EXPECT_TRUE(ReadSmallFile(&fs_, std::string(kDir) + "/" + name, 1 << 24, &contents).ok())
        << name;
    return contents;
  }
  std::vector<std::string> Named(std::string_view prefix) {
    std::vector<std::string> names, out;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const std::string& name : names) {
      if (name.starts_with(prefix)) out.push_back(name);
    }
    return out;
  }

  MemFileSystem fs_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DbInfoLogTest, LogRecordsOpenRecoveryFlushCompactionAndClose) {
  options_.disable_auto_compactions = true;
  Open();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), "v").ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(db_->Close().ok());
  const std::string log = Read("LOG");
  for (const char* event :
       {"Open: arenakv", "Recovery (point-in-time): OK", "Opened DB", "Flush: 100 entries",
        "Compaction (manual): L0 (2 files)", "Close: OK"}) {
    EXPECT_NE(log.find(event), std::string::npos) << event << " not in\n" << log;
  }
  // The next Open starts a new LOG and keeps the old one.
  Open();
  ASSERT_EQ(Named("LOG.old.").size(), 1u);
  EXPECT_NE(Read(Named("LOG.old.")[0]).find("Close: OK"), std::string::npos);
  EXPECT_EQ(Read("LOG").find("Flush:"), std::string::npos);
}

// Old info logs are named by a timestamp: that number is not a file number
// (it once moved the file counter to ~10^15 at the next Open).
TEST_F(DbInfoLogTest, OldLogNamesDoNotMoveTheFileCounter) {
  Open();
  Open();
  ASSERT_EQ(Named("LOG.old.").size(), 1u);
  Open();
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  const std::vector<std::string> tables = test::FilesWithSuffix(&fs_, kDir, ".sst");
  ASSERT_EQ(tables.size(), 1u);
  std::uint64_t number = 0;
  FileType type;
  const std::string name = tables[0].substr(tables[0].rfind('/') + 1);
  ASSERT_TRUE(ParseFileName(name, &number, &type)) << name;
  EXPECT_LT(number, 100u) << name;
}

TEST_F(DbInfoLogTest, PointInTimeRecoveryReportsWhatItDropped) {
  Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), std::string(100, 'v')).ok());
  db_.reset();
  std::vector<std::string> logs;
  for (const std::string& name : Named("0")) {
    if (name.ends_with(".log") && !Read(name).empty()) logs.push_back(name);
  }
  ASSERT_EQ(logs.size(), 1u);
  ASSERT_TRUE(fs_.CorruptByte(std::string(kDir) + "/" + logs[0], 2000).ok());
  Open();
  const std::string log = Read("LOG");
  EXPECT_NE(log.find("replay stopped at " + std::string(kDir) + "/" + logs[0]), std::string::npos)
      << log;
}

TEST_F(DbInfoLogTest, EachOpenLeavesOneOptionsFileHoldingItsOptions) {
  options_.write_buffer_size = 1 << 20;
  options_.compression = CompressionType::kLz4;
  Open();
  options_.bloom_bits_per_key = 3;
  Open();
  const std::vector<std::string> files = Named("OPTIONS-");
  ASSERT_EQ(files.size(), 1u);
  Options read;
  Status s = OptionsFromString(Read(files[0]), &read);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(read.write_buffer_size, 1u << 20);
  EXPECT_EQ(read.compression, CompressionType::kLz4);
  EXPECT_EQ(read.bloom_bits_per_key, 3);
}

}  // namespace
}  // namespace arenakv
