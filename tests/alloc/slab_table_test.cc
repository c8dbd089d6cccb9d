// SPDX-License-Identifier: Apache-2.0
// Specification of the slab (size class) table: Arena::Slabs() and Arena::SlabSize().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

// The smallest slab >= n, found by search rather than by the arena's arithmetic.
std::size_t SmallestSlabAtLeast(std::size_t n) {
  const std::span<const std::size_t> slabs = Arena::Slabs();
  const auto it = std::lower_bound(slabs.begin(), slabs.end(), n);
  return it == slabs.end() ? 0 : *it;
}

// Checks everything SlabSize(n) promises for one request size.
void ExpectSlabSizeContract(std::size_t n) {
  const std::size_t slab = Arena::SlabSize(n);
  ASSERT_GE(slab, n) << "n=" << n;
  ASSERT_EQ(slab, SmallestSlabAtLeast(n)) << "n=" << n;
  ASSERT_EQ(slab % kAlignment, 0u) << "n=" << n;
  if (n <= 512) {
    ASSERT_LT(slab - n, 8u) << "n=" << n;
  } else {
    ASSERT_LT(static_cast<double>(slab - n) / static_cast<double>(n), 0.125) << "n=" << n;
  }
}

TEST(SlabTable, StartsAtEightAndEndsAtMaxArenaSize) {
  const std::span<const std::size_t> slabs = Arena::Slabs();

  ASSERT_FALSE(slabs.empty());
  EXPECT_EQ(slabs.front(), 8u);
  EXPECT_EQ(slabs.back(), kMaxArenaSize);
}

TEST(SlabTable, IsStrictlyAscending) {
  const std::span<const std::size_t> slabs = Arena::Slabs();

  for (std::size_t i = 1; i < slabs.size(); ++i) {
    EXPECT_LT(slabs[i - 1], slabs[i]) << "at index " << i;
  }
}

TEST(SlabTable, EverySlabIsAMultipleOfTheAlignment) {
  for (const std::size_t slab : Arena::Slabs()) {
    EXPECT_EQ(slab % kAlignment, 0u) << "slab " << slab;
  }
}

TEST(SlabTable, HasExactEightByteStepsUpTo512) {
  const std::span<const std::size_t> slabs = Arena::Slabs();

  ASSERT_GE(slabs.size(), 64u);
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(slabs[i], 8 * (i + 1));
}

TEST(SlabTable, HasEightSlabsPerPowerOfTwoAbove512) {
  const std::span<const std::size_t> slabs = Arena::Slabs();

  for (std::size_t low = 512; low < kMaxArenaSize; low *= 2) {
    const auto count = std::count_if(slabs.begin(), slabs.end(),
                                     [low](std::size_t s) { return s > low && s <= 2 * low; });
    EXPECT_EQ(count, 8) << "octave (" << low << ", " << 2 * low << "]";
  }
}

TEST(SlabSize, RoundsSmallRequestsUpToEightByteSteps) {
  EXPECT_EQ(Arena::SlabSize(0), 8u);
  EXPECT_EQ(Arena::SlabSize(1), 8u);
  EXPECT_EQ(Arena::SlabSize(8), 8u);
  EXPECT_EQ(Arena::SlabSize(9), 16u);
  EXPECT_EQ(Arena::SlabSize(67), 72u);
  EXPECT_EQ(Arena::SlabSize(512), 512u);
}

TEST(SlabSize, RoundsRequestsAbove512ToEighthsOfAPowerOfTwo) {
  EXPECT_EQ(Arena::SlabSize(513), 576u);
  EXPECT_EQ(Arena::SlabSize(1024), 1024u);
  EXPECT_EQ(Arena::SlabSize(1025), 1152u);
  EXPECT_EQ(Arena::SlabSize(kMaxArenaSize), kMaxArenaSize);
}

TEST(SlabSize, IsTheSmallestFittingSlabForEveryRequestUpTo5000) {
  for (std::size_t n = 1; n <= 5000; ++n) {
    ExpectSlabSizeContract(n);
    if (HasFatalFailure()) return;
  }
}

TEST(SlabSize, IsTheSmallestFittingSlabAroundEverySlabBoundary) {
  for (const std::size_t slab : Arena::Slabs()) {
    ExpectSlabSizeContract(slab - 1);
    ExpectSlabSizeContract(slab);
    EXPECT_EQ(Arena::SlabSize(slab), slab);
    if (slab < kMaxArenaSize) ExpectSlabSizeContract(slab + 1);
    if (HasFatalFailure()) return;
  }
}

TEST(SlabSize, IsTheSmallestFittingSlabForRandomRequestsUpToOneTebibyte) {
  std::mt19937_64 rng(0x5eed'51ab);
  // Log-uniform sizes, so that every octave up to 2^40 gets its share.
  std::uniform_int_distribution<int> octave(0, 39);
  for (int i = 0; i < 100'000; ++i) {
    const std::size_t low = std::size_t{1} << octave(rng);
    const std::size_t n = std::uniform_int_distribution<std::size_t>(low, 2 * low)(rng);
    ExpectSlabSizeContract(n);
    if (HasFatalFailure()) return;
  }
}

TEST(SlabSize, ThrowsLengthErrorAboveMaxArenaSize) {
  EXPECT_THROW(Arena::SlabSize(kMaxArenaSize + 1), std::length_error);
  EXPECT_THROW(Arena::SlabSize(std::numeric_limits<std::size_t>::max()), std::length_error);
}

}  // namespace
}  // namespace arenakv
