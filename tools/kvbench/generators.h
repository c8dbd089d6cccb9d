// SPDX-License-Identifier: Apache-2.0
// Key, value and random-number generators shared by every workload.
//
// Keys are fixed-size: an 8-byte big-endian index (so bytewise order is
// numeric order and fillseq writes in key order) followed by 'k' padding up
// to --key-size. Indexes with the top bit set are never written, which makes
// MissingKey a key that cannot exist.
//
// Thread safety: Random and KeyBuffer belong to one thread. ValuePool and
// ZipfianTable (zipfian.h) are immutable after construction and shared.
#ifndef ARENAKV_TOOLS_KVBENCH_GENERATORS_H_
#define ARENAKV_TOOLS_KVBENCH_GENERATORS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace arenakv::kvbench {

// splitmix64: tiny, fast, and good enough for choosing keys; one per thread.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n > 0 (multiply-shift: no division, bias < n / 2^64).
  std::uint64_t Uniform(std::uint64_t n) {
    __extension__ using Wide = unsigned __int128;  // GCC/Clang; __extension__ for -Wpedantic
    return static_cast<std::uint64_t>((static_cast<Wide>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// Formats keys into one reused buffer; the returned view is valid until the
// next call.
class KeyBuffer {
 public:
  // key_size >= 8 (checked by option validation).
  explicit KeyBuffer(std::size_t key_size) : buffer_(key_size, 'k') {}
  std::string_view Key(std::uint64_t index);
  std::string_view MissingKey(std::uint64_t index) { return Key(index | (std::uint64_t{1} << 63)); }

 private:
  std::string buffer_;
};

// A block of random bytes values are sliced from, so producing a value costs
// nothing and its bytes do not compress (compression is off anyway).
class ValuePool {
 public:
  ValuePool(std::size_t value_size, std::uint64_t seed);
  std::string_view Value(Random& rng) const {
    return std::string_view(data_).substr(rng.Uniform(kPoolBytes), value_size_);
  }

 private:
  static constexpr std::size_t kPoolBytes = 1 << 20;
  std::size_t value_size_;
  std::string data_;  // kPoolBytes + value_size_ bytes
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_GENERATORS_H_
