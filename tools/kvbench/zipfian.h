// SPDX-License-Identifier: Apache-2.0
// ZipfianTable: draws ranks in [0, n) with P(rank = i) proportional to
// 1 / (i + 1)^theta, by the constant-time method of Gray et al., "Quickly
// Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB does.
//
// Construction sums zeta(n, theta) once: O(n) pow calls (about a second per
// 10^8 keys). Next() is O(1). ScrambledNext spreads the hot ranks over the key
// space with a hash, so the popular keys are not all adjacent (YCSB's
// "scrambled zipfian"); Next() keeps rank 0 the hottest, which the
// read-latest workload (ycsb-d) uses as "most recent".
//
// Thread safety: immutable after construction; any number of threads may
// call Next with their own Random.
#ifndef ARENAKV_TOOLS_KVBENCH_ZIPFIAN_H_
#define ARENAKV_TOOLS_KVBENCH_ZIPFIAN_H_

#include <cstdint>

#include "tools/kvbench/generators.h"

namespace arenakv::kvbench {

class ZipfianTable {
 public:
  // n >= 1, 0 < theta < 1 (checked by option validation).
  ZipfianTable(std::uint64_t n, double theta);

  std::uint64_t n() const { return n_; }
  std::uint64_t Next(Random& rng) const;
  std::uint64_t ScrambledNext(Random& rng) const;

 private:
  std::uint64_t n_;
  double theta_;
  double alpha_;     // 1 / (1 - theta)
  double zeta_n_;    // sum over i in [1, n] of 1 / i^theta
  double eta_;       // (1 - (2/n)^(1-theta)) / (1 - zeta(2)/zeta(n))
  double half_pow_;  // 1 + 0.5^theta: the draw threshold of rank 1
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_ZIPFIAN_H_
