// SPDX-License-Identifier: Apache-2.0
// The SST bloom filter: one filter over the user keys of a whole table, so a
// point lookup of a key the table does not hold usually skips the file without
// reading a data block.
//
// Filter block = bit array (num_bits = 8 * its byte length) | u8 num_probes.
// A key sets num_probes bits chosen by double hashing of XXH3_64bits(key):
// h1 = low 32 bits, h2 = high 32 bits, probe i sets bit (h1 + i * h2) mod
// num_bits. num_probes = round(bits_per_key * ln 2), in [1, 30]; at 10 bits
// per key the false-positive rate is about 1%.
//
// Both classes are plain values: BloomFilterBuilder is used by one thread;
// BloomFilterMayMatch is a pure function, safe from any thread.
#ifndef ARENAKV_MVCC_TABLE_BLOOM_H_
#define ARENAKV_MVCC_TABLE_BLOOM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {

// The most probes a filter may ask for; a filter byte above it is reserved
// (and read as "may match").
constexpr int kMaxBloomProbes = 30;

class BloomFilterBuilder {
 public:
  // bits_per_key >= 1.
  explicit BloomFilterBuilder(int bits_per_key);

  // Adds a user key. Adding the same key again (consecutive versions of one
  // user key) only costs memory; the filter treats it as one key.
  void AddKey(std::string_view user_key);
  std::size_t NumKeys() const { return hashes_.size(); }
  // Heap bytes the builder holds: 8 per key added (rounded up to the
  // vector's capacity).
  std::size_t MemoryUsage() const { return hashes_.capacity() * sizeof(std::uint64_t); }

  // The filter block contents for every key added so far (at least 64 bits,
  // so an empty filter is 9 bytes that match nothing).
  std::string Finish() const;

 private:
  const int bits_per_key_;
  int num_probes_;
  std::vector<std::uint64_t> hashes_;  // XXH3 of each key added
};

// True if `user_key` may have been added to the filter, false only if it
// certainly was not. A filter too short to hold its probe count, or with a
// reserved probe count, returns true (a corrupt filter must never hide a key).
bool BloomFilterMayMatch(std::string_view filter, std::string_view user_key);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TABLE_BLOOM_H_
