// SPDX-License-Identifier: Apache-2.0
// Slabs (size classes) of the arena: 8 B .. 1 TiB.
//
// Layout of the table (kNumSlabs = 312):
//   index  0..63 : 8, 16, 24, ..., 512            exact 8-byte steps; waste < 8 B
//   index 64..311: eight slabs per power of two    576, 640, ..., 1024, 1152, ..., 2^40
//                  slab = (8 + r + 1) << (g + 6) for index 64 + 8 g + r
// A request n > 512 lands in the octave (2^e, 2^(e+1)] whose step is 2^(e-3), so
// its waste is below one step: (slab - n) / n < 1/8. Lookup is O(1): a shift for
// small requests, one count-leading-zeros for the rest.
#ifndef ARENAKV_ALLOC_SIZE_CLASSES_H_
#define ARENAKV_ALLOC_SIZE_CLASSES_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace arenakv::alloc_internal {

constexpr std::size_t kSmallStep = 8;
constexpr std::size_t kSmallMax = 512;  // largest slab of the exact 8-byte range
constexpr std::size_t kNumSmallSlabs = kSmallMax / kSmallStep;
constexpr std::size_t kSlabsPerOctave = 8;
constexpr std::size_t kMaxSlab = std::size_t{1} << 40;
// Octaves (512, 1024], ..., (2^39, 2^40]: 31 of them.
constexpr std::size_t kNumSlabs = kNumSmallSlabs + 31 * kSlabsPerOctave;

// Slab index for a request of n bytes, 1 <= n <= kMaxSlab.
constexpr std::uint32_t SlabIndex(std::size_t n) {
  if (n <= kSmallMax) return static_cast<std::uint32_t>((n + kSmallStep - 1) / kSmallStep - 1);
  const std::size_t m = n - 1;
  const int e = std::bit_width(m) - 1;  // 2^e <= m < 2^(e+1), e >= 9
  const int shift = e - 3;
  return static_cast<std::uint32_t>(kNumSmallSlabs + (e - 9) * kSlabsPerOctave +
                                    ((m >> shift) - kSlabsPerOctave));
}

constexpr std::size_t SlabSizeAt(std::uint32_t index) {
  if (index < kNumSmallSlabs) return (index + 1) * kSmallStep;
  const std::size_t g = (index - kNumSmallSlabs) / kSlabsPerOctave;
  const std::size_t r = (index - kNumSmallSlabs) % kSlabsPerOctave;
  return (kSlabsPerOctave + r + 1) << (g + 6);
}

// Largest possible waste (slab size - request) of a slab, and the bytes needed
// to record it per chunk: 1 byte up to 255, then 2, 4 or 8.
constexpr std::size_t MaxWaste(std::uint32_t index) {
  if (index < kNumSmallSlabs) return kSmallStep - 1;
  if (index == kNumSmallSlabs) return SlabSizeAt(index) - kSmallMax - 1;
  return SlabSizeAt(index) - SlabSizeAt(index - 1) - 1;
}

constexpr std::uint8_t WasteWidth(std::uint32_t index) {
  const std::size_t w = MaxWaste(index);
  if (w <= 0xff) return 1;
  if (w <= 0xffff) return 2;
  if (w <= 0xffffffffu) return 4;
  return 8;
}

inline constexpr std::array<std::size_t, kNumSlabs> kSlabTable = [] {
  std::array<std::size_t, kNumSlabs> t{};
  for (std::uint32_t i = 0; i < kNumSlabs; ++i) t[i] = SlabSizeAt(i);
  return t;
}();

static_assert(SlabSizeAt(kNumSlabs - 1) == kMaxSlab);
static_assert(SlabIndex(kMaxSlab) == kNumSlabs - 1);
static_assert(SlabSizeAt(SlabIndex(67)) == 72);
static_assert(SlabSizeAt(SlabIndex(513)) == 576);
static_assert(SlabSizeAt(SlabIndex(1024)) == 1024 && SlabSizeAt(SlabIndex(1025)) == 1152);

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_SIZE_CLASSES_H_
