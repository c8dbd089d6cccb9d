// SPDX-License-Identifier: Apache-2.0
#include "mvcc/util/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {
namespace {

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(s, std::string_view("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  std::string_view in = s;
  std::uint32_t a = 0;
  std::uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0x04030201u);
  EXPECT_EQ(b, 0x0807060504030201ull);
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Fixed16IsLittleEndian) {
  char buf[2];
  EncodeFixed16(buf, 0xbeef);
  EXPECT_EQ(std::string_view(buf, 2), "\xef\xbe");
  EXPECT_EQ(DecodeFixed16(buf), 0xbeef);
}

TEST(CodingTest, FixedRejectsShortInput) {
  std::string_view in("\x01\x02\x03", 3);
  std::uint32_t a = 0;
  std::uint64_t b = 0;
  EXPECT_FALSE(GetFixed32(&in, &a));
  EXPECT_FALSE(GetFixed64(&in, &b));
  EXPECT_EQ(in.size(), 3u);
}

TEST(CodingTest, Varint64RoundTripsBoundaries) {
  std::vector<std::uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384};
  for (int shift = 0; shift < 64; ++shift) {
    const std::uint64_t p = std::uint64_t{1} << shift;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  values.push_back(std::numeric_limits<std::uint64_t>::max());
  std::string s;
  for (std::uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (std::uint64_t v : values) {
    const std::size_t before = in.size();
    std::uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(before - in.size(), VarintLength(v));
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RoundTripsBoundaries) {
  for (std::uint32_t v : {0u, 1u, 127u, 128u, 16384u, 0x0fffffffu, 0x10000000u, 0xffffffffu}) {
    std::string s;
    PutVarint32(&s, v);
    std::string_view in = s;
    std::uint32_t got = 0;
    ASSERT_TRUE(GetVarint32(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(CodingTest, VarintRejectsEveryTruncation) {
  std::string s;
  PutVarint64(&s, std::numeric_limits<std::uint64_t>::max());
  ASSERT_EQ(s.size(), kMaxVarint64Length);
  for (std::size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    std::uint64_t got = 0;
    EXPECT_FALSE(GetVarint64(&in, &got)) << n;
    EXPECT_EQ(in.size(), n);
  }
}

TEST(CodingTest, VarintRejectsOverflow) {
  // 2^32 does not fit a varint32.
  std::string s;
  PutVarint64(&s, std::uint64_t{1} << 32);
  std::string_view in = s;
  std::uint32_t got32 = 0;
  EXPECT_FALSE(GetVarint32(&in, &got32));
  // Six bytes is too long for a varint32 even if the value would fit.
  std::string_view too_long("\x80\x80\x80\x80\x80\x00", 6);
  EXPECT_FALSE(GetVarint32(&too_long, &got32));
  // A tenth byte above 1 overflows 64 bits; an eleventh byte is too long.
  std::string_view over64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  std::uint64_t got64 = 0;
  EXPECT_FALSE(GetVarint64(&over64, &got64));
  std::string_view long64("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
  EXPECT_FALSE(GetVarint64(&long64, &got64));
}

TEST(CodingTest, LengthPrefixedRejectsShortBody) {
  std::string s;
  PutLengthPrefixed(&s, "hello");
  std::string_view ok = s;
  std::string_view value;
  ASSERT_TRUE(GetLengthPrefixed(&ok, &value));
  EXPECT_EQ(value, "hello");
  std::string_view short_body(s.data(), s.size() - 1);
  EXPECT_FALSE(GetLengthPrefixed(&short_body, &value));
  EXPECT_EQ(short_body.size(), s.size() - 1);
}

}  // namespace
}  // namespace arenakv
