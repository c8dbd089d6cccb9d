// SPDX-License-Identifier: Apache-2.0
// SST data block compression: CompressBlock / UncompressBlock, ReadBlock on
// hand-built compressed blocks, and whole tables written with lz4 and zstd.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/table/block.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/block_compression.h"
#include "mvcc/table/table.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/table/table_format.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"
#include "tests/mvcc/table/table_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using table_test::Entry;
using table_test::ExpectTableMatches;
using table_test::FailingFile;
using table_test::ModelGet;
using table_test::ReadsCorrectlyOrReportsCorruption;
using table_test::TableTest;
using GetResult = Table::GetResult;

constexpr CompressionType kCompressions[] = {CompressionType::kLz4, CompressionType::kZstd};

std::string TypeName(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return "None";
    case CompressionType::kLz4:
      return "Lz4";
    case CompressionType::kZstd:
      return "Zstd";
  }
  return "Unknown";
}

// Text from a small vocabulary: compresses to well under 7/8 with either
// algorithm.
std::string CompressibleValue(std::mt19937* rng, std::size_t size) {
  static constexpr const char* kWords[] = {
      "apple ", "banana ", "cherry ", "damson ", "elder ", "fig ",  "grape ",  "hazel ",
      "kiwi ",  "lemon ",  "mango ",  "nectar ", "olive ", "pear ", "quince ", "rowan "};
  std::string value;
  while (value.size() < size) value += kWords[(*rng)() % 16];
  value.resize(size);
  return value;
}

// Uniformly random bytes: no algorithm saves 1/8 of them.
std::string IncompressibleValue(std::mt19937* rng, std::size_t size) {
  std::string value(size, '\0');
  for (char& c : value) c = static_cast<char>((*rng)() & 0xff);
  return value;
}

// `count` puts of user keys "key000000".. with values of 200-400 bytes; key i
// gets a compressible value if compressible(i), else random bytes.
template <typename Predicate>
std::vector<Entry> EntriesWithValues(int count, std::uint32_t seed, Predicate compressible) {
  std::mt19937 rng(seed);
  std::vector<Entry> entries;
  for (int i = 0; i < count; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "key%06d", i);
    const std::size_t size = 200 + rng() % 201;
    entries.emplace_back(
        InternalKey(user_key, 1 + i, EntryKind::kPut),
        compressible(i) ? CompressibleValue(&rng, size) : IncompressibleValue(&rng, size));
  }
  return entries;
}

std::vector<Entry> CompressibleEntries(int count, std::uint32_t seed) {
  return EntriesWithValues(count, seed, [](int) { return true; });
}
std::vector<Entry> IncompressibleEntries(int count, std::uint32_t seed) {
  return EntriesWithValues(count, seed, [](int) { return false; });
}

TableOptions CompressedOptions(CompressionType type) {
  TableOptions options;
  options.block_size = 1024;
  options.block_restart_interval = 4;
  options.compression = type;
  return options;
}

// The stored payload of `raw` compressed with `type` (which must save 1/8),
// split into its declared size and compressed bytes.
void CompressForTest(CompressionType type, std::string_view raw, std::uint32_t* declared,
                     std::string* compressed) {
  std::string payload;
  ASSERT_TRUE(CompressBlock(type, raw, &payload));
  std::string_view rest(payload);
  ASSERT_TRUE(GetVarint32(&rest, declared));
  compressed->assign(rest);
}

std::string Payload(std::uint64_t declared, std::string_view compressed) {
  std::string payload;
  PutVarint64(&payload, declared);
  payload.append(compressed);
  return payload;
}

class TableCompressionTest : public TableTest {
 protected:
  // The trailer type byte of every data block of the table at `path`, in file
  // order.
  std::vector<std::uint8_t> DataBlockTypes(const std::string& path = kPath) {
    const std::string data = ReadFile(path);
    std::vector<std::uint8_t> types;
    Footer footer;
    EXPECT_TRUE(
        Footer::DecodeFrom(std::string_view(data).substr(data.size() - kFooterSize), &footer).ok());
    std::unique_ptr<RandomAccessFile> file;
    EXPECT_TRUE(fs_.NewRandomAccessFile(path, &file).ok());
    std::string index_block;
    EXPECT_TRUE(ReadBlock(*file, footer.index, true, &index_block).ok());
    BlockIterator index(BlockContents::View(index_block));
    for (index.SeekToFirst(); index.Valid(); index.Next()) {
      BlockHandle handle;
      EXPECT_TRUE(BlockHandle::DecodeFrom(index.value(), &handle).ok());
      types.push_back(static_cast<std::uint8_t>(data[handle.offset + handle.size]));
    }
    EXPECT_TRUE(index.status().ok());
    return types;
  }

