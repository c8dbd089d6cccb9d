// SPDX-License-Identifier: Apache-2.0
// InfoLog (mvcc/env/info_log.h) on a MemFileSystem: line format, the rename
// of an existing LOG at Open, rotation at max_file_size, pruning of old logs
// beyond keep_old, long messages, and a write error turning the log off.
#include "mvcc/env/info_log.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "mvcc/env/filename.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr const char* kDir = "/db";

class InfoLogTest : public ::testing::Test {
 protected:
  InfoLogTest() { EXPECT_TRUE(fs_.CreateDirIfMissing(kDir).ok()); }

  std::unique_ptr<InfoLog> Open(std::size_t max_file_size = 0, std::size_t keep_old = 10) {
    std::unique_ptr<InfoLog> log;
    Status s = InfoLog::Open(&fs_, kDir, max_file_size, keep_old, &log);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return log;
  }
  std::string Read(const std::string& path) {
    std::string contents;
    EXPECT_TRUE(ReadSmallFile(&fs_, path, 1 << 24, &contents).ok()) << path;
    return contents;
  }
  // The names of the old logs, oldest first.
  std::vector<std::string> OldLogs() {
    std::vector<std::string> names, old;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    for (const std::string& name : names) {
      if (name.starts_with("LOG.old.")) old.push_back(name);
    }
    std::sort(old.begin(), old.end());
    return old;
  }

  MemFileSystem fs_;
};

// "YYYY/MM/DD-HH:MM:SS.uuuuuu": digits where the pattern has '9'.
bool IsTimestamp(std::string_view text) {
  constexpr std::string_view kPattern = "9999/99/99-99:99:99.999999";
  if (text.size() != kPattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kPattern[i] == '9' ? !digit : text[i] != kPattern[i]) return false;
  }
  return true;
}

TEST_F(InfoLogTest, LinesHaveATimestampAThreadIdAndTheMessage) {
  auto log = Open();
  log->Log("flush: %d entries -> table #%s", 42, "000012");
  log.reset();
  const std::string contents = Read(InfoLogFileName(kDir));
  // "<timestamp> <thread id> <message>\n"
  const std::size_t first_space = contents.find(' ');
  const std::size_t second_space = contents.find(' ', first_space + 1);
  ASSERT_NE(second_space, std::string::npos) << contents;
  EXPECT_TRUE(IsTimestamp(std::string_view(contents).substr(0, first_space))) << contents;
  const std::string tid = contents.substr(first_space + 1, second_space - first_space - 1);
  EXPECT_FALSE(tid.empty());
  EXPECT_EQ(tid.find_first_not_of("0123456789"), std::string::npos) << contents;
  EXPECT_EQ(contents.substr(second_space + 1), "flush: 42 entries -> table #000012\n");
}

TEST_F(InfoLogTest, LongMessagesAreWrittenWhole) {
  auto log = Open();
  const std::string message(5000, 'x');
  log->Log("%s|", message.c_str());
  log.reset();
  EXPECT_NE(Read(InfoLogFileName(kDir)).find(message + "|\n"), std::string::npos);
}

TEST_F(InfoLogTest, OpenRenamesTheExistingLog) {
  Open()->Log("first process");
  Open()->Log("second process");
  const std::vector<std::string> old = OldLogs();
  ASSERT_EQ(old.size(), 1u);
  EXPECT_NE(Read(std::string(kDir) + "/" + old[0]).find("first process"), std::string::npos);
  const std::string current = Read(InfoLogFileName(kDir));
  EXPECT_NE(current.find("second process"), std::string::npos);
  EXPECT_EQ(current.find("first process"), std::string::npos);
}

TEST_F(InfoLogTest, RotatesAtMaxFileSizeAndKeepsTheNewestOldLogs) {
  auto log = Open(/*max_file_size=*/1000, /*keep_old=*/3);
  for (int i = 0; i < 200; ++i) log->Log("line %03d", i);
  log.reset();
  const std::vector<std::string> old = OldLogs();
  EXPECT_EQ(old.size(), 3u);
  const std::string current = Read(InfoLogFileName(kDir));
  EXPECT_LE(current.size(), 1000u);
  EXPECT_NE(current.find("line 199"), std::string::npos);
  // Each old log was rotated at the limit; the oldest ones were deleted.
  for (const std::string& name : old) {
    EXPECT_LE(Read(std::string(kDir) + "/" + name).size(), 1000u) << name;
  }
  EXPECT_EQ(Read(std::string(kDir) + "/" + old[0]).find("line 000"), std::string::npos);
}

TEST_F(InfoLogTest, AWriteErrorTurnsTheLogOffWithoutFailingTheCaller) {
  auto log = Open();
  log->Log("before");
  fs_.InjectWriteError(true);
  log->Log("during");
  fs_.InjectWriteError(false);
  log->Log("after");
  EXPECT_FALSE(log->error().ok());
  log.reset();
  const std::string contents = Read(InfoLogFileName(kDir));
  EXPECT_NE(contents.find("before"), std::string::npos);
  EXPECT_EQ(contents.find("after"), std::string::npos);
}

}  // namespace
}  // namespace arenakv
