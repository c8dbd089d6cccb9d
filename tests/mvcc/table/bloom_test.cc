// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/bloom.h"

#include <gtest/gtest.h>

#include <string>

namespace arenakv {
namespace {

std::string Key(int i, const char* prefix) { return prefix + std::to_string(i); }

TEST(BloomTest, TenBitsPerKeyHasNoFalseNegativesAndFewFalsePositives) {
  constexpr int kKeys = 10000;
  BloomFilterBuilder builder(10);
  for (int i = 0; i < kKeys; ++i) builder.AddKey(Key(i, "present/"));
  const std::string filter = builder.Finish();
  EXPECT_LE(filter.size(), static_cast<std::size_t>(kKeys * 10 / 8 + 1));

  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(BloomFilterMayMatch(filter, Key(i, "present/"))) << i;
  }
  int false_positives = 0;
  for (int i = 0; i < kKeys; ++i) false_positives += BloomFilterMayMatch(filter, Key(i, "absent/"));
  EXPECT_LT(false_positives, kKeys * 2 / 100) << false_positives;
}

TEST(BloomTest, NoFalseNegativesAtAnySize) {
  for (const int n : {1, 2, 10, 100, 1000, 5000}) {
    for (const int bits : {1, 4, 10, 20}) {
      BloomFilterBuilder builder(bits);
      for (int i = 0; i < n; ++i) builder.AddKey(Key(i, ""));
      const std::string filter = builder.Finish();
      for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(BloomFilterMayMatch(filter, Key(i, ""))) << n << " keys, " << bits << " bits";
      }
    }
  }
}

TEST(BloomTest, BinaryAndEmptyKeys) {
  BloomFilterBuilder builder(10);
  const std::string nul("\0\0x", 3);
  builder.AddKey("");
  builder.AddKey(nul);
  const std::string filter = builder.Finish();
  EXPECT_TRUE(BloomFilterMayMatch(filter, ""));
  EXPECT_TRUE(BloomFilterMayMatch(filter, nul));
}

TEST(BloomTest, EmptyFilterMatchesNothing) {
  const std::string filter = BloomFilterBuilder(10).Finish();
  EXPECT_EQ(filter.size(), 9u);  // 64 bits and the probe count
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(BloomFilterMayMatch(filter, Key(i, "k")));
}

TEST(BloomTest, ProbeCountFollowsBitsPerKey) {
  EXPECT_EQ(BloomFilterBuilder(10).Finish().back(), 7);
  EXPECT_EQ(BloomFilterBuilder(1).Finish().back(), 1);
  EXPECT_EQ(BloomFilterBuilder(100).Finish().back(), kMaxBloomProbes);
}

TEST(BloomTest, DuplicateKeysCountOnce) {
  BloomFilterBuilder once(10);
  BloomFilterBuilder repeated(10);
  for (int i = 0; i < 1000; ++i) {
    once.AddKey(Key(i, "k"));
    for (int v = 0; v < 5; ++v) repeated.AddKey(Key(i, "k"));
  }
  EXPECT_EQ(once.Finish(), repeated.Finish());
}

TEST(BloomTest, ShortOrReservedFiltersMatchEverything) {
  EXPECT_TRUE(BloomFilterMayMatch("", "k"));
  EXPECT_TRUE(BloomFilterMayMatch(std::string(1, '\x07'), "k"));
  std::string filter(9, '\0');
  for (const int probes : {0, kMaxBloomProbes + 1, 255}) {
    filter.back() = static_cast<char>(probes);
    EXPECT_TRUE(BloomFilterMayMatch(filter, "k")) << probes;
  }
  // The smallest well-formed filter: one byte of bits.
  filter = std::string("\0\x03", 2);
  EXPECT_FALSE(BloomFilterMayMatch(filter, "k"));
}

}  // namespace
}  // namespace arenakv