  // Writes `stored` and a valid trailer of type `type` as a one-block file and
  // reads the block back, with and without checksum verification; both reads
  // must agree. Returns the status.
  Status ReadHandBuiltBlock(std::string_view stored, std::uint8_t type, std::string* contents) {
    std::string data(stored);
    AppendBlockTrailer(stored, static_cast<CompressionType>(type), &data);
    WriteFile("/block", data);
    std::unique_ptr<RandomAccessFile> file;
    EXPECT_TRUE(fs_.NewRandomAccessFile("/block", &file).ok());
    const BlockHandle handle{0, stored.size()};
    std::string unverified;
    const Status unchecked = ReadBlock(*file, handle, /*verify_checksum=*/false, &unverified);
    const Status s = ReadBlock(*file, handle, /*verify_checksum=*/true, contents);
    EXPECT_EQ(s.ToString(), unchecked.ToString());
    if (s.ok()) {
      EXPECT_EQ(*contents, unverified);
    }
    return s;
  }
};

class TableCompressionTypeTest : public TableCompressionTest,
                                 public ::testing::WithParamInterface<CompressionType> {};

INSTANTIATE_TEST_SUITE_P(AllTypes, TableCompressionTypeTest,
                         ::testing::Values(CompressionType::kNone, CompressionType::kLz4,
                                           CompressionType::kZstd),
                         [](const ::testing::TestParamInfo<CompressionType>& info) {
                           return TypeName(info.param);
                         });

TEST_F(TableCompressionTest, CompressBlockKeepsOnlyWorthwhileSavings) {
  std::mt19937 rng(1);
  const std::string text = CompressibleValue(&rng, 4096);
  const std::string noise = IncompressibleValue(&rng, 4096);
  for (const CompressionType type : kCompressions) {
    SCOPED_TRACE(TypeName(type));
    std::string payload;
    ASSERT_TRUE(CompressBlock(type, text, &payload));
    EXPECT_LE(8 * payload.size(), 7 * text.size());
    std::string raw;
    ASSERT_TRUE(UncompressBlock(type, payload, &raw).ok());
    EXPECT_EQ(raw, text);

    EXPECT_FALSE(CompressBlock(type, noise, &payload));
    EXPECT_FALSE(CompressBlock(type, "", &payload));
    EXPECT_FALSE(CompressBlock(type, "tiny", &payload));
  }
  std::string payload;
  EXPECT_FALSE(CompressBlock(CompressionType::kNone, text, &payload));
  EXPECT_FALSE(CompressBlock(static_cast<CompressionType>(7), text, &payload));
}

TEST_F(TableCompressionTest, HighlyRepetitiveBlocksRoundTrip) {
  // A megabyte of zeros: lz4 near its 255x expansion limit, zstd far past it.
  const std::string zeros(1 << 20, '\0');
  for (const CompressionType type : kCompressions) {
    SCOPED_TRACE(TypeName(type));
    std::string payload;
    ASSERT_TRUE(CompressBlock(type, zeros, &payload));
    EXPECT_LT(payload.size(), zeros.size() / 200);
    std::string contents;
    ASSERT_TRUE(ReadHandBuiltBlock(payload, static_cast<std::uint8_t>(type), &contents).ok());
    EXPECT_EQ(contents, zeros);
  }
}

TEST_P(TableCompressionTypeTest, CompressibleTableRoundTrips) {
  const std::vector<Entry> entries = CompressibleEntries(600, 2);
  Build(entries, CompressedOptions(GetParam()));
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(CompressedOptions(GetParam()), &table).ok());
  EXPECT_GT(table->properties().num_data_blocks, 50u);
  // Every block of text compresses by more than 1/8.
  const std::vector<std::uint8_t> types = DataBlockTypes();
  ASSERT_EQ(types.size(), table->properties().num_data_blocks);
  for (const std::uint8_t type : types) EXPECT_EQ(type, static_cast<std::uint8_t>(GetParam()));
  ExpectTableMatches(*table, entries);  // both directions, seeks, Get, VerifyAll
}

