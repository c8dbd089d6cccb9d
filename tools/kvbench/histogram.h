// SPDX-License-Identifier: Apache-2.0
// Histogram: a log-linear latency histogram in the style of HdrHistogram.
//
// Values (nanoseconds) below 2^kSubBucketBits are counted exactly; above that,
// each power-of-two range [2^e, 2^(e+1)) is split into 2^kSubBucketBits equal
// sub-buckets, so a bucket's width is at most 1/128 of its lower bound and a
// percentile reported as a bucket's midpoint is within 0.4% of the true value.
// The whole uint64 range fits in kNumBuckets counters (~58 KiB), no allocation
// after construction.
//
// Thread safety: none. Each benchmark thread records into its own Histogram;
// the runner merges them (Merge) after the threads have joined.
#ifndef ARENAKV_TOOLS_KVBENCH_HISTOGRAM_H_
#define ARENAKV_TOOLS_KVBENCH_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace arenakv::kvbench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  // Exact range plus one group of sub-buckets per shift 0..(63 - kSubBucketBits).
  static constexpr std::size_t kNumBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  Histogram() { Clear(); }

  void Clear();
  void Record(std::uint64_t value) {
    ++counts_[BucketIndex(value)];
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void Merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double Mean() const;
  // The value at quantile q in [0, 1] (0 for an empty histogram): the midpoint
  // of the bucket holding the ceil(q * count)-th smallest value, clamped to
  // [min, max].
  double Percentile(double q) const;

  // Bucket arithmetic, public for tests: BucketLow(i) <= v <= BucketHigh(i)
  // exactly when BucketIndex(v) == i.
  static std::size_t BucketIndex(std::uint64_t value);
  static std::uint64_t BucketLow(std::size_t index);
  static std::uint64_t BucketHigh(std::size_t index);

 private:
  std::array<std::uint64_t, kNumBuckets> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;  // wraps after ~584 years of nanoseconds: not a concern
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_HISTOGRAM_H_
