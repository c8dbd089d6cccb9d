// SPDX-License-Identifier: Apache-2.0
#include <arenakv/mvcc/write_batch.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/util/coding.h"

namespace arenakv {
namespace {

struct Op {
  bool put;
  std::string key;
  std::string value;
  bool operator==(const Op&) const = default;
};

// Records every operation a batch hands it, in order.
class Recorder : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    ops.push_back({true, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) override { ops.push_back({false, std::string(key), ""}); }
  std::vector<Op> ops;
};

std::vector<Op> OpsOf(const WriteBatch& batch) {
  Recorder recorder;
  EXPECT_TRUE(batch.Iterate(recorder).ok());
  return recorder.ops;
}

// FromContents over an exact-size heap copy, so ASan catches any over-read.
Status ParseExact(std::string_view contents, WriteBatch* batch) {
  std::unique_ptr<char[]> copy(new char[contents.size() + 1]);
  std::memcpy(copy.get(), contents.data(), contents.size());
  return WriteBatch::FromContents(std::string_view(copy.get(), contents.size()), batch);
}

TEST(WriteBatchTest, EmptyBatchIsJustTheHeader) {
  WriteBatch batch;
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.Sequence(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), WriteBatch::kHeaderSize);
  EXPECT_EQ(batch.Contents(), std::string(WriteBatch::kHeaderSize, '\0'));
  EXPECT_TRUE(OpsOf(batch).empty());
}

TEST(WriteBatchTest, EncodingMatchesTheDocumentedBytes) {
  WriteBatch batch;
  batch.SetSequence(0x0102030405060708ull);
  batch.Put("a", "bc");
  batch.Delete("");
  const std::string_view expected(
      "\x08\x07\x06\x05\x04\x03\x02\x01"  // sequence, fixed64
      "\x02\x00\x00\x00"                  // count, fixed32
      "\x01\x01"
      "a\x02"
      "bc"         // put "a" -> "bc"
      "\x00\x00",  // delete ""
      20);
  EXPECT_EQ(batch.Contents(), expected);
  EXPECT_EQ(batch.ApproximateSize(), expected.size());
}

TEST(WriteBatchTest, IterateReplaysOperationsInOrder) {
  WriteBatch batch;
  batch.Put("k1", "v1");
  batch.Delete("k2");
  batch.Put("k1", "v3");
  batch.Delete("k1");
  const std::vector<Op> expected = {
      {true, "k1", "v1"}, {false, "k2", ""}, {true, "k1", "v3"}, {false, "k1", ""}};
  EXPECT_EQ(batch.Count(), 4u);
  EXPECT_EQ(OpsOf(batch), expected);
}

constexpr std::uint64_t kBigSequence = 0xfedcba9876543210ull;

TEST(WriteBatchTest, RoundTripsBinaryAndEmptyKeysAndValues) {
  const std::string nul_key("a\0b", 3);
  const std::string nul_value("\0\0\xff\x80", 4);
  const std::string big_value(100000, '\xab');  // three-byte varint length
  WriteBatch batch;
  batch.SetSequence(kBigSequence);
  batch.Put("", "");
  batch.Put(nul_key, nul_value);
  batch.Put("empty-value", "");
  batch.Put("", "empty-key");
  batch.Delete("");
  batch.Delete(nul_key);
  batch.Put("big", big_value);
  const std::vector<Op> expected = {{true, "", ""},
                                    {true, nul_key, nul_value},
                                    {true, "empty-value", ""},
                                    {true, "", "empty-key"},
                                    {false, "", ""},
                                    {false, nul_key, ""},
                                    {true, "big", big_value}};
  EXPECT_EQ(OpsOf(batch), expected);

  WriteBatch copy;
  ASSERT_TRUE(ParseExact(batch.Contents(), &copy).ok());
  EXPECT_EQ(copy.Contents(), batch.Contents());
  EXPECT_EQ(copy.Sequence(), kBigSequence);
  EXPECT_EQ(copy.Count(), expected.size());
  EXPECT_EQ(OpsOf(copy), expected);
}

TEST(WriteBatchTest, ApproximateSizeIsTheEncodedSize) {
  WriteBatch batch;
  std::size_t expected = WriteBatch::kHeaderSize;
  for (int i = 0; i < 200; ++i) {
    const std::string key(static_cast<std::size_t>(i), 'k');
    const std::string value(static_cast<std::size_t>(i * 7), 'v');
    if (i % 3 == 0) {
      batch.Delete(key);
      expected += 1 + VarintLength(key.size()) + key.size();
    } else {
      batch.Put(key, value);
      expected +=
          1 + VarintLength(key.size()) + key.size() + VarintLength(value.size()) + value.size();
    }
    ASSERT_EQ(batch.ApproximateSize(), expected);
    ASSERT_EQ(batch.Contents().size(), expected);
    ASSERT_EQ(batch.Count(), static_cast<std::size_t>(i + 1));
  }
}

TEST(WriteBatchTest, ClearDropsOperationsAndSequence) {
  WriteBatch batch;
  batch.SetSequence(42);
  batch.Put("a", "b");
  batch.Delete("c");
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.Sequence(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), WriteBatch::kHeaderSize);
  EXPECT_TRUE(OpsOf(batch).empty());
  batch.Put("x", "y");
  EXPECT_EQ(OpsOf(batch), (std::vector<Op>{{true, "x", "y"}}));
}