TEST_F(TableCompressionTest, CompressedTablesAreSmaller) {
  const std::vector<Entry> entries = CompressibleEntries(600, 3);
  Build(entries, CompressedOptions(CompressionType::kNone), "/none.sst");
  const TableProperties none = properties_;
  const std::uint64_t none_size = ReadFile("/none.sst").size();
  for (const CompressionType type : kCompressions) {
    SCOPED_TRACE(TypeName(type));
    Build(entries, CompressedOptions(type), "/compressed.sst");
    // data_bytes counts bytes on disk; the index and filter are not compressed.
    EXPECT_LE(8 * properties_.data_bytes, 7 * none.data_bytes);
    EXPECT_EQ(properties_.num_data_blocks, none.num_data_blocks);
    EXPECT_EQ(properties_.raw_value_bytes, none.raw_value_bytes);
    EXPECT_LT(ReadFile("/compressed.sst").size(), none_size);
  }
}

TEST_P(TableCompressionTypeTest, IncompressibleBlocksAreStoredUncompressed) {
  const std::vector<Entry> entries = IncompressibleEntries(400, 4);
  Build(entries, CompressedOptions(CompressionType::kNone), "/none.sst");
  Build(entries, CompressedOptions(GetParam()));
  for (const std::uint8_t type : DataBlockTypes()) {
    EXPECT_EQ(type, static_cast<std::uint8_t>(CompressionType::kNone));
  }
  // Byte for byte the table written without compression.
  EXPECT_EQ(ReadFile(), ReadFile("/none.sst"));
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(CompressedOptions(GetParam()), &table).ok());
  ExpectTableMatches(*table, entries);
}

TEST_P(TableCompressionTypeTest, MixedBlocksRoundTrip) {
  // Runs of 20 keys alternate between text and noise.
  const std::vector<Entry> entries =
      EntriesWithValues(800, 5, [](int i) { return (i / 20) % 2 == 0; });
  Build(entries, CompressedOptions(GetParam()));
  std::size_t compressed = 0;
  std::size_t uncompressed = 0;
  for (const std::uint8_t type : DataBlockTypes()) {
    if (type == static_cast<std::uint8_t>(CompressionType::kNone)) {
      ++uncompressed;
    } else {
      EXPECT_EQ(type, static_cast<std::uint8_t>(GetParam()));
      ++compressed;
    }
  }
  EXPECT_GT(uncompressed, 0u);
  if (GetParam() != CompressionType::kNone) {
    EXPECT_GT(compressed, 0u);
  }
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(CompressedOptions(GetParam()), &table).ok());
  ExpectTableMatches(*table, entries);
}

TEST_P(TableCompressionTypeTest, LargeCompressibleValueRoundTrips) {
  std::mt19937 rng(6);
  std::vector<Entry> entries = {
      {InternalKey("big", 3, EntryKind::kPut), CompressibleValue(&rng, 4 << 20)},
      {InternalKey("small", 2, EntryKind::kPut), "v"},
  };
  Build(entries, CompressedOptions(GetParam()));
  if (GetParam() != CompressionType::kNone) {
    EXPECT_LT(properties_.data_bytes, std::uint64_t{2} << 20);
  }
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Open(CompressedOptions(GetParam()), &table).ok());
  ExpectTableMatches(*table, entries);
}

