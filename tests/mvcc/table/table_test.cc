// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mvcc/table/block_cache.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"
#include "tests/mvcc/table/table_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using table_test::Entry;
using table_test::EntryLess;
using table_test::ExpectTableMatches;
using table_test::FailingFile;
using table_test::ModelGet;
using table_test::RandomEntries;
using table_test::ReadsCorrectlyOrReportsCorruption;
using table_test::SmallBlocks;
using table_test::TableTest;
using GetResult = Table::GetResult;

TEST_F(TableTest, EmptyTable) {
  Build({}, TableOptions());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  EXPECT_EQ(table->properties().num_entries, 0u);
  EXPECT_EQ(table->properties().num_data_blocks, 0u);
  EXPECT_TRUE(table->properties().smallest_key.empty());
  std::unique_ptr<InternalIterator> iter = table->NewIterator(true);
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
  GetResult result;
  EXPECT_TRUE(table->Get("a", kMaxSequenceNumber, true, &result, nullptr).ok());
  EXPECT_EQ(result, GetResult::kNotPresent);
  EXPECT_FALSE(table->KeyMayMatch("a"));
  EXPECT_TRUE(table->VerifyAll().ok());
}

TEST_F(TableTest, SingleEntry) {
  const std::vector<Entry> entries = {{InternalKey("only", 7, EntryKind::kPut), "value"}};
  Build(entries, TableOptions());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  ExpectTableMatches(*table, entries);
  EXPECT_EQ(table->properties().smallest_key, entries[0].first);
  EXPECT_EQ(table->properties().largest_key, entries[0].first);
}

TEST_F(TableTest, ManyEntriesAcrossManyBlocks) {
  const std::vector<Entry> entries = RandomEntries(800, 1);
  Build(entries, SmallBlocks());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(SmallBlocks(), &table).ok());
  EXPECT_GT(table->properties().num_data_blocks, 50u);
  ExpectTableMatches(*table, entries);
}

TEST_F(TableTest, PropertiesDescribeTheEntries) {
  const std::vector<Entry> entries = RandomEntries(300, 2);
  Build(entries, SmallBlocks());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(SmallBlocks(), &table).ok());
  const TableProperties& p = table->properties();
  std::uint64_t deletions = 0, key_bytes = 0, value_bytes = 0;
  SequenceNumber smallest = kMaxSequenceNumber, largest = 0;
  for (const auto& [key, value] : entries) {
    ParsedInternalKey parsed;
    ASSERT_TRUE(ParseInternalKey(key, &parsed));
    deletions += parsed.kind == EntryKind::kDelete;
    key_bytes += key.size();
    value_bytes += value.size();
    smallest = std::min(smallest, parsed.sequence);
    largest = std::max(largest, parsed.sequence);
  }
  EXPECT_EQ(p.num_entries, entries.size());
  EXPECT_EQ(p.num_deletions, deletions);
  EXPECT_EQ(p.raw_key_bytes, key_bytes);
  EXPECT_EQ(p.raw_value_bytes, value_bytes);
  EXPECT_EQ(p.smallest_sequence, smallest);
  EXPECT_EQ(p.largest_sequence, largest);
  EXPECT_EQ(p.smallest_key, entries.front().first);
  EXPECT_EQ(p.largest_key, entries.back().first);
  EXPECT_GT(p.filter_bytes, 0u);
  EXPECT_GT(p.index_bytes, 0u);
  std::uint64_t file_size = 0;
  ASSERT_TRUE(fs_.GetFileSize(kPath, &file_size).ok());
  EXPECT_LT(p.data_bytes + p.index_bytes + p.filter_bytes + kFooterSize, file_size);
  EXPECT_EQ(p.num_data_blocks, properties_.num_data_blocks);
  EXPECT_EQ(p.data_bytes, properties_.data_bytes);
}