TEST(WriteBatchTest, SetSequenceKeepsOperations) {
  WriteBatch batch;
  batch.Put("a", "b");
  batch.SetSequence(7);
  EXPECT_EQ(batch.Sequence(), 7u);
  EXPECT_EQ(batch.Count(), 1u);
  EXPECT_EQ(OpsOf(batch), (std::vector<Op>{{true, "a", "b"}}));
}

TEST(WriteBatchTest, FromContentsRejectsEveryTruncation) {
  WriteBatch batch;
  batch.SetSequence(99);
  batch.Put("key", "value");
  batch.Delete(std::string("\0", 1));
  batch.Put("", std::string(300, 'x'));
  batch.Delete("last");
  const std::string contents(batch.Contents());

  WriteBatch target;
  target.Put("untouched", "1");
  const std::string before(target.Contents());
  for (std::size_t n = 0; n < contents.size(); ++n) {
    Status s = ParseExact(std::string_view(contents).substr(0, n), &target);
    EXPECT_TRUE(s.IsCorruption()) << "prefix of " << n << " bytes: " << s.ToString();
    EXPECT_EQ(target.Contents(), before);
  }
  EXPECT_TRUE(ParseExact(contents, &target).ok());
  EXPECT_EQ(target.Contents(), contents);
}

TEST(WriteBatchTest, FromContentsRejectsMalformedBatches) {
  WriteBatch batch;
  batch.Put("k", "v");
  const std::string good(batch.Contents());
  WriteBatch target;

  std::string trailing = good + "\x01";
  EXPECT_TRUE(ParseExact(trailing, &target).IsCorruption());

  std::string bad_kind = good;
  bad_kind[WriteBatch::kHeaderSize] = '\x02';
  EXPECT_TRUE(ParseExact(bad_kind, &target).IsCorruption());

  std::string count_high = good;
  count_high[8] = '\x02';
  EXPECT_TRUE(ParseExact(count_high, &target).IsCorruption());

  std::string count_low = good;
  count_low[8] = '\x00';
  EXPECT_TRUE(ParseExact(count_low, &target).IsCorruption());

  // A key length far past the end of the input.
  std::string long_key = good;
  long_key[WriteBatch::kHeaderSize + 1] = '\x7f';
  EXPECT_TRUE(ParseExact(long_key, &target).IsCorruption());

  // A key length varint that overflows 32 bits.
  std::string huge = good.substr(0, WriteBatch::kHeaderSize) + "\x01\xff\xff\xff\xff\x7f";
  EXPECT_TRUE(ParseExact(huge, &target).IsCorruption());
}

// Any input either parses into a batch that iterates cleanly with the count it
// claims, or is Corruption; never a crash or an over-read.
void CheckParsesOrRejects(std::string_view input) {
  WriteBatch batch;
  Status s = ParseExact(input, &batch);
  if (s.ok()) {
    Recorder recorder;
    ASSERT_TRUE(batch.Iterate(recorder).ok());
    ASSERT_EQ(recorder.ops.size(), batch.Count());
    ASSERT_EQ(batch.Contents(), input);
  } else {
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

TEST(WriteBatchTest, FromContentsSurvivesRandomGarbage) {
  std::mt19937_64 rng(301);
  for (int i = 0; i < 20000; ++i) {
    std::string garbage(rng() % 64, '\0');
    for (char& c : garbage) {
      // Mostly small bytes, so kinds and lengths are often plausible.
      c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    }
    CheckParsesOrRejects(garbage);
  }
}

TEST(WriteBatchTest, FromContentsSurvivesMutatedBatches) {
  std::mt19937_64 rng(302);
  for (int i = 0; i < 5000; ++i) {
    WriteBatch batch;
    const int ops = static_cast<int>(rng() % 6);
    for (int j = 0; j < ops; ++j) {
      const std::string key(rng() % 5, 'k');
      if (rng() % 2 == 0) {
        batch.Put(key, std::string(rng() % 200, 'v'));
      } else {
        batch.Delete(key);
      }
    }
    std::string mutated(batch.Contents());
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < flips; ++j) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    CheckParsesOrRejects(mutated);
  }
}

}  // namespace
}  // namespace arenakv