TEST_P(TableCompressionTypeTest, BlockCacheHitsReturnUncompressedContents) {
  const std::vector<Entry> entries = CompressibleEntries(300, 7);
  Build(entries, CompressedOptions(GetParam()));
  std::atomic<bool> fail{false};
  std::unique_ptr<RandomAccessFile> base;
  ASSERT_TRUE(fs_.NewRandomAccessFile(kPath, &base).ok());
  const std::uint64_t size = ReadFile().size();
  BlockCache cache(8 << 20);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(CompressedOptions(GetParam()),
                          std::make_unique<FailingFile>(std::move(base), &fail), size, &cache,
                          &table)
                  .ok());
  std::unique_ptr<InternalIterator> iter = table->NewIterator(true);
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
  }
  ASSERT_TRUE(iter->status().ok());
  // The cache is charged for contents as they are in memory.
  const TableProperties& p = table->properties();
  if (GetParam() == CompressionType::kNone) {
    EXPECT_EQ(cache.usage(), p.data_bytes - p.num_data_blocks * kBlockTrailerSize);
  } else {
    EXPECT_GT(cache.usage(), p.data_bytes);
  }

  // From here on every read is a cache hit: the file fails.
  fail = true;
  const std::uint64_t hits = cache.hits();
  std::size_t i = entries.size();
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
    ASSERT_GT(i, 0u);
    --i;
    ASSERT_EQ(iter->key(), entries[i].first);
    ASSERT_EQ(iter->value(), entries[i].second);
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  EXPECT_EQ(i, 0u);
  for (const auto& [key, expected] : entries) {
    GetResult result;
    std::string value;
    ASSERT_TRUE(table->Get(ExtractUserKey(key), kMaxSequenceNumber, true, &result, &value).ok());
    ASSERT_EQ(result, GetResult::kFound);
    ASSERT_EQ(value, expected);
  }
  EXPECT_GT(cache.hits(), hits);
}

TEST_P(TableCompressionTypeTest, EverySingleByteCorruptionIsDetected) {
  const std::vector<Entry> entries = CompressibleEntries(24, 8);
  TableOptions options = CompressedOptions(GetParam());
  options.block_size = 512;
  Build(entries, options);
  const std::uint64_t size = ReadFile().size();
  ASSERT_GT(properties_.num_data_blocks, 3u);
  BlockCache cache(1 << 20);
  for (std::uint64_t offset = 0; offset < size; ++offset) {
    SCOPED_TRACE("offset " + std::to_string(offset) + " of " + std::to_string(size));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());
    EXPECT_TRUE(ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, options,
                                                  offset % 2 == 0 ? &cache : nullptr));
    ASSERT_TRUE(fs_.CorruptByte(kPath, offset).ok());  // flips back
    if (HasFailure()) return;
  }
  EXPECT_FALSE(ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, options, nullptr));
}

TEST_F(TableCompressionTest, BogusPayloadWithValidChecksumIsCorruption) {
  std::mt19937 rng(9);
  const std::string raw = CompressibleValue(&rng, 4096);
  for (const CompressionType type : kCompressions) {
    SCOPED_TRACE(TypeName(type));
    const auto type_byte = static_cast<std::uint8_t>(type);
    std::uint32_t declared = 0;
    std::string compressed;
    CompressForTest(type, raw, &declared, &compressed);
    ASSERT_EQ(declared, raw.size());
    std::string contents;
    ASSERT_TRUE(ReadHandBuiltBlock(Payload(declared, compressed), type_byte, &contents).ok());
    ASSERT_EQ(contents, raw);

    const std::string bogus[] = {
        "",                                                              // no size header
        "\x80",                                                          // truncated size header
        "\xff\xff\xff\xff\x7f" + compressed,                             // size over 32 bits
        Payload(0xffffffffu, compressed),                                // absurd size
        Payload(kMaxUncompressedBlockSize + 1, compressed),              // just over the bound
        Payload(kMaxUncompressedBlockSize, compressed),                  // at the bound, impossible
        Payload(declared + 1, compressed),                               // one byte too many
        Payload(declared - 1, compressed),                               // one byte too few
        Payload(0, compressed),                                          // none at all
        Payload(declared, compressed.substr(0, compressed.size() - 1)),  // truncated
        Payload(declared, compressed.substr(0, compressed.size() / 2)),  // truncated
        Payload(declared, ""),                                           // nothing to decode
        Payload(declared, compressed + "x"),                             // trailing garbage
        Payload(declared, IncompressibleValue(&rng, compressed.size())),  // noise
    };
    for (std::size_t i = 0; i < std::size(bogus); ++i) {
      SCOPED_TRACE("bogus payload " + std::to_string(i));
      const Status s = ReadHandBuiltBlock(bogus[i], type_byte, &contents);
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    }
  }
}

