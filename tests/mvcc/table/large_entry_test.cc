// SPDX-License-Identifier: Apache-2.0
// Blocks of one large entry read key first (mvcc/table/large_entry.h): the
// same entries as whole-block reads, only the keys read until a value is
// asked for, and every corruption still reported.
#include "mvcc/table/large_entry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mvcc/table/block_builder.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/table.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"
#include "tests/mvcc/table/table_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using table_test::Entry;
using table_test::TableTest;

constexpr std::size_t kBig = kLargeEntryBlockBytes + 4321;

std::string RandomValue(std::mt19937* rng, std::size_t size) {
  std::string value(size, '\0');
  for (char& c : value) c = static_cast<char>((*rng)() & 0xff);
  return value;
}

// Big and small entries, several versions of some keys, in table order.
std::vector<Entry> MixedEntries(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Entry> entries;
  for (int i = 0; i < 6; ++i) {
    const std::string key = "key" + std::to_string(i);
    entries.emplace_back(InternalKey(key, 9, EntryKind::kPut), RandomValue(&rng, kBig + i));
    if (i % 2 == 0) entries.emplace_back(InternalKey(key, 8, EntryKind::kDelete), "");
    if (i % 3 == 0) entries.emplace_back(InternalKey(key, 7, EntryKind::kPut), "small");
  }
  return entries;
}

// Counts the bytes a table reads from its file.
class CountingFile final : public RandomAccessFile {
 public:
  CountingFile(std::unique_ptr<RandomAccessFile> base, std::atomic<std::uint64_t>* bytes)
      : base_(std::move(base)), bytes_(bytes) {}
  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    *bytes_ += n;
    return base_->Read(offset, n, result, scratch);
  }

 private:
  std::unique_ptr<RandomAccessFile> base_;
  std::atomic<std::uint64_t>* bytes_;
};

class LargeEntryTest : public TableTest {
 protected:
  std::unique_ptr<Table> OpenCounting(const TableOptions& options, const std::string& path,
                                      std::atomic<std::uint64_t>* bytes,
                                      BlockCache* cache = nullptr) {
    std::unique_ptr<RandomAccessFile> base;
    std::uint64_t size = 0;
    EXPECT_TRUE(fs_.GetFileSize(path, &size).ok());
    EXPECT_TRUE(fs_.NewRandomAccessFile(path, &base).ok());
    std::unique_ptr<Table> table;
    EXPECT_TRUE(Table::Open(options, std::make_unique<CountingFile>(std::move(base), bytes), size,
                            cache, &table)
                    .ok());
    return table;
  }
};

// A forward scan that leaves every other value unread (as a compaction
// leaves shadowed ones), then table_test::ExpectIteratorMatches: the
// key-first iterator agrees with the entries (and so with whole-block reads).
void ExpectKeyFirstMatches(const Table& table, const std::vector<Entry>& entries) {
  std::unique_ptr<InternalIterator> iter =
      table.NewIterator(/*verify_checksums=*/true, /*fill_cache=*/false, /*key_first=*/true);
  std::size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
    ASSERT_LT(i, entries.size());
    ASSERT_EQ(iter->key(), entries[i].first);
    if (i % 2 == 0) {
      ASSERT_EQ(iter->value(), entries[i].second) << i;
    }
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  ASSERT_EQ(i, entries.size());
  table_test::ExpectIteratorMatches(iter.get(), entries);
}

TEST_F(LargeEntryTest, KeyFirstReadsGiveTheSameEntries) {
  const std::vector<Entry> entries = MixedEntries(1);
  Build(entries, TableOptions());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  ExpectKeyFirstMatches(*table, entries);
}

// The table builder writes a large entry from where it lies, without
// copying it into a block first: the bytes are those BlockBuilder makes.
TEST_F(LargeEntryTest, ALargeEntryIsWrittenAsTheBlockBuilderWouldWriteIt) {
  std::mt19937 rng(4);
  const std::vector<Entry> entries = {
      {InternalKey("big", 300, EntryKind::kPut), RandomValue(&rng, kBig)},
      {InternalKey("big", 299, EntryKind::kPut), "small after it"},
  };
  Build(entries, TableOptions());
  BlockBuilder block(TableOptions().block_restart_interval);
  block.Add(entries[0].first, entries[0].second);
  std::string expected(block.Finish());
  AppendBlockTrailer(std::string(expected), CompressionType::kNone, &expected);
  EXPECT_EQ(ReadFile().substr(0, expected.size()), expected);
  EXPECT_EQ(properties_.num_data_blocks, 2u);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  table_test::ExpectTableMatches(*table, entries);
  ExpectKeyFirstMatches(*table, entries);
}

