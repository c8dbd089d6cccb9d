// SPDX-License-Identifier: Apache-2.0
// CompactRefs and Arena::RangeBase: 32-bit references to arena chunks.
#include <arenakv/alloc/arena.h>
#include <arenakv/alloc/compact_refs.h>

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace arenakv {
namespace {

TEST(CompactRefsTest, RangeBaseIsStableAndBelowEveryChunk) {
  Arena arena(ArenaOptions{.capacity = 64 << 20});
  const char* base = arena.RangeBase();  // before any allocation: reserves the range
  ASSERT_NE(base, nullptr);
  std::vector<void*> chunks;
  for (std::size_t n : {1, 8, 67, 4096, 100000, 3 << 20}) chunks.push_back(arena.Alloc(n));
  EXPECT_EQ(arena.RangeBase(), base);
  for (void* p : chunks) {
    EXPECT_GE(static_cast<const char*>(p), base);
    EXPECT_LT(static_cast<const char*>(p), base + CompactRefs::kSpan);
  }
}

TEST(CompactRefsTest, EveryChunkRoundTripsThroughItsReference) {
  Arena arena(ArenaOptions{.capacity = 64 << 20});
  const CompactRefs refs(arena.RangeBase());
  EXPECT_EQ(refs.ToRef(nullptr), 0u);
  EXPECT_EQ(refs.Get<char>(0), nullptr);
  for (std::size_t n = 1; n < 5000; n += 37) {
    char* p = static_cast<char*>(arena.Alloc(n));
    ASSERT_TRUE(refs.InSpan(p));
    const std::uint32_t ref = refs.ToRef(p);
    EXPECT_NE(ref, 0u);
    EXPECT_EQ(refs.Get<char>(ref), p);
    // Any 4-byte-aligned address inside the chunk has its own reference too.
    EXPECT_EQ(refs.Get<char>(refs.ToRef(p + 4)), p + 4);
  }
}

TEST(CompactRefsTest, AddressesOutsideTheSpanOrUnalignedHaveNoReference) {
  Arena arena(ArenaOptions{.capacity = 64 << 20});
  const char* base = arena.RangeBase();
  const CompactRefs refs(base);
  EXPECT_TRUE(refs.InSpan(base));
  EXPECT_FALSE(refs.InSpan(base - 4));
  EXPECT_FALSE(refs.InSpan(base + 2));
  EXPECT_TRUE(refs.InSpan(base + CompactRefs::kSpan - 4));
  EXPECT_FALSE(refs.InSpan(base + CompactRefs::kSpan));
  EXPECT_EQ(refs.ToRef(base + CompactRefs::kSpan - 4), UINT32_MAX);
}

}  // namespace
}  // namespace arenakv
