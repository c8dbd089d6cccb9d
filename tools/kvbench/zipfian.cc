// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/zipfian.h"

#include <cmath>

namespace arenakv::kvbench {

ZipfianTable::ZipfianTable(std::uint64_t n, double theta) : n_(n), theta_(theta) {
  zeta_n_ = 0;
  for (std::uint64_t i = 1; i <= n_; ++i) zeta_n_ += 1.0 / std::pow(static_cast<double>(i), theta_);
  const double zeta_2 = 1.0 + 1.0 / std::pow(2.0, theta_);
  alpha_ = 1.0 / (1.0 - theta_);
  eta_ = n_ <= 2 ? 0.0
                 : (1.0 - std::pow(2.0 / static_cast<double>(n_), 1.0 - theta_)) /
                       (1.0 - zeta_2 / zeta_n_);
  half_pow_ = 1.0 + std::pow(0.5, theta_);
}

std::uint64_t ZipfianTable::Next(Random& rng) const {
  const double u = rng.NextDouble();
  const double uz = u * zeta_n_;
  if (uz < 1.0 || n_ == 1) return 0;
  if (uz < half_pow_ || n_ == 2) return 1;
  const auto rank =
      static_cast<std::uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return rank < n_ ? rank : n_ - 1;
}

std::uint64_t ZipfianTable::ScrambledNext(Random& rng) const {
  // FNV-1a over the rank's bytes: a fixed permutation-like spread of ranks.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::uint64_t rank = Next(rng);
  for (int i = 0; i < 8; ++i) {
    h ^= rank & 0xff;
    h *= 0x100000001b3ULL;
    rank >>= 8;
  }
  return h % n_;
}

}  // namespace arenakv::kvbench
