// SPDX-License-Identifier: Apache-2.0
// max_open_files and the table cache (mvcc/version/table_cache.h), black-box
// through the DB API on the POSIX file system:
//   - a DB of many more table files than the cache holds reads every key
//     right (Get, scans both ways) while at most capacity readers stay open,
//     evicted readers reopen on demand, and the process's descriptor count
//     (/proc/self/fd) stays within the limit;
//   - Open with a bounded cache reads no table: a damaged table still opens,
//     and the read that reaches it reports Corruption naming the file;
//     VerifyChecksum finds it too; with -1 paranoid Open refuses the DB
//     (also under a memory budget);
//   - readers and a writer running together (flushes and compactions adding
//     and deleting files under the cache) see the right data;
//   - max_open_files below 20 (other than -1) is InvalidArgument.
#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"

namespace arenakv {
namespace {

constexpr int kMaxOpenFiles = 20;  // the smallest bound: 10 table readers
constexpr std::uint64_t kCapacity = kMaxOpenFiles - 10;
constexpr int kKeys = 3000;  // not scaled: sanitized builds need as many files
constexpr std::size_t kValueSize = 1000;

int OpenDescriptors() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

std::map<std::string, std::uint64_t> TableCacheStats(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("arenakv.table-cache", &text));
  return test::ParseProperty(text);
}

std::uint64_t NumFiles(DB* db) {
  std::uint64_t total = 0;
  for (int level = 0; level < test::kNumLevels; ++level) {
    std::string n;
    EXPECT_TRUE(db->GetProperty("arenakv.num-files-at-level" + std::to_string(level), &n));
    total += std::stoull(n);
  }
  return total;
}

// Small tables, so kKeys keys make dozens of files.
Options ManyFilesOptions() {
  Options options;
  options.write_buffer_size = test::kSmallWriteBuffer;
  options.target_file_size_base = 32 << 10;
  options.max_bytes_for_level_base = 256 << 10;
  options.block_cache_size = 256 << 10;
  return options;
}

std::string ValueFor(int i) { return std::string(kValueSize, static_cast<char>('a' + i % 26)); }

// Fills `path` with kKeys keys spread over many table files (compacted, so
// they sit in levels >= 1 as well as level 0) and returns the model.
test::Model Fill(const std::string& path) {
  test::Model model;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(ManyFilesOptions(), path, &db).ok());
  std::mt19937_64 rng(7);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = test::KeyFor(rng() % (kKeys * 2));
    EXPECT_TRUE(db->Put(WriteOptions(), key, ValueFor(i)).ok());
    model.Put(key, ValueFor(i));
  }
  EXPECT_TRUE(db->Flush().ok());
  // Everything into the last level, in files of target_file_size_base: a
  // file count that does not depend on how far compactions got.
  EXPECT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(db->Close().ok());
  return model;
}

class DbTableCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { model_ = Fill(dir_.path()); }

  // No compaction runs while the readers count descriptors: its inputs and
  // output are open besides the cache (the 10 descriptors max_open_files
  // leaves for them), and would make the counts depend on timing.
  Options Bounded() const {
    Options options = ManyFilesOptions();
    options.max_open_files = kMaxOpenFiles;
    options.disable_auto_compactions = true;
    return options;
  }

  test::TempDir dir_;
  test::Model model_;
};

TEST_F(DbTableCacheTest, ManyMoreFilesThanReadersReadRightWithinTheLimit) {
  const int before = OpenDescriptors();
  ASSERT_GT(before, 0);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Bounded(), dir_.path(), &db).ok());
  const std::uint64_t files = NumFiles(db.get());
  ASSERT_GT(files, 3 * kCapacity) << "the fill must make many more files than the cache holds";
  EXPECT_EQ(TableCacheStats(db.get())["opens"], 0u) << "Open must not open tables";

  int most = 0;
  std::mt19937_64 rng(11);
  for (int round = 0; round < 3; ++round) {
    for (const auto& [key, value] : model_.map()) {
      std::string got;
      ASSERT_TRUE(db->Get(ReadOptions(), key, &got).ok()) << key;
      ASSERT_EQ(got, value) << key;
      std::string missing;
      EXPECT_TRUE(db->Get(ReadOptions(), key + "x", &missing).IsNotFound());
      if (rng() % 64 == 0) most = std::max(most, OpenDescriptors());
    }
    const auto stats = TableCacheStats(db.get());
    EXPECT_LE(stats.at("open"), kCapacity);
    EXPECT_EQ(stats.at("capacity"), kCapacity);
  }
  // Scans both ways: one reader per level at a time, level 0's all at once.
  EXPECT_EQ(test::ScanForward(db.get()), model_.Entries());
  EXPECT_EQ(test::ScanBackward(db.get()), model_.Entries());
  most = std::max(most, OpenDescriptors());

  const auto stats = TableCacheStats(db.get());
  EXPECT_GT(stats.at("evictions"), 0u);
  EXPECT_GE(stats.at("opens"), files) << "every file was opened at least once";
  EXPECT_LE(most - before, kMaxOpenFiles) << "descriptors beyond max_open_files";
}

TEST_F(DbTableCacheTest, EvictedReadersAreClosed) {
  const int before = OpenDescriptors();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Bounded(), dir_.path(), &db).ok());
  for (const auto& [key, value] : model_.map()) {
    std::string got;
    ASSERT_TRUE(db->Get(ReadOptions(), key, &got).ok());
  }
  // Every file was read once; all but the last kCapacity were closed again,
  // and the DB's own files (WAL, manifest, LOG, LOCK) fit in the rest.
  EXPECT_LE(OpenDescriptors() - before, kMaxOpenFiles);
  db.reset();
  EXPECT_EQ(OpenDescriptors(), before);
}

