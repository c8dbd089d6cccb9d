// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/interval_series.h"

#include <algorithm>

namespace arenakv::kvbench {

IntervalSeries::IntervalSeries(double interval_seconds, std::size_t threads)
    : interval_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(interval_seconds))),
      meters_(std::make_unique<IntervalMeter[]>(threads)),
      threads_(threads),
      seen_ops_(threads, 0),
      seen_sum_(threads, 0) {}

IntervalSeries::~IntervalSeries() {
  if (sampler_.joinable()) (void)Stop();
}

void IntervalSeries::Start() {
  start_ = last_ = Clock::now();
  sampler_ = std::thread([this] { Run(); });
}

std::vector<IntervalSample> IntervalSeries::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  sampler_.join();
  Sample(Clock::now());
  return std::move(samples_);
}

void IntervalSeries::Run() {
  std::unique_lock lock(mu_);
  for (Clock::time_point next = start_ + interval_;; next += interval_) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    Sample(Clock::now());
  }
}

void IntervalSeries::Sample(Clock::time_point now) {
  IntervalSample s;
  std::uint64_t sum = 0, max = 0;
  for (std::size_t i = 0; i < threads_; ++i) {
    IntervalMeter& m = meters_[i];
    const std::uint64_t ops = m.ops_.load(std::memory_order_relaxed);
    const std::uint64_t total = m.sum_.load(std::memory_order_relaxed);
    s.ops += ops - seen_ops_[i];
    sum += total - seen_sum_[i];
    seen_ops_[i] = ops;
    seen_sum_[i] = total;
    max = std::max(max, m.max_.exchange(0, std::memory_order_relaxed));
  }
  const double seconds = std::chrono::duration<double>(now - last_).count();
  if (seconds <= 0 && s.ops == 0) return;  // Stop right after a sample
  last_ = now;
  s.end_seconds = std::chrono::duration<double>(now - start_).count();
  s.ops_per_sec = seconds > 0 ? static_cast<double>(s.ops) / seconds : 0;
  s.mean_latency_us = s.ops > 0 ? static_cast<double>(sum) / static_cast<double>(s.ops) / 1e3 : 0;
  s.max_latency_us = static_cast<double>(max) / 1e3;
  samples_.push_back(s);
}

}  // namespace arenakv::kvbench
