// SPDX-License-Identifier: Apache-2.0
// The memtable allocation model shared by alloc_bench and alloc_demo, and the
// overhead figure it is judged by.
//
// One memtable entry allocates a skiplist node of 8 + 8*h + 16 bytes (sequence,
// h next pointers, key reference) with a tower height h drawn as in LevelDB
// (geometric, p = 1/4, capped at 12), and a 112-byte value record (16-byte key +
// 96-byte value). Heights come from a fixed seed so every allocator sees the
// same sequence; they are drawn before any timed region.
#ifndef ARENAKV_BENCH_MEMTABLE_SIZES_H_
#define ARENAKV_BENCH_MEMTABLE_SIZES_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "arenakv/alloc/arena.h"

namespace arenakv::bench {

constexpr int kMaxNodeHeight = 12;
constexpr std::size_t kValueBytes = 112;

constexpr std::size_t NodeBytes(int height) {
  return 8 + 8 * static_cast<std::size_t>(height) + 16;
}

// Node sizes of n entries, reproducible from seed (mt19937_64 output is
// specified by the standard, unlike the std distributions).
inline std::vector<std::uint16_t> NodeSizes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint16_t> sizes(n);
  for (auto& size : sizes) {
    int height = 1;
    while (height < kMaxNodeHeight && (rng() & 3) == 0) ++height;
    size = static_cast<std::uint16_t>(NodeBytes(height));
  }
  return sizes;
}

// Writes one word into a fresh chunk, as a memtable writes a node's header: this
// makes every allocator pay for the pages it hands out (first-touch faults),
// whether it touches them itself or not.
inline void Touch(void* chunk, std::uint64_t value) { *static_cast<std::uint64_t*>(chunk) = value; }

// The memory-overhead figure of the targets: (reserved + overhead) / requested - 1,
// in percent (0 when nothing is requested).
inline double OverheadPct(const ArenaStats& s) {
  if (s.requested == 0) return 0.0;
  return 100.0 *
         (static_cast<double>(s.reserved + s.overhead) / static_cast<double>(s.requested) - 1.0);
}

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_MEMTABLE_SIZES_H_
