// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the SST table tests (table_test.cc,
// table_compression_test.cc): a model of Table::Get over sorted entries,
// random entries, a file whose reads can be made to fail, a fixture that
// builds and opens tables on a MemFileSystem, and whole-table checks against
// the model.
#ifndef ARENAKV_TESTS_MVCC_TABLE_TABLE_TEST_UTIL_H_
#define ARENAKV_TESTS_MVCC_TABLE_TABLE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/table/block_cache.h"
#include "mvcc/table/table.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace table_test {

using Entry = std::pair<std::string, std::string>;  // internal key, value
using GetResult = Table::GetResult;

inline bool EntryLess(const Entry& a, const Entry& b) {
  return InternalKeyCompare(a.first, b.first) < 0;
}

// The answer Table::Get must give, computed from the sorted entries.
inline GetResult ModelGet(const std::vector<Entry>& entries, std::string_view user_key,
                          SequenceNumber snapshot, std::string* value) {
  const std::string target = InternalKey(user_key, snapshot, kKindForSeek);
  const auto it = std::lower_bound(entries.begin(), entries.end(), target,
                                   [](const Entry& entry, const std::string& t) {
                                     return InternalKeyCompare(entry.first, t) < 0;
                                   });
  if (it == entries.end() || ExtractUserKey(it->first) != user_key) return GetResult::kNotPresent;
  if ((ExtractTrailer(it->first) & 0xff) == static_cast<std::uint8_t>(EntryKind::kDelete)) {
    return GetResult::kDeleted;
  }
  *value = it->second;
  return GetResult::kFound;
}

// `count` user keys ("key000123"), each with 1-3 versions of random kinds and
// values of 0-100 bytes, sorted.
inline std::vector<Entry> RandomEntries(int count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Entry> entries;
  for (int i = 0; i < count; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "key%06d", i * 2);
    const int versions = 1 + static_cast<int>(rng() % 3);
    for (int v = 0; v < versions; ++v) {
      const SequenceNumber sequence = 1 + rng() % 1000;
      const EntryKind kind = rng() % 4 == 0 ? EntryKind::kDelete : EntryKind::kPut;
      std::string value(kind == EntryKind::kPut ? rng() % 101 : 0, '\0');
      for (char& c : value) c = static_cast<char>('a' + rng() % 26);
      entries.emplace_back(InternalKey(user_key, sequence, kind), std::move(value));
    }
  }
  std::sort(entries.begin(), entries.end(), EntryLess);
  // One entry per (user key, sequence), so the key just after an entry (next
  // lower trailer) is never another entry.
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const Entry& a, const Entry& b) {
                              return ExtractUserKey(a.first) == ExtractUserKey(b.first) &&
                                     ExtractTrailer(a.first) >> 8 == ExtractTrailer(b.first) >> 8;
                            }),
                entries.end());
  return entries;
}

inline TableOptions SmallBlocks() {
  TableOptions options;
  options.block_size = 256;
  options.block_restart_interval = 4;
  return options;
}

// A RandomAccessFile whose reads fail once *fail is set.
class FailingFile final : public RandomAccessFile {
 public:
  FailingFile(std::unique_ptr<RandomAccessFile> base, const std::atomic<bool>* fail)
      : base_(std::move(base)), fail_(fail) {}
  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    if (fail_->load()) return Status::IOError("injected read error");
    return base_->Read(offset, n, result, scratch);
  }

 private:
  std::unique_ptr<RandomAccessFile> base_;
  const std::atomic<bool>* fail_;
};

class TableTest : public ::testing::Test {
 protected:
  static constexpr const char* kPath = "/table.sst";

  // Writes `entries` (sorted) as a table at `path`.
  void Build(const std::vector<Entry>& entries, const TableOptions& options,
             const std::string& path = kPath) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(path, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [key, value] : entries) builder.Add(key, value);
    EXPECT_EQ(builder.NumEntries(), entries.size());
    ASSERT_TRUE(builder.Finish().ok());
    EXPECT_EQ(builder.FileSize(), file->Size());
    properties_ = builder.properties();
    ASSERT_TRUE(file->Close().ok());
  }

  Status Open(const TableOptions& options, std::unique_ptr<Table>* table,
              BlockCache* cache = nullptr, const std::string& path = kPath) {
    std::unique_ptr<RandomAccessFile> file;
    std::uint64_t size = 0;
    Status s = fs_.GetFileSize(path, &size);
    if (s.ok()) s = fs_.NewRandomAccessFile(path, &file);
    if (!s.ok()) return s;
    return Table::Open(options, std::move(file), size, cache, table);
  }

  std::string ReadFile(const std::string& path = kPath) {
    std::unique_ptr<RandomAccessFile> file;
    std::uint64_t size = 0;
    EXPECT_TRUE(fs_.GetFileSize(path, &size).ok());
    EXPECT_TRUE(fs_.NewRandomAccessFile(path, &file).ok());
    std::string data(size, '\0');
    std::string_view result;
    EXPECT_TRUE(file->Read(0, size, &result, data.data()).ok());
    return std::string(result);
  }

  void WriteFile(const std::string& path, std::string_view data) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(data).ok());
  }

  MemFileSystem fs_;
  TableProperties properties_;  // from the last Build
};