// A read-only DB beside a live writer keeps every reader open whatever
// max_open_files says: the writer's compactions delete files it still reads.
TEST_F(DbTableCacheTest, AReadOnlyDbReadsFilesAWriterDeletesMeanwhile) {
  std::unique_ptr<DB> reader;
  ASSERT_TRUE(DB::OpenForReadOnly(Bounded(), dir_.path(), &reader).ok());
  {
    Options options = Bounded();
    options.disable_auto_compactions = false;
    std::unique_ptr<DB> writer;
    ASSERT_TRUE(DB::Open(options, dir_.path(), &writer).ok());
    for (const auto& [key, value] : model_.map()) {
      ASSERT_TRUE(writer->Put(WriteOptions(), key, value + "2").ok());
    }
    ASSERT_TRUE(writer->CompactRange(std::nullopt, std::nullopt).ok());
  }
  for (const auto& [key, value] : model_.map()) {
    std::string got;
    const Status s = reader->Get(ReadOptions(), key, &got);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
    EXPECT_EQ(got, value) << key;
  }
}

TEST_F(DbTableCacheTest, OpenReadsNoTableAndTheReadThatDoesReportsDamage) {
  // Damage one table's footer: a paranoid Open with every reader kept open
  // refuses the DB; a bounded cache opens it and reports the damage at the
  // first read of that file, naming it.
  FileSystem* fs = FileSystem::Default();
  const std::vector<std::string> tables = test::FilesWithSuffix(fs, dir_.path(), ".sst");
  ASSERT_FALSE(tables.empty());
  const std::string victim_path = tables.back();
  const std::string victim = victim_path.substr(victim_path.rfind('/') + 1);
  std::string bytes;
  ASSERT_TRUE(test::ReadFile(fs, victim_path, &bytes).ok());
  bytes[bytes.size() - 3] ^= 0x5a;  // the footer's magic number
  ASSERT_TRUE(test::WriteFile(fs, victim_path, bytes).ok());

  std::unique_ptr<DB> db;
  Options unbounded = ManyFilesOptions();
  EXPECT_TRUE(DB::Open(unbounded, dir_.path(), &db).IsCorruption());
  // The same under a memory budget, which keeps -1's readers in a cache
  // whose capacity is unlimited: every table is still checked at Open.
  unbounded.memory_budget = MemoryBudget::Create(std::size_t{64} << 20);
  EXPECT_TRUE(DB::Open(unbounded, dir_.path(), &db).IsCorruption());

  ASSERT_TRUE(DB::Open(Bounded(), dir_.path(), &db).ok());
  int damaged = 0;
  for (const auto& [key, value] : model_.map()) {
    std::string got;
    const Status s = db->Get(ReadOptions(), key, &got);
    if (s.ok()) {
      EXPECT_EQ(got, value) << key;
    } else {
      ASSERT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.ToString().find(victim), std::string::npos) << s.ToString();
      ++damaged;
    }
  }
  EXPECT_GT(damaged, 0) << "no read reached the damaged table";
  const Status verify = db->VerifyChecksum();
  EXPECT_TRUE(verify.IsCorruption()) << verify.ToString();
  EXPECT_NE(verify.ToString().find(victim), std::string::npos) << verify.ToString();
  auto iter = db->NewIterator(ReadOptions());
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
  }
  EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
}

TEST_F(DbTableCacheTest, ReadersAndAWriterTogether) {
  Options options = Bounded();
  options.disable_auto_compactions = false;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir_.path(), &db).ok());
  // The writer overwrites keys the readers never read (odd key numbers), so
  // the readers' expected values stay fixed while files come and go.
  std::atomic<bool> done{false};
  test::Failures failures;
  std::thread writer([&] {
    for (int i = 0; i < kKeys; ++i) {
      const Status s = db->Put(WriteOptions(), test::KeyFor(2 * kKeys + 2 * i + 1), ValueFor(i));
      if (!s.ok()) failures.Add("Put: " + s.ToString());
    }
    done.store(true);
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      std::vector<std::pair<std::string, std::string>> entries(model_.map().begin(),
                                                               model_.map().end());
      int reads = 0;
      while (!done.load() || reads < 1000) {
        const auto& [key, value] = entries[rng() % entries.size()];
        std::string got;
        const Status s = db->Get(ReadOptions(), key, &got);
        if (!s.ok() || got != value) failures.Add("Get " + key + ": " + s.ToString());
        ++reads;
      }
    });
  }
  writer.join();
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(failures.count(), 0) << failures.Report();
  EXPECT_LE(TableCacheStats(db.get()).at("open"), kCapacity);
}

TEST(DbTableCacheOptionsTest, MaxOpenFilesBelowTwentyIsInvalid) {
  test::TempDir dir;
  for (const int bad : {-2, 0, 1, 19}) {
    Options options;
    options.max_open_files = bad;
    std::unique_ptr<DB> db;
    EXPECT_TRUE(DB::Open(options, dir.path(), &db).IsInvalidArgument()) << bad;
  }
  Options options;
  options.max_open_files = kMaxOpenFiles;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(options, dir.path(), &db).ok());
}

}  // namespace
}  // namespace arenakv
