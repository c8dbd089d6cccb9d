// SPDX-License-Identifier: Apache-2.0
// Progress: the live status line kvbench draws on stderr while a workload
// runs (workload, engine, a bar, percent done, ops/s so far), so a long run on
// a terminal shows that it is moving. Silent when not enabled (main enables it
// only when stderr is a terminal), so logs and CI output stay clean.
//
// Percent done is finished operations / the workload's operation count, or,
// when the workload runs for a fixed time (--duration > 0), elapsed time /
// that duration.
//
// Thread safety: Start and Finish are called by the runner's thread, one
// workload at a time. Add may be called by any number of client threads
// between Start and Finish; it is one relaxed fetch_add (no lock, no system
// call), and clients call it once per batch of operations, so the hot path is
// not slowed measurably. The counter needs no ordering: the reporter only
// samples it for display, and Finish joins the reporter before the counter is
// reset. A single reporter thread, started by Start and joined by Finish,
// redraws the line at most kRedrawsPerSecond times per second; it reads the
// names written by Start before it was created. Progress owns its thread and
// copies of the names; it borrows `out`, which must outlive it.
#ifndef ARENAKV_TOOLS_KVBENCH_PROGRESS_H_
#define ARENAKV_TOOLS_KVBENCH_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace arenakv::kvbench {

// The status line for the given numbers, without "\r" or terminal codes:
// "<workload> <engine> [#####-----] 50% 1234 ops/s". `fraction` is clamped
// to [0, 1] (NaN counts as 0); a negative or NaN ops_per_sec prints as 0;
// `bar_width` is the number of cells between the brackets (0: no bar).
std::string FormatProgressLine(std::string_view workload, std::string_view engine, double fraction,
                               double ops_per_sec, std::size_t bar_width);

class Progress {
 public:
  static constexpr int kRedrawsPerSecond = 10;
  static constexpr std::size_t kBarWidth = 30;

  // Draws on `out` only if `enabled`; otherwise Start and Finish do nothing.
  Progress(std::FILE* out, bool enabled);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();  // Finishes a workload still shown.

  // Shows workload `workload` on `engine` from now on: by count out of
  // `total_ops`, or by time when duration_seconds > 0.
  void Start(std::string_view workload, std::string_view engine, std::uint64_t total_ops,
             double duration_seconds);

  // Client threads: `n` more operations finished.
  void Add(std::uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }

  // Stops redrawing and erases the line. Does nothing if not started.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;

  void ReportLoop();
  void Draw();

  std::FILE* const out_;
  const bool enabled_;
  std::atomic<std::uint64_t> done_{0};

  // Written by Start before reporter_ is created, read-only while it runs.
  std::string workload_;
  std::string engine_;
  std::uint64_t total_ops_ = 0;
  double duration_seconds_ = 0;
  Clock::time_point began_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread reporter_;   // joinable exactly between Start and Finish
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_PROGRESS_H_