// Checks a full scan in both directions and seeks to every key and between
// keys (with Prev after each), keys and values, against the model.
inline void ExpectIteratorMatches(InternalIterator* iter, const std::vector<Entry>& entries) {
  std::size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
    ASSERT_LT(i, entries.size());
    ASSERT_EQ(iter->key(), entries[i].first);
    ASSERT_EQ(iter->value(), entries[i].second);
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  ASSERT_EQ(i, entries.size());
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
    ASSERT_GT(i, 0u);
    --i;
    ASSERT_EQ(iter->key(), entries[i].first);
    ASSERT_EQ(iter->value(), entries[i].second);
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  ASSERT_EQ(i, 0u);

  for (std::size_t j = 0; j < entries.size(); ++j) {
    const std::string& key = entries[j].first;
    iter->Seek(key);
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(iter->key(), key);
    ASSERT_EQ(iter->value(), entries[j].second);
    iter->Prev();
    if (j == 0) {
      ASSERT_FALSE(iter->Valid());
    } else {
      ASSERT_TRUE(iter->Valid());
      ASSERT_EQ(iter->key(), entries[j - 1].first);
    }
    // A key just after entry j (same user key, next lower trailer).
    std::string after(ExtractUserKey(key));
    PutFixed64(&after, ExtractTrailer(key) - 1);
    iter->SeekForPrev(after);
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(iter->key(), key);
    iter->Seek(after);
    if (j + 1 == entries.size()) {
      ASSERT_FALSE(iter->Valid());
    } else {
      ASSERT_TRUE(iter->Valid());
      ASSERT_EQ(iter->key(), entries[j + 1].first);
    }
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
}

// ExpectIteratorMatches on a table iterator, then Get of every user key at
// several snapshots and VerifyAll.
inline void ExpectTableMatches(const Table& table, const std::vector<Entry>& entries) {
  std::unique_ptr<InternalIterator> iter = table.NewIterator(true);
  ExpectIteratorMatches(iter.get(), entries);
  if (::testing::Test::HasFatalFailure()) return;

  for (const auto& [key, unused] : entries) {
    const std::string user_key(ExtractUserKey(key));
    const SequenceNumber sequence = ExtractTrailer(key) >> 8;
    for (const SequenceNumber snapshot :
         {SequenceNumber{0}, sequence - 1, sequence, sequence + 1, kMaxSequenceNumber}) {
      std::string expected_value;
      const GetResult expected = ModelGet(entries, user_key, snapshot, &expected_value);
      GetResult result;
      std::string value;
      ASSERT_TRUE(table.Get(user_key, snapshot, true, &result, &value).ok());
      ASSERT_EQ(result, expected) << "snapshot " << snapshot;
      if (expected == GetResult::kFound) {
        ASSERT_EQ(value, expected_value);
      }
    }
  }
  ASSERT_TRUE(table.VerifyAll().ok());
}

// Opens the table at `path` and reads everything in it with checksums on.
// Returns whether some Corruption was reported; fails the test if any read
// returns data that differs from `entries` or a non-Corruption error.
inline bool ReadsCorrectlyOrReportsCorruption(MemFileSystem* fs, const std::string& path,
                                              const std::vector<Entry>& entries,
                                              const TableOptions& options, BlockCache* cache,
                                              std::size_t get_stride = 1) {
  std::unique_ptr<RandomAccessFile> file;
  std::uint64_t size = 0;
  EXPECT_TRUE(fs->GetFileSize(path, &size).ok());
  EXPECT_TRUE(fs->NewRandomAccessFile(path, &file).ok());
  std::unique_ptr<Table> table;
  Status s = Table::Open(options, std::move(file), size, cache, &table);
  if (!s.ok()) {
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    return true;
  }
  bool corruption = false;
  s = table->VerifyAll();
  EXPECT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
  corruption |= s.IsCorruption();

  std::unique_ptr<InternalIterator> iter = table->NewIterator(true);
  std::size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
    EXPECT_LT(i, entries.size());
    if (i >= entries.size()) break;
    EXPECT_EQ(iter->key(), entries[i].first);
    EXPECT_EQ(iter->value(), entries[i].second);
  }
  EXPECT_TRUE(iter->status().ok() || iter->status().IsCorruption());
  if (iter->status().ok()) {
    EXPECT_EQ(i, entries.size());
  } else {
    corruption = true;
  }
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
  }
  corruption |= iter->status().IsCorruption();

  for (std::size_t j = 0; j < entries.size(); j += get_stride) {
    const std::string& key = entries[j].first;
    const std::string user_key(ExtractUserKey(key));
    const SequenceNumber snapshot = ExtractTrailer(key) >> 8;
    GetResult result;
    std::string value;
    s = table->Get(user_key, snapshot, true, &result, &value);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      corruption = true;
      continue;
    }
    std::string expected_value;
    const GetResult expected = ModelGet(entries, user_key, snapshot, &expected_value);
    EXPECT_EQ(result, expected);
    if (expected == GetResult::kFound) {
      EXPECT_EQ(value, expected_value);
    }
  }

  // Without checksums a damaged block may read as other entries; it must
  // still never crash or read out of bounds.
  std::unique_ptr<InternalIterator> unchecked = table->NewIterator(false);
  std::size_t steps = 0;
  for (unchecked->SeekToFirst(); unchecked->Valid() && steps < 100000; unchecked->Next()) ++steps;
  for (unchecked->SeekToLast(); unchecked->Valid() && steps < 200000; unchecked->Prev()) ++steps;
  for (const auto& [key, unused] : entries) unchecked->SeekForPrev(key);
  return corruption;
}

}  // namespace table_test
}  // namespace arenakv

#endif  // ARENAKV_TESTS_MVCC_TABLE_TABLE_TEST_UTIL_H_