TEST_F(TableTest, BinaryKeysAndEmptyValues) {
  std::vector<Entry> entries;
  entries.emplace_back(InternalKey("", 3, EntryKind::kPut), "");
  entries.emplace_back(InternalKey("", 2, EntryKind::kDelete), "");
  for (int i = 0; i < 300; ++i) {
    std::string user_key(1, '\0');
    user_key.push_back(static_cast<char>(i / 256));
    user_key.push_back(static_cast<char>(i % 256));
    user_key.push_back('\0');
    entries.emplace_back(InternalKey(user_key, 10, EntryKind::kPut),
                         i % 2 == 0 ? std::string() : std::string("\0\xff", 2));
  }
  entries.emplace_back(InternalKey(std::string(3, '\xff'), 1, EntryKind::kPut), "max");
  std::sort(entries.begin(), entries.end(), EntryLess);
  Build(entries, SmallBlocks());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(SmallBlocks(), &table).ok());
  ExpectTableMatches(*table, entries);
}

TEST_F(TableTest, LargeValues) {
  std::vector<Entry> entries;
  for (int i = 0; i < 4; ++i) {
    entries.emplace_back(InternalKey("big" + std::to_string(i), 5, EntryKind::kPut),
                         std::string(1 << 20, static_cast<char>('A' + i)));
    entries.emplace_back(InternalKey("big" + std::to_string(i) + "/small", 5, EntryKind::kPut),
                         "s");
  }
  Build(entries, TableOptions());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  ExpectTableMatches(*table, entries);
}

TEST_F(TableTest, GetFindsTheNewestVersionAtEachSnapshot) {
  // "k": put@10, delete@20, put@30; "m": delete@5 only.
  const std::vector<Entry> entries = {
      {InternalKey("k", 30, EntryKind::kPut), "v30"},
      {InternalKey("k", 20, EntryKind::kDelete), ""},
      {InternalKey("k", 10, EntryKind::kPut), "v10"},
      {InternalKey("m", 5, EntryKind::kDelete), ""},
  };
  for (const int block_size : {1, 4096}) {  // one entry per block, and one block
    TableOptions options;
    options.block_size = static_cast<std::size_t>(block_size);
    Build(entries, options);
    std::unique_ptr<Table> table;
    ASSERT_TRUE(Open(options, &table).ok());
    const struct {
      std::string user_key;
      SequenceNumber snapshot;
      GetResult result;
      std::string value;
    } cases[] = {
        {"k", 9, GetResult::kNotPresent, ""},   {"k", 10, GetResult::kFound, "v10"},
        {"k", 19, GetResult::kFound, "v10"},    {"k", 20, GetResult::kDeleted, ""},
        {"k", 29, GetResult::kDeleted, ""},     {"k", 30, GetResult::kFound, "v30"},
        {"k", 1000, GetResult::kFound, "v30"},  {"m", 4, GetResult::kNotPresent, ""},
        {"m", 5, GetResult::kDeleted, ""},      {"a", 100, GetResult::kNotPresent, ""},
        {"l", 100, GetResult::kNotPresent, ""}, {"z", 100, GetResult::kNotPresent, ""},
    };
    for (const auto& c : cases) {
      GetResult result;
      std::string value = "untouched";
      ASSERT_TRUE(table->Get(c.user_key, c.snapshot, true, &result, &value).ok());
      EXPECT_EQ(result, c.result) << c.user_key << "@" << c.snapshot;
      if (c.result == GetResult::kFound) {
        EXPECT_EQ(value, c.value);
      }
    }
    ExpectTableMatches(*table, entries);
  }
}

TEST_F(TableTest, BloomFilterSkipsMostAbsentKeys) {
  const std::vector<Entry> entries = RandomEntries(1000, 3);
  Build(entries, TableOptions());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  for (const auto& [key, unused] : entries) ASSERT_TRUE(table->KeyMayMatch(ExtractUserKey(key)));
  int matches = 0;
  for (int i = 0; i < 1000; ++i) matches += table->KeyMayMatch("absent" + std::to_string(i));
  EXPECT_LT(matches, 50);
}

