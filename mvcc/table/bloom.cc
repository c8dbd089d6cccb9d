// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/bloom.h"

#include <algorithm>
#include <cmath>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace arenakv {
namespace {

std::uint64_t BloomHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

// Calls visit(byte_index, mask) for each of the num_probes bits of `hash` in
// a bit array of num_bits, stopping early when visit returns false. Returns
// false if it stopped early.
template <typename Visit>
bool ForEachProbe(std::uint64_t hash, int num_probes, std::uint64_t num_bits, Visit visit) {
  const auto h1 = static_cast<std::uint32_t>(hash);
  const auto h2 = static_cast<std::uint32_t>(hash >> 32);
  for (int i = 0; i < num_probes; ++i) {
    const std::uint64_t bit = (std::uint64_t{h1} + static_cast<std::uint64_t>(i) * h2) % num_bits;
    if (!visit(bit / 8, static_cast<unsigned char>(1u << (bit % 8)))) return false;
  }
  return true;
}

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::max(bits_per_key, 1)) {
  // k = bits_per_key * ln 2 minimizes the false-positive rate for a given
  // number of bits per key.
  const long probes = std::lround(bits_per_key_ * 0.69314718);
  num_probes_ = static_cast<int>(std::clamp<long>(probes, 1, kMaxBloomProbes));
}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  hashes_.push_back(BloomHash(user_key));
}

std::string BloomFilterBuilder::Finish() const {
  // Duplicate hashes (versions of one user key) would inflate the filter.
  std::vector<std::uint64_t> unique = hashes_;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());

  std::uint64_t num_bits = static_cast<std::uint64_t>(unique.size()) * bits_per_key_;
  num_bits = std::max<std::uint64_t>(num_bits, 64);
  const std::uint64_t num_bytes = (num_bits + 7) / 8;
  num_bits = num_bytes * 8;

  std::string filter(num_bytes, '\0');
  for (const std::uint64_t hash : unique) {
    ForEachProbe(hash, num_probes_, num_bits, [&filter](std::uint64_t byte, unsigned char mask) {
      filter[byte] = static_cast<char>(static_cast<unsigned char>(filter[byte]) | mask);
      return true;
    });
  }
  filter.push_back(static_cast<char>(num_probes_));
  return filter;
}

bool BloomFilterMayMatch(std::string_view filter, std::string_view user_key) {
  if (filter.size() < 2) return true;
  const int num_probes = static_cast<unsigned char>(filter.back());
  if (num_probes < 1 || num_probes > kMaxBloomProbes) return true;
  const std::uint64_t num_bits = static_cast<std::uint64_t>(filter.size() - 1) * 8;
  return ForEachProbe(BloomHash(user_key), num_probes, num_bits,
                      [filter](std::uint64_t byte, unsigned char mask) {
                        return (static_cast<unsigned char>(filter[byte]) & mask) != 0;
                      });
}

}  // namespace arenakv
