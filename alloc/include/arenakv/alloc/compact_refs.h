// SPDX-License-Identifier: Apache-2.0
// CompactRefs: 32-bit references to 4-byte-aligned addresses inside one arena.
//
// Every chunk of an Arena lies in one contiguous address range
// (Arena::RangeBase()), so a structure with many links (a skiplist tower, a
// version chain) can store each link as a 32-bit reference instead of a
// 64-bit pointer: ref = (address - base) / 4 + 1, and 0 means "none". That
// halves the bytes a link costs; the price is one add and one shift per
// dereference, and a span: only addresses in the first kSpan bytes of the
// range have a reference (InSpan). Callers check InSpan once, when a chunk is
// allocated, and treat a chunk outside it like an exhausted arena.
//
// A CompactRefs is an immutable value (the base): any number of threads may
// use it at once. It owns nothing.
#ifndef ARENAKV_ALLOC_COMPACT_REFS_H_
#define ARENAKV_ALLOC_COMPACT_REFS_H_

#include <cstddef>
#include <cstdint>

namespace arenakv {

class CompactRefs {
 public:
  // Bytes of the range that references can name: just under 16 GiB.
  static constexpr std::size_t kSpan = (std::size_t{1} << 32) * 4 - 4;

  CompactRefs() = default;
  explicit CompactRefs(const void* base)
      : origin_(reinterpret_cast<std::uintptr_t>(base) - 4), end_(origin_ + 4 + kSpan) {}

  // True if p (4-byte aligned) has a reference.
  bool InSpan(const void* p) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    return a > origin_ && a < end_ && a % 4 == 0;
  }
  // Requires InSpan(p) or p == nullptr (which maps to 0).
  std::uint32_t ToRef(const void* p) const noexcept {
    if (p == nullptr) return 0;
    return static_cast<std::uint32_t>((reinterpret_cast<std::uintptr_t>(p) - origin_) >> 2);
  }
  // The address `ref` names; nullptr for 0.
  template <typename T>
  T* Get(std::uint32_t ref) const noexcept {
    if (ref == 0) return nullptr;
    return reinterpret_cast<T*>(origin_ + (static_cast<std::uintptr_t>(ref) << 2));
  }

 private:
  std::uintptr_t origin_ = 0;  // base - 4, so that ref 1 names the base
  std::uintptr_t end_ = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_ALLOC_COMPACT_REFS_H_
