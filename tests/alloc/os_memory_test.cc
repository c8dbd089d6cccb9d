// SPDX-License-Identifier: Apache-2.0
// Specification of the OS memory wrappers under the arena (alloc/os_memory.h):
// decommitting and releasing free the pages (in steps) and leave the range
// as documented, whatever the sizes.
#include "alloc/os_memory.h"

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace arenakv::alloc_internal {
namespace {

// Pages of [addr, addr + size) in memory; -1 if part of it is not mapped.
std::int64_t ResidentPages(char* addr, std::size_t size) {
  std::vector<unsigned char> pages(size / kPageSize);
  if (mincore(addr, size, pages.data()) != 0) return -1;
  std::int64_t resident = 0;
  for (unsigned char p : pages) resident += p & 1;
  return resident;
}

// Not a multiple of the free step, so that the last step is a partial one.
constexpr std::size_t kSize = 2 * kFreeStep + 3 * kPageSize;

TEST(OsMemoryTest, DecommitFreesThePagesAndTheNextCommitReadsZeros) {
  char* base = ReserveAddressSpace(kSize, kHugePageSize);
  ASSERT_NE(base, nullptr);
  ASSERT_TRUE(CommitPages(base, kSize));
  std::memset(base, 0xab, kSize);
  EXPECT_EQ(ResidentPages(base, kSize), static_cast<std::int64_t>(kSize / kPageSize));
  DecommitPages(base, kSize);
  EXPECT_EQ(ResidentPages(base, kSize), 0);  // still reserved, nothing behind it
  ASSERT_TRUE(CommitPages(base, kSize));
  for (std::size_t at = 0; at < kSize; at += kPageSize / 2) {
    ASSERT_EQ(base[at], 0) << at;
  }
  ReleaseAddressSpace(base, kSize, kSize);
  EXPECT_EQ(ResidentPages(base, kSize), -1);  // unmapped
}

TEST(OsMemoryTest, ReleaseTakesAnyTouchedBound) {
  for (std::size_t touched : {std::size_t{0}, kPageSize, kFreeStep + 1, kSize, 4 * kSize}) {
    SCOPED_TRACE(touched);
    char* base = ReserveAddressSpace(kSize, kHugePageSize);
    ASSERT_NE(base, nullptr);
    ASSERT_TRUE(CommitPages(base, kSize));
    std::memset(base, 1, touched < kSize ? touched : kSize);
    ReleaseAddressSpace(base, kSize, touched);
    EXPECT_EQ(ResidentPages(base, kSize), -1);
  }
}

}  // namespace
}  // namespace arenakv::alloc_internal