// A large value after small entries still gets a block of its own (the
// open block is written first), so compactions read it key first.
TEST_F(LargeEntryTest, ALargeValueAfterSmallOnesGetsItsOwnBlock) {
  std::mt19937 rng(5);
  const std::vector<Entry> entries = {
      {InternalKey("a", 3, EntryKind::kPut), "small"},
      {InternalKey("b", 3, EntryKind::kDelete), ""},
      {InternalKey("c", 3, EntryKind::kPut), RandomValue(&rng, kBig)},
      {InternalKey("d", 3, EntryKind::kPut), "small again"},
  };
  Build(entries, TableOptions());
  EXPECT_EQ(properties_.num_data_blocks, 3u);
  std::atomic<std::uint64_t> bytes{0};
  std::unique_ptr<Table> table = OpenCounting(TableOptions(), kPath, &bytes);
  ASSERT_NE(table, nullptr);
  std::unique_ptr<InternalIterator> iter = table->NewIterator(true, false, /*key_first=*/true);
  const std::uint64_t opened = bytes.load();
  iter->Seek(entries[2].first);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), entries[2].first);
  EXPECT_LT(bytes.load() - opened, kMaxPeekedKey + 1024) << "the block was read whole";
  table_test::ExpectTableMatches(*table, entries);
  ExpectKeyFirstMatches(*table, entries);
}

// A compressed block is read whole (its key cannot be read alone).
TEST_F(LargeEntryTest, CompressedLargeBlocksAreReadWhole) {
  std::mt19937 rng(2);
  std::vector<Entry> entries;
  for (int i = 0; i < 3; ++i) {
    // Half random, half zeros: compresses to about half, still over the size.
    std::string value = RandomValue(&rng, 2 * kBig) + std::string(2 * kBig, '\0');
    entries.emplace_back(InternalKey("z" + std::to_string(i), 3, EntryKind::kPut),
                         std::move(value));
  }
  TableOptions options;
  options.compression = CompressionType::kLz4;
  Build(entries, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(options, &table).ok());
  ExpectKeyFirstMatches(*table, entries);
}

// A compressed table's builder does not keep a large block's compression
// buffer (7/8 of the block, compressed or not) for the rest of the table.
TEST_F(LargeEntryTest, ABuilderKeepsNoLargeCompressionBuffer) {
  std::mt19937 rng(3);
  for (CompressionType type : {CompressionType::kLz4, CompressionType::kZstd}) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile("/buffers.sst", &file).ok());
    TableOptions options;
    options.compression = type;
    TableBuilder builder(options, file.get());
    const std::string big = RandomValue(&rng, 2 * kBig) + std::string(2 * kBig, '\0');
    builder.Add(InternalKey("a", 3, EntryKind::kPut), big);
    builder.Add(InternalKey("b", 3, EntryKind::kPut), "small");  // the table goes on
    ASSERT_TRUE(builder.status().ok()) << builder.status().ToString();
    EXPECT_LE(builder.BufferBytes(), 2 * BlockBuilder::kKeptCapacity);
    ASSERT_TRUE(builder.Finish().ok());
  }
}

// k iterators on blocks of large entries, as a compaction merging k files:
// positioned, they have read only keys; a value costs one block.
TEST_F(LargeEntryTest, PositionedIteratorsHoldKeysNotValues) {
  constexpr int kTables = 4;
  std::vector<std::vector<Entry>> contents;
  for (int t = 0; t < kTables; ++t) {
    const std::string path = "/t" + std::to_string(t) + ".sst";
    contents.push_back(MixedEntries(10 + t));
    Build(contents.back(), TableOptions(), path);
  }
  std::atomic<std::uint64_t> bytes{0};
  std::vector<std::unique_ptr<Table>> tables;
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (int t = 0; t < kTables; ++t) {
    tables.push_back(OpenCounting(TableOptions(), "/t" + std::to_string(t) + ".sst", &bytes));
    ASSERT_NE(tables.back(), nullptr);
  }
  const std::uint64_t opened = bytes.load();
  for (auto& table : tables) {
    iters.push_back(table->NewIterator(true, /*fill_cache=*/false, /*key_first=*/true));
    iters.back()->SeekToFirst();
    ASSERT_TRUE(iters.back()->Valid());
  }
  // Each peek reads the block's tail and at most its header and a key bound.
  EXPECT_LT(bytes.load() - opened, kTables * (kMaxPeekedKey + 1024));
  const std::uint64_t before_value = bytes.load();
  ASSERT_EQ(iters[1]->value(), contents[1][0].second);
  EXPECT_GE(bytes.load() - before_value, kBig);
  EXPECT_LT(bytes.load() - before_value, 2 * kBig);
  // The same positions read whole: every block, values and all.
  bytes = 0;
  for (auto& table : tables) {
    std::unique_ptr<InternalIterator> whole = table->NewIterator(true, false, false);
    whole->SeekToFirst();
    ASSERT_TRUE(whole->Valid());
  }
  EXPECT_GE(bytes.load(), kTables * kBig);
}

