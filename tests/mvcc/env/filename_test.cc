// SPDX-License-Identifier: Apache-2.0
// File names: the builders, the strict parser (it accepts exactly what the
// builders write), and CURRENT: written atomically and durably by
// SetCurrentFile (checked against MemFileSystem's crash model and injected
// faults) and validated by ReadCurrentFile.
#include "mvcc/env/filename.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

TEST(FileNameTest, BuildersWriteZeroPaddedNames) {
  EXPECT_EQ(LogFileName("/db", 12), "/db/000012.log");
  EXPECT_EQ(TableFileName("/db", 7), "/db/000007.sst");
  EXPECT_EQ(ManifestFileName("/db", 5), "/db/MANIFEST-000005");
  EXPECT_EQ(TempFileName("/db", 7), "/db/000007.dbtmp");
  EXPECT_EQ(CurrentFileName("/db"), "/db/CURRENT");
  EXPECT_EQ(LockFileName("/db"), "/db/LOCK");
  EXPECT_EQ(InfoLogFileName("/db"), "/db/LOG");
  EXPECT_EQ(OldInfoLogFileName("/db", 1765019242123456), "/db/LOG.old.1765019242123456");
  EXPECT_EQ(OptionsFileName("/db", 9), "/db/OPTIONS-000009");
  EXPECT_EQ(LogFileName("d", 0), "d/000000.log");
  EXPECT_EQ(TableFileName("d", 1234567), "d/1234567.sst");
  EXPECT_EQ(LogFileName("d", std::numeric_limits<std::uint64_t>::max()),
            "d/18446744073709551615.log");
}

TEST(FileNameTest, ParsesWhatTheBuildersWrite) {
  const std::uint64_t numbers[] = {0,       1,         999999,
                                   1000000, 123456789, std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t n : numbers) {
    const std::pair<std::string, FileType> cases[] = {
        {LogFileName("d", n), FileType::kLog},
        {TableFileName("d", n), FileType::kTable},
        {ManifestFileName("d", n), FileType::kManifest},
        {TempFileName("d", n), FileType::kTemp},
        {OptionsFileName("d", n), FileType::kOptions},
        {OldInfoLogFileName("d", n), FileType::kInfoLog},
    };
    for (const auto& [path, expected_type] : cases) {
      const std::string name = path.substr(2);  // drop "d/"
      std::uint64_t number = 42;
      FileType type = FileType::kLock;
      ASSERT_TRUE(ParseFileName(name, &number, &type)) << name;
      EXPECT_EQ(number, n) << name;
      EXPECT_EQ(type, expected_type) << name;
    }
  }
  const std::pair<std::string, FileType> fixed[] = {{"CURRENT", FileType::kCurrent},
                                                    {"LOCK", FileType::kLock},
                                                    {"LOG", FileType::kInfoLog},
                                                    {"LOG.old", FileType::kInfoLog}};
  for (const auto& [name, expected_type] : fixed) {
    std::uint64_t number = 42;
    FileType type = FileType::kLog;
    ASSERT_TRUE(ParseFileName(name, &number, &type)) << name;
    EXPECT_EQ(number, 0u);
    EXPECT_EQ(type, expected_type);
  }
}

TEST(FileNameTest, RejectsEverythingElse) {
  const std::vector<std::string> bad = {
      "",
      "12.log",                         // not padded
      "0000012.log",                    // padded beyond six digits
      "000012.log.bak",                 // extra suffix
      "000012.LOG",                     // case
      "000012.",                        // no suffix
      "000012",                         // no suffix at all
      ".log",                           // no number
      "+00012.log",                     // sign
      "-00012.log",                     //
      " 000012.log",                    // space
      "00001a.sst",                     // non-digit
      "000012.sst ",                    // trailing space
      "000012.dbtmp2",                  //
      "18446744073709551616.log",       // UINT64_MAX + 1
      "99999999999999999999.log",       // overflows
      "184467440737095516150.log",      // 21 digits
      "MANIFEST-",                      // no number
      "MANIFEST-5",                     // not padded
      "MANIFEST-000005x",               //
      "MANIFEST-000005\n",              //
      "MANIFEST000005",                 // no dash
      "manifest-000005",                // case
      "MANIFEST--00005",                //
      "CURRENT.bak",                    //
      "CURRENTx",                       //
      "LOCK2",                          //
      "LOG.old.old",                    //
      "LOG.1",                          //
      "LOG.old.",                       // no number
      "LOG.old.5",                      // not padded
      "OPTIONS-",                       //
      "OPTIONS-5",                      //
      "OPTIONS-000005.bak",             //
      std::string("000012\0.log", 11),  // NUL inside
      "dir/000012.log",                 // a path, not a name
  };
  for (const std::string& name : bad) {
    std::uint64_t number = 42;
    FileType type = FileType::kLock;
    EXPECT_FALSE(ParseFileName(name, &number, &type)) << "'" << name << "'";
    EXPECT_EQ(number, 42u) << name;
    EXPECT_EQ(type, FileType::kLock) << name;
  }
}

class CurrentFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDirIfMissing(kDir).ok()); }

  std::string ReadCurrent() {
    std::string name;
    const Status s = ReadCurrentFile(&fs_, kDir, &name);
    return s.ok() ? name : s.ToString();
  }

  void WriteRaw(const std::string& path, const std::string& contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }

  std::vector<std::string> Children() {
    std::vector<std::string> names;
    EXPECT_TRUE(fs_.GetChildren(kDir, &names).ok());
    return names;
  }

  static constexpr const char* kDir = "/db";
  MemFileSystem fs_;
};

TEST_F(CurrentFileTest, SetThenReadNamesTheManifest) {
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 5).ok());
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000005");
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 1234567).ok());
  EXPECT_EQ(ReadCurrent(), "MANIFEST-1234567");
  EXPECT_EQ(Children(), std::vector<std::string>{"CURRENT"});  // no temp file left

  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(CurrentFileName(kDir), &size).ok());
  EXPECT_EQ(size, std::string("MANIFEST-1234567\n").size());
}

TEST_F(CurrentFileTest, CurrentSurvivesACrashRightAfterSet) {
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 5).ok());
  fs_.SimulateCrash();
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000005");

  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 9).ok());
  fs_.SimulateCrash();
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000009");
  EXPECT_EQ(Children(), std::vector<std::string>{"CURRENT"});
}

TEST_F(CurrentFileTest, WriteErrorLeavesCurrentUnchangedAndNoTempFile) {
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 5).ok());
  fs_.InjectWriteError(true);
  const Status s = SetCurrentFile(&fs_, kDir, 9);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  fs_.ClearFaults();
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000005");
  EXPECT_FALSE(fs_.FileExists(TempFileName(kDir, 9)));
  fs_.SimulateCrash();
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000005");
}

TEST_F(CurrentFileTest, TornWriteLeavesCurrentUnchangedAndNoTempFile) {
  ASSERT_TRUE(SetCurrentFile(&fs_, kDir, 5).ok());
  for (std::uint64_t budget = 0; budget < 16; ++budget) {  // 16 = the whole content
    fs_.FailAfterBytes(budget);
    EXPECT_TRUE(SetCurrentFile(&fs_, kDir, 9).IsIOError()) << budget;
    fs_.ClearFaults();
    EXPECT_EQ(ReadCurrent(), "MANIFEST-000005") << budget;
    EXPECT_EQ(Children(), std::vector<std::string>{"CURRENT"}) << budget;
  }
}

TEST_F(CurrentFileTest, MissingDirectoryFailsWithoutCreatingAnything) {
  const Status s = SetCurrentFile(&fs_, "/nowhere", 5);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs_.FileExists(CurrentFileName("/nowhere")));
}

TEST_F(CurrentFileTest, MissingCurrentIsNotFound) {
  std::string name = "untouched";
  EXPECT_TRUE(ReadCurrentFile(&fs_, kDir, &name).IsNotFound());
  EXPECT_EQ(name, "untouched");
}

TEST_F(CurrentFileTest, MalformedCurrentIsCorruption) {
  const std::vector<std::string> bad = {
      "",
      "\n",
      "MANIFEST-000005",      // no newline
      "MANIFEST-000005\n\n",  // two
      "MANIFEST-000005\nx",   //
      "MANIFEST-5\n",         // not canonical
      "MANIFEST-\n",          //
      "000005.log\n",         // not a manifest
      "CURRENT\n",            //
      "MANIFEST-000005\r\n",  //
      " MANIFEST-000005\n",   //
      std::string("MANIFEST-000005\0\n", 17),
      "MANIFEST-" + std::string(100, '1') + "\n",  // longer than any valid content
      std::string(1 << 20, 'M'),                   // huge
  };
  for (const std::string& contents : bad) {
    WriteRaw(CurrentFileName(kDir), contents);
    std::string name = "untouched";
    const Status s = ReadCurrentFile(&fs_, kDir, &name);
    EXPECT_TRUE(s.IsCorruption()) << "'" << contents.substr(0, 40) << "': " << s.ToString();
    EXPECT_EQ(name, "untouched");
  }
}

}  // namespace
}  // namespace arenakv