// A zstd frame whose header (magic number, frame header descriptor, window
// descriptor) is damaged under a valid block checksum: Corruption, never a
// crash or a wrong block.
TEST_F(TableCompressionTest, DamagedZstdFrameHeaderIsCorruption) {
  std::mt19937 rng(11);
  const std::string raw = CompressibleValue(&rng, 4096);
  std::uint32_t declared = 0;
  std::string compressed;
  CompressForTest(CompressionType::kZstd, raw, &declared, &compressed);
  ASSERT_GT(compressed.size(), 6u);
  const auto zstd = static_cast<std::uint8_t>(CompressionType::kZstd);
  std::string contents;
  for (std::size_t i = 0; i < 6; ++i) {
    for (const unsigned char mask : {0x01, 0x80, 0xff}) {
      SCOPED_TRACE("byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      std::string damaged = compressed;
      damaged[i] = static_cast<char>(damaged[i] ^ static_cast<char>(mask));
      const Status s = ReadHandBuiltBlock(Payload(declared, damaged), zstd, &contents);
      EXPECT_TRUE(s.IsCorruption() || (s.ok() && contents == raw)) << s.ToString();
      EXPECT_FALSE(s.ok() && i < 4) << "a damaged magic number decoded";
    }
  }
}

TEST_F(TableCompressionTest, UnknownTypeWithValidChecksumIsCorruption) {
  std::string contents;
  for (const std::uint8_t type : {3, 7, 0x80, 0xff}) {
    const Status s = ReadHandBuiltBlock("some block bytes", type, &contents);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

TEST_F(TableCompressionTest, BogusDeclaredSizeInATableIsCorruption) {
  const std::vector<Entry> entries = CompressibleEntries(200, 10);
  for (const CompressionType type : kCompressions) {
    for (const int delta : {-1, 1, 1000}) {
      SCOPED_TRACE(TypeName(type) + ", declared size changed by " + std::to_string(delta));
      Build(entries, CompressedOptions(type));
      // Rewrite the declared size of the first data block (same varint length)
      // and give the block a valid checksum again.
      std::string data = ReadFile();
      std::string_view header(data);
      std::uint32_t declared = 0;
      ASSERT_TRUE(GetVarint32(&header, &declared));
      const std::size_t header_size = data.size() - header.size();
      std::string rewritten;
      PutVarint64(&rewritten, static_cast<std::uint64_t>(declared + delta));
      ASSERT_EQ(rewritten.size(), header_size);
      data.replace(0, header_size, rewritten);
      Footer footer;
      ASSERT_TRUE(
          Footer::DecodeFrom(std::string_view(data).substr(data.size() - kFooterSize), &footer)
              .ok());
      std::unique_ptr<RandomAccessFile> file;
      ASSERT_TRUE(fs_.NewRandomAccessFile(kPath, &file).ok());
      std::string index_block;
      ASSERT_TRUE(ReadBlock(*file, footer.index, true, &index_block).ok());
      BlockIterator index(BlockContents::View(index_block));
      index.SeekToFirst();
      ASSERT_TRUE(index.Valid());
      BlockHandle first;
      ASSERT_TRUE(BlockHandle::DecodeFrom(index.value(), &first).ok());
      ASSERT_EQ(first.offset, 0u);
      ASSERT_EQ(static_cast<std::uint8_t>(data[first.size]), static_cast<std::uint8_t>(type));
      std::string trailer;
      AppendBlockTrailer(std::string_view(data).substr(0, first.size), type, &trailer);
      data.replace(first.size, kBlockTrailerSize, trailer);
      WriteFile(kPath, data);

      std::unique_ptr<Table> table;
      ASSERT_TRUE(Open(CompressedOptions(type), &table).ok());  // data blocks are lazy
      for (const bool verify : {true, false}) {
        std::unique_ptr<InternalIterator> iter = table->NewIterator(verify);
        iter->SeekToFirst();
        EXPECT_FALSE(iter->Valid());
        EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
        GetResult result;
        EXPECT_TRUE(table
                        ->Get(ExtractUserKey(entries[0].first), kMaxSequenceNumber, verify, &result,
                              nullptr)
                        .IsCorruption());
        EXPECT_EQ(result, GetResult::kNotPresent);
      }
      EXPECT_TRUE(table->VerifyAll().IsCorruption());
      BlockCache cache(1 << 20);
      EXPECT_TRUE(
          ReadsCorrectlyOrReportsCorruption(&fs_, kPath, entries, CompressedOptions(type), &cache));
    }
  }
}

}  // namespace
}  // namespace arenakv