TEST_F(TableTest, NoFilterWhenBitsPerKeyIsZero) {
  TableOptions options = SmallBlocks();
  options.bloom_bits_per_key = 0;
  const std::vector<Entry> entries = RandomEntries(100, 4);
  Build(entries, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(options, &table).ok());
  EXPECT_EQ(table->properties().filter_bytes, 0u);
  EXPECT_TRUE(table->KeyMayMatch("absent"));
  ExpectTableMatches(*table, entries);
}

TEST_F(TableTest, IndexSeparatorsLieBetweenBlocks) {
  std::mt19937 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::string a(rng() % 6, '\0'), b(rng() % 6, '\0');
    for (char& c : a) c = static_cast<char>("a\x00\xfe\xffz"[rng() % 5]);
    for (char& c : b) c = static_cast<char>("a\x00\xfe\xffz"[rng() % 5]);
    std::string ka = InternalKey(a, rng() % 100, EntryKind::kPut);
    std::string kb = InternalKey(b, rng() % 100, EntryKind::kDelete);
    if (InternalKeyCompare(ka, kb) == 0) continue;
    if (InternalKeyCompare(ka, kb) > 0) std::swap(ka, kb);
    const std::string separator = IndexSeparator(ka, kb);
    ASSERT_GE(InternalKeyCompare(separator, ka), 0);
    ASSERT_LT(InternalKeyCompare(separator, kb), 0);
    ASSERT_LE(separator.size(), ka.size());
  }
  const std::string separator = IndexSeparator(InternalKey("abcdef", 1, EntryKind::kPut),
                                               InternalKey("abzz", 1, EntryKind::kPut));
  EXPECT_EQ(ExtractUserKey(separator), "abd");
}

TEST_F(TableTest, OutOfOrderAddIsRejected) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_.NewWritableFile(kPath, &file).ok());
  TableBuilder builder(TableOptions(), file.get());
  builder.Add(InternalKey("b", 1, EntryKind::kPut), "v");
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEBUG_DEATH(builder.Add(InternalKey("a", 1, EntryKind::kPut), "v"), "DCHECK");
#ifdef NDEBUG
  EXPECT_TRUE(builder.status().IsInvalidArgument());
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());
#else
  builder.Abandon();
#endif
}

TEST_F(TableTest, WriteErrorsSurfaceFromFinish) {
  const std::vector<Entry> entries = RandomEntries(200, 6);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_.NewWritableFile(kPath, &file).ok());
  TableBuilder builder(SmallBlocks(), file.get());
  fs_.FailAfterBytes(1000);
  for (const auto& [key, value] : entries) builder.Add(key, value);
  EXPECT_TRUE(builder.status().IsIOError());
  EXPECT_TRUE(builder.Finish().IsIOError());
  fs_.ClearFaults();
  // The torn file is not a table.
  std::unique_ptr<Table> table;
  EXPECT_TRUE(Open(SmallBlocks(), &table).IsCorruption());
}

TEST_F(TableTest, AbandonedTableIsNotATable) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_.NewWritableFile(kPath, &file).ok());
  TableBuilder builder(SmallBlocks(), file.get());
  for (const auto& [key, value] : RandomEntries(100, 7)) builder.Add(key, value);
  builder.Abandon();
  std::unique_ptr<Table> table;
  EXPECT_TRUE(Open(SmallBlocks(), &table).IsCorruption());
}

