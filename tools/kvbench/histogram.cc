// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace arenakv::kvbench {

void Histogram::Clear() {
  counts_.fill(0);
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < kNumBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::size_t Histogram::BucketIndex(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  const int exponent = std::bit_width(value) - 1;  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const std::uint64_t sub = (value >> shift) - kSubBuckets;  // in [0, kSubBuckets)
  return static_cast<std::size_t>((static_cast<std::uint64_t>(shift) + 1) * kSubBuckets + sub);
}

std::uint64_t Histogram::BucketLow(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = index / kSubBuckets - 1;
  const std::uint64_t sub = index % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

std::uint64_t Histogram::BucketHigh(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = index / kSubBuckets - 1;
  return BucketLow(index) + ((std::uint64_t{1} << shift) - 1);
}

double Histogram::Percentile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const std::uint64_t rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kNumBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double mid =
          (static_cast<double>(BucketLow(i)) + static_cast<double>(BucketHigh(i))) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace arenakv::kvbench
