// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the arena, skiplist and memtable suites: ARENAKV_TEST_SANITIZED
// (tests/support/sanitizer.h) with kOpsScale, the divisor that keeps iteration counts quick
// there; Chunk, a chunk filled with a pattern byte, with TryAllocFilled, HoldsPattern,
// Intact and CheckAndFree; and ExpectEmpty, which checks that an arena holds nothing.
#ifndef ARENAKV_TESTS_SUPPORT_ARENA_TEST_UTIL_H_
#define ARENAKV_TESTS_SUPPORT_ARENA_TEST_UTIL_H_

#include <cstddef>
#include <cstring>
#include <optional>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"
#include "tests/support/sanitizer.h"

namespace arenakv::test {

#ifdef ARENAKV_TEST_SANITIZED
inline constexpr int kOpsScale = 2;  // sanitizers slow every access; keep the suite quick
#else
inline constexpr int kOpsScale = 1;
#endif

struct Chunk {
  unsigned char* p;
  std::size_t size;
  unsigned char pattern;
};

// True if all n bytes at p equal `pattern` (memcmp keeps sanitized builds fast).
inline bool HoldsPattern(const unsigned char* p, std::size_t n, unsigned char pattern) {
  return p[0] == pattern && (n == 1 || std::memcmp(p, p + 1, n - 1) == 0);
}

// A chunk of n bytes filled with a pattern, or nullopt if the arena refused.
inline std::optional<Chunk> TryAllocFilled(Arena& arena, std::size_t n, unsigned pattern_seed) {
  const auto pattern = static_cast<unsigned char>(pattern_seed % 251 + 1);
  auto* p = static_cast<unsigned char*>(arena.TryAlloc(n));
  if (p == nullptr) return std::nullopt;
  std::memset(p, pattern, n);
  return Chunk{p, n, pattern};
}

inline bool Intact(const Chunk& c) { return HoldsPattern(c.p, c.size, c.pattern); }

// Frees c after checking its pattern; returns false if it was clobbered.
inline bool CheckAndFree(Arena& arena, const Chunk& c) {
  const bool ok = Intact(c) && arena.ChunkSize(c.p) >= c.size;
  arena.Free(c.p);
  return ok;
}

// Expects no live chunks, nothing requested or allocated, and reserved within capacity.
inline void ExpectEmpty(const Arena& arena) {
  const ArenaStats stats = arena.Stats();
  EXPECT_EQ(stats.live_chunks, 0u);
  EXPECT_EQ(stats.requested, 0u);
  EXPECT_EQ(stats.allocated, 0u);
  EXPECT_LE(stats.reserved, stats.capacity);
}

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SUPPORT_ARENA_TEST_UTIL_H_