// A Get reads a large value into the caller's string: one read of its
// block, trimmed in place, never held beside a copy of it; the block does
// not go into the cache.
TEST_F(LargeEntryTest, AGetReadsALargeValueStraightIntoTheCallersString) {
  const std::vector<Entry> entries = MixedEntries(6);
  Build(entries, TableOptions());
  BlockCache cache(std::size_t{64} << 20, 0);
  std::atomic<std::uint64_t> bytes{0};
  std::unique_ptr<Table> table = OpenCounting(TableOptions(), kPath, &bytes, &cache);
  ASSERT_NE(table, nullptr);
  for (const bool verify : {false, true}) {
    const std::uint64_t before = bytes.load();
    std::string value = "replaced";
    Table::GetResult result;
    ASSERT_TRUE(table->Get("key1", 9, verify, &result, &value).ok());
    ASSERT_EQ(result, Table::GetResult::kFound);
    EXPECT_EQ(value, entries[3].second);  // key0 has three versions first
    EXPECT_LT(bytes.load() - before, kBig + kMaxPeekedKey + 1024) << "one read of the block";
  }
  // Until 2026-12-07 the block went into the cache, and the value was
  // copied out of it.
  EXPECT_LT(cache.usage(), kBig);
  // A small value is read as before, through the cache.
  std::string value;
  Table::GetResult result;
  ASSERT_TRUE(table->Get("key0", 7, true, &result, &value).ok());
  EXPECT_EQ(value, "small");
  EXPECT_GT(cache.usage(), 0u);
}

// A large entry whose block is cached (an iterator read it) is served from
// the cache: neither a Get nor a key-first iterator peeks the file.
TEST_F(LargeEntryTest, ACachedLargeBlockIsNotPeekedAgain) {
  const std::vector<Entry> entries = MixedEntries(7);
  Build(entries, TableOptions());
  BlockCache cache(std::size_t{64} << 20, 0);
  std::atomic<std::uint64_t> bytes{0};
  std::unique_ptr<Table> table = OpenCounting(TableOptions(), kPath, &bytes, &cache);
  ASSERT_NE(table, nullptr);
  {
    std::unique_ptr<InternalIterator> iter =
        table->NewIterator(true, /*fill_cache=*/true, /*key_first=*/true);
    iter->Seek(entries[0].first);
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(iter->value(), entries[0].second);  // reads the block into the cache
  }
  ASSERT_GE(cache.usage(), kBig);
  bytes = 0;
  std::string value;
  Table::GetResult result;
  ASSERT_TRUE(table->Get("key0", 9, true, &result, &value).ok());
  EXPECT_EQ(value, entries[0].second);
  std::unique_ptr<InternalIterator> iter = table->NewIterator(true, true, /*key_first=*/true);
  iter->Seek(entries[0].first);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), entries[0].second);
  // Until 2026-12-07 each peeked the block's tail and head from the file.
  EXPECT_EQ(bytes.load(), 0u);
}

// A Get of a damaged large value is Corruption whatever verify_checksums
// says, and leaves no part of the block in the caller's string.
TEST_F(LargeEntryTest, AGetOfADamagedLargeValueIsCorruption) {
  const std::vector<Entry> entries = MixedEntries(8);
  Build(entries, TableOptions());
  ASSERT_TRUE(fs_.CorruptByte(kPath, 11 + kBig / 2).ok());  // in entries[0]'s value
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(TableOptions(), &table).ok());
  std::string value = "old";
  Table::GetResult result;
  const Status s = table->Get("key0", 9, /*verify_checksums=*/false, &result, &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(result, Table::GetResult::kNotPresent);
  EXPECT_TRUE(value.empty());
  ASSERT_TRUE(fs_.CorruptByte(kPath, 11 + kBig / 2).ok());  // flips back

  // Damage in the entry's header or peeked key: Corruption, never another
  // answer.
  for (std::uint64_t offset = 0; offset < 11; ++offset) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
    ASSERT_TRUE(Open(TableOptions(), &table).ok());
    const Status damaged = table->Get("key0", 9, /*verify_checksums=*/true, &result, &value);
    EXPECT_TRUE(damaged.IsCorruption()) << damaged.ToString();
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
  }
}

