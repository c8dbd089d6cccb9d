// SPDX-License-Identifier: Apache-2.0
// IntervalSeries: kvbench --report-interval, a workload's throughput and
// latency per interval of wall time, so that stalls show where a whole-run
// percentile hides them.
//
// Each client thread records every finished operation in its own
// IntervalMeter (three counters on the thread's own cache line). A sampler
// thread wakes every interval, takes each meter's operations and latency sum
// since the last sample and its largest latency (resetting it), and appends
// one IntervalSample.
//
// Thread safety: IntervalMeter::Record is called by its one client thread
// only; IntervalSeries::Start/Stop by the runner thread, the sampling by the
// series' own thread. Memory orders: the counters are relaxed atomics. They
// publish nothing else, and each is written by one thread (Record) or reset
// by the sampler alone (the maximum, with an exchange): an operation that
// ends just as the sampler resets the maximum may be counted in the
// neighbouring interval, which a report at this resolution cannot tell.
#ifndef ARENAKV_TOOLS_KVBENCH_INTERVAL_SERIES_H_
#define ARENAKV_TOOLS_KVBENCH_INTERVAL_SERIES_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace arenakv::kvbench {

struct IntervalSample {
  double end_seconds = 0;  // since the workload started
  std::uint64_t ops = 0;   // operations finished within the interval
  double ops_per_sec = 0;
  double mean_latency_us = 0;  // 0 when no operation finished
  double max_latency_us = 0;
};

class alignas(64) IntervalMeter {
 public:
  void Record(std::uint64_t nanos) {
    ops_.store(ops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + nanos, std::memory_order_relaxed);
    if (nanos > max_.load(std::memory_order_relaxed)) max_.store(nanos, std::memory_order_relaxed);
  }

 private:
  friend class IntervalSeries;
  std::atomic<std::uint64_t> ops_{0};
  std::atomic<std::uint64_t> sum_{0};  // nanoseconds
  std::atomic<std::uint64_t> max_{0};  // nanoseconds, since the last sample
};

class IntervalSeries {
 public:
  // One meter per client thread; `interval_seconds` > 0.
  IntervalSeries(double interval_seconds, std::size_t threads);
  ~IntervalSeries();  // stops the sampler if running
  IntervalSeries(const IntervalSeries&) = delete;
  IntervalSeries& operator=(const IntervalSeries&) = delete;

  IntervalMeter* meter(std::size_t thread) { return &meters_[thread]; }

  // Starts sampling; the workload's clock starts now.
  void Start();
  // Takes a last (possibly shorter) sample, stops the sampler and returns
  // the samples. Call once, after the client threads have joined.
  std::vector<IntervalSample> Stop();

 private:
  using Clock = std::chrono::steady_clock;

  void Run();
  void Sample(Clock::time_point now);

  const Clock::duration interval_;
  std::unique_ptr<IntervalMeter[]> meters_;
  const std::size_t threads_;
  // Only the sampler thread (and Stop, after it joined) touches these.
  std::vector<std::uint64_t> seen_ops_, seen_sum_;
  std::vector<IntervalSample> samples_;
  Clock::time_point start_, last_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread sampler_;
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_INTERVAL_SERIES_H_