TEST_F(TableTest, RejectsWrongMagicAndVersion) {
  Build(RandomEntries(10, 8), TableOptions());
  const std::string good = ReadFile();
  std::unique_ptr<Table> table;

  std::string bad = good;
  bad[bad.size() - 1] ^= 0x20;
  WriteFile("/magic.sst", bad);
  Status s = Open(TableOptions(), &table, nullptr, "/magic.sst");
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("not an arenakv table"), std::string::npos) << s.ToString();

  // Version 1 (fixed64 trailers in block entries) and any later version.
  for (const std::uint32_t version : {0u, 1u, 3u}) {
    bad = good;
    EncodeFixed32(bad.data() + bad.size() - 16, version);  // format_version
    WriteFile("/version.sst", bad);
    s = Open(TableOptions(), &table, nullptr, "/version.sst");
    EXPECT_TRUE(s.IsCorruption());
    EXPECT_NE(s.message().find("unsupported table format version " + std::to_string(version)),
              std::string::npos)
        << s.ToString();
  }

  WriteFile("/text.sst", std::string(100, 'x'));
  EXPECT_TRUE(Open(TableOptions(), &table, nullptr, "/text.sst").IsCorruption());
  EXPECT_EQ(table, nullptr);
}

TEST_F(TableTest, TruncatedFilesAreCorrupt) {
  Build(RandomEntries(40, 9), SmallBlocks());
  const std::string good = ReadFile();
  for (std::size_t length = 0; length < good.size(); ++length) {
    WriteFile("/short.sst", std::string_view(good).substr(0, length));
    std::unique_ptr<Table> table;
    const Status s = Open(SmallBlocks(), &table, nullptr, "/short.sst");
    ASSERT_TRUE(s.IsCorruption()) << length << ": " << s.ToString();
  }
  // A file shorter than the size the caller claims.
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs_.NewRandomAccessFile(kPath, &file).ok());
  std::unique_ptr<Table> table;
  EXPECT_TRUE(Table::Open(SmallBlocks(), std::move(file), good.size() + 10, nullptr, &table)
                  .IsCorruption());
}

TEST_F(TableTest, EverySingleByteCorruptionIsDetected) {
  const std::vector<Entry> entries = RandomEntries(25, 10);
  TableOptions options = SmallBlocks();
  options.block_size = 128;
  Build(entries, options);
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(kPath, &size).ok());
  ASSERT_GT(properties_.num_data_blocks, 3u);
  for (std::uint64_t offset = 0; offset < size; ++offset) {
    SCOPED_TRACE("offset " + std::to_string(offset) + " of " + std::to_string(size));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
    // Every byte of the file is under a checksum or is the magic number.
    EXPECT_TRUE(ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, options, nullptr));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());  // flips back
    if (HasFailure()) return;
  }
  EXPECT_FALSE(ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, options, nullptr));
}

TEST_F(TableTest, SampledCorruptionOfALargerTable) {
  const std::vector<Entry> entries = RandomEntries(400, 11);
  Build(entries, SmallBlocks());
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(kPath, &size).ok());
  std::mt19937 rng(11);
  BlockCache cache(1 << 20);
  for (int round = 0; round < 150; ++round) {
    const std::uint64_t offset = rng() % size;
    SCOPED_TRACE("offset " + std::to_string(offset));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
    EXPECT_TRUE(ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, SmallBlocks(),
                                                  round % 2 == 0 ? &cache : nullptr, 13));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
    if (HasFailure()) return;
  }
}

TEST_F(TableTest, ReadErrorsMakeIteratorsInvalid) {
  const std::vector<Entry> entries = RandomEntries(100, 12);
  Build(entries, SmallBlocks());
  std::atomic<bool> fail{false};
  std::unique_ptr<RandomAccessFile> base;
  ASSERT_TRUE(fs_.NewRandomAccessFile(kPath, &base).ok());
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(kPath, &size).ok());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(SmallBlocks(), std::make_unique<FailingFile>(std::move(base), &fail),
                          size, nullptr, &table)
                  .ok());
  std::unique_ptr<InternalIterator> iter = table->NewIterator(true);
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  fail = true;
  while (iter->Valid()) iter->Next();  // stops at the next block read
  EXPECT_TRUE(iter->status().IsIOError()) << iter->status().ToString();
  GetResult result;
  EXPECT_TRUE(
      table->Get(ExtractUserKey(entries[50].first), kMaxSequenceNumber, true, &result, nullptr)
          .IsIOError());
  EXPECT_TRUE(table->VerifyAll().IsIOError());
}