// A Get that lands on a large entry of another key (a bloom false positive;
// here no filter) reads the entry's block only when the read is
// checksummed: otherwise it would compare the key with a peek of the same
// bytes.
TEST_F(LargeEntryTest, AGetLandingOnAnotherKeyReadsTheBlockOnlyToCheckIt) {
  const std::vector<Entry> entries = MixedEntries(9);
  TableOptions options;
  options.bloom_bits_per_key = 0;
  Build(entries, options);
  std::atomic<std::uint64_t> bytes{0};
  std::unique_ptr<Table> table = OpenCounting(options, kPath, &bytes);
  ASSERT_NE(table, nullptr);
  for (const bool verify : {false, true}) {
    SCOPED_TRACE(verify ? "checksums on" : "checksums off");
    const std::uint64_t before = bytes.load();
    std::string value;
    Table::GetResult result;
    ASSERT_TRUE(table->Get("key0~", 9, verify, &result, &value).ok());  // lands on key1
    EXPECT_EQ(result, Table::GetResult::kNotPresent);
    if (verify) {
      EXPECT_GE(bytes.load() - before, kBig) << "the block is read and checked";
    } else {
      EXPECT_LT(bytes.load() - before, kMaxPeekedKey + 1024) << "only the peek";
    }
  }
}

// A seek that passes over a peeked entry reads its block: the key was not
// checked, and a Get would otherwise answer from the next block. One that
// lands on the entry reads nothing yet.
TEST_F(LargeEntryTest, ASeekPastAPeekedEntryChecksItsBlock) {
  int reads = 0;
  LargeEntryIterator iter(InternalKey("m", 5, EntryKind::kPut), [&](BlockContents*) {
    ++reads;
    return Status::Corruption("damaged block");
  });
  iter.Seek(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_TRUE(iter.Valid());
  EXPECT_EQ(reads, 0);
  iter.Seek(InternalKey("z", 1, EntryKind::kPut));
  EXPECT_EQ(reads, 1);
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().IsCorruption()) << iter.status().ToString();

  int backward_reads = 0;
  LargeEntryIterator back(InternalKey("m", 5, EntryKind::kPut), [&](BlockContents*) {
    ++backward_reads;
    return Status::Corruption("damaged block");
  });
  back.SeekForPrev(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_EQ(backward_reads, 1);
  EXPECT_TRUE(back.status().IsCorruption());
}

// Damage anywhere in a large entry's block is reported, whether the value
// was read (value() fails) or passed over unread (Next fails), and no
// wrong key or value is ever given out before that.
TEST_F(LargeEntryTest, DamageIsReportedWhetherTheValueIsReadOrNot) {
  const std::vector<Entry> entries = MixedEntries(3);
  Build(entries, TableOptions());
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(kPath, &size).ok());
  // The first data block holds entries[0] alone: a 7-byte header, the 4-byte
  // user key, the value, the restart array (8 bytes), then the trailer (type
  // byte, checksum). Offsets in each part:
  const std::uint64_t restarts = 11 + kBig;
  const std::vector<std::uint64_t> offsets = {
      0, 2, 6, 8, 11, kBig / 2, restarts - 1, restarts, restarts + 4, restarts + 8, restarts + 10};
  for (const bool read_values : {true, false}) {
    for (const std::uint64_t offset : offsets) {
      if (offset >= size) continue;
      SCOPED_TRACE("offset " + std::to_string(offset) + (read_values ? ", values read" : ""));
      ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
      std::unique_ptr<Table> damaged;
      Status s = Open(TableOptions(), &damaged);
      bool reported = !s.ok();
      if (s.ok()) {
        std::unique_ptr<InternalIterator> iter = damaged->NewIterator(true, false, true);
        std::size_t i = 0;
        for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
          ASSERT_LT(i, entries.size());
          if (!read_values && i > 0) {
            // Keys seen before the damage was found must be what was written
            // wherever the damaged block was already checked.
            ASSERT_EQ(iter->key(), entries[i].first);
          }
          if (read_values) {
            const std::string_view value = iter->value();
            if (!iter->status().ok()) break;
            ASSERT_EQ(iter->key(), entries[i].first);
            ASSERT_EQ(value, entries[i].second);
          }
        }
        reported = !iter->status().ok();
        if (reported) {
          EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
        }
      }
      EXPECT_TRUE(reported);
      ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());  // flips back
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace arenakv
