// SPDX-License-Identifier: Apache-2.0
// Coordination of the threads of one multi-threaded Google Benchmark run
// (->Threads(n)): one object they all share, and a barrier whose last arriving
// thread runs a step alone (e.g. "release the whole arena") while the others wait.
//
// Google Benchmark runs the same function on n threads and synchronizes them
// only at the start and end of the timed loop; code before the loop runs
// unsynchronized. RunShared<T>::Join gives every thread of a run the same T,
// built by thread 0; Leave waits for all threads and lets the last owner
// destroy it, so T outlives every use by any thread of the run. Runs follow one
// another (Google Benchmark joins a run's threads before the next starts), so
// one published slot per T suffices.
#ifndef ARENAKV_BENCH_RUN_SHARED_H_
#define ARENAKV_BENCH_RUN_SHARED_H_

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace arenakv::bench {

class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}

  // Blocks until `count` threads have arrived; the last to arrive runs step()
  // before any of them returns.
  template <class Step>
  void ArriveAndWait(Step&& step) {
    std::unique_lock lock(mu_);
    const std::uint64_t generation = generation_;
    if (++arrived_ == count_) {
      step();
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != generation; });
  }
  void ArriveAndWait() {
    ArriveAndWait([] {});
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int count_;
  int arrived_ = 0;
  std::uint64_t generation_ = 0;
};

template <class T>
class RunShared {
 public:
  // Thread 0 builds T(args...) and publishes it; the other threads of the run
  // wait for it. Every thread then holds the same object.
  template <class... Args>
  static std::shared_ptr<T> Join(const benchmark::State& state, Args&&... args) {
    std::unique_lock lock(mu_);
    if (state.thread_index() == 0) {
      slot_ = std::make_shared<T>(std::forward<Args>(args)...);
      cv_.notify_all();
      return slot_;
    }
    cv_.wait(lock, [] { return slot_ != nullptr; });
    return slot_;
  }

  // Returns once every thread of the run has called Leave; drops this thread's
  // reference (the last one destroys T).
  static void Leave(std::shared_ptr<T>& shared, Barrier& barrier) {
    barrier.ArriveAndWait([] {
      std::lock_guard lock(mu_);
      slot_ = nullptr;
    });
    shared.reset();
  }

 private:
  static inline std::mutex mu_;
  static inline std::condition_variable cv_;
  static inline std::shared_ptr<T> slot_;
};

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_RUN_SHARED_H_