TEST_F(TableTest, BlockCacheServesRepeatedReads) {
  const std::vector<Entry> entries = RandomEntries(300, 13);
  const std::vector<Entry> other = RandomEntries(300, 14);
  Build(entries, SmallBlocks(), "/a.sst");
  Build(other, SmallBlocks(), "/b.sst");
  BlockCache cache(1 << 20);
  std::unique_ptr<Table> a, b;
  ASSERT_TRUE(Open(SmallBlocks(), &a, &cache, "/a.sst").ok());
  ASSERT_TRUE(Open(SmallBlocks(), &b, &cache, "/b.sst").ok());
  ExpectTableMatches(*a, entries);
  const std::uint64_t hits = cache.hits();
  EXPECT_GT(hits, 0u);
  ExpectTableMatches(*b, other);  // same offsets, other table: no mix-up
  ExpectTableMatches(*a, entries);
  EXPECT_GT(cache.hits(), hits);
  EXPECT_GT(cache.usage(), 0u);

  // A damaged block is never cached, even when the reader skips checksums.
  ASSERT_TRUE(fs_.CorruptByte("/a.sst", 3).ok());
  BlockCache fresh(1 << 20);
  std::unique_ptr<Table> damaged;
  ASSERT_TRUE(Open(SmallBlocks(), &damaged, &fresh, "/a.sst").ok());
  std::unique_ptr<InternalIterator> iter = damaged->NewIterator(false);
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());
  EXPECT_EQ(fresh.usage(), 0u);
  EXPECT_EQ(fresh.arena_stats().live_chunks, 0u);  // the entry it was read into is freed
}

// An iterator with fill_cache false (a compaction's) reads through the
// cache's hits but adds nothing to it.
TEST_F(TableTest, IteratorWithoutFillCacheLeavesTheCacheAlone) {
  const std::vector<Entry> entries = RandomEntries(300, 15);
  Build(entries, SmallBlocks(), "/a.sst");
  BlockCache cache(1 << 20);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(SmallBlocks(), &table, &cache, "/a.sst").ok());
  auto scan = [&](bool fill_cache) {
    std::unique_ptr<InternalIterator> iter = table->NewIterator(true, fill_cache);
    std::size_t n = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) ++n;
    EXPECT_TRUE(iter->status().ok());
    EXPECT_EQ(n, entries.size());
  };
  scan(/*fill_cache=*/false);
  EXPECT_EQ(cache.usage(), 0u);
  scan(/*fill_cache=*/true);
  const std::size_t usage = cache.usage();
  EXPECT_GT(usage, 0u);
  const std::uint64_t hits = cache.hits();
  scan(/*fill_cache=*/false);  // served from the cache, which stays as it was
  EXPECT_GT(cache.hits(), hits);
  EXPECT_EQ(cache.usage(), usage);
}

TEST_F(TableTest, ConcurrentReadersShareOneTable) {
  const std::vector<Entry> entries = RandomEntries(500, 15);
  Build(entries, SmallBlocks());
  BlockCache cache(16 << 10, 2);  // small: blocks are evicted while pinned
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(SmallBlocks(), &table, &cache).ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int round = 0; round < 300; ++round) {
        const Entry& entry = entries[rng() % entries.size()];
        const std::string user_key(ExtractUserKey(entry.first));
        const SequenceNumber snapshot = ExtractTrailer(entry.first) >> 8;
        GetResult result;
        std::string value, expected_value;
        const GetResult expected = ModelGet(entries, user_key, snapshot, &expected_value);
        if (!table->Get(user_key, snapshot, t % 2 == 0, &result, &value).ok() ||
            result != expected || (expected == GetResult::kFound && value != expected_value)) {
          ++mismatches;
        }
      }
      std::unique_ptr<InternalIterator> iter = table->NewIterator(true);
      std::size_t i = entries.size();
      for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
        if (i == 0 || iter->key() != entries[--i].first) ++mismatches;
      }
      if (i != 0 || !iter->status().ok()) ++mismatches;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace arenakv
