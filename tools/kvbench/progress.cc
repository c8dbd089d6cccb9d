// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/progress.h"

#include <algorithm>
#include <cmath>

namespace arenakv::kvbench {

std::string FormatProgressLine(std::string_view workload, std::string_view engine, double fraction,
                               double ops_per_sec, std::size_t bar_width) {
  if (!(fraction > 0)) fraction = 0;  // also NaN
  fraction = std::min(fraction, 1.0);
  if (!(ops_per_sec > 0)) ops_per_sec = 0;
  std::string line(workload);
  line += ' ';
  line += engine;
  if (bar_width > 0) {
    // Full cells only: the bar is complete exactly at 100%.
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(bar_width));
    line += " [";
    line.append(filled, '#');
    line.append(bar_width - filled, '-');
    line += ']';
  }
  char numbers[64];
  std::snprintf(numbers, sizeof(numbers), " %3d%% %.0f ops/s",
                static_cast<int>(std::floor(fraction * 100)), ops_per_sec);
  line += numbers;
  return line;
}

Progress::Progress(std::FILE* out, bool enabled) : out_(out), enabled_(enabled) {}

Progress::~Progress() { Finish(); }

void Progress::Start(std::string_view workload, std::string_view engine, std::uint64_t total_ops,
                     double duration_seconds) {
  Finish();
  done_.store(0, std::memory_order_relaxed);
  if (!enabled_) return;
  workload_ = workload;
  engine_ = engine;
  total_ops_ = total_ops;
  duration_seconds_ = duration_seconds;
  began_ = Clock::now();
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  reporter_ = std::thread([this] { ReportLoop(); });
}

void Progress::Finish() {
  if (!reporter_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  reporter_.join();
  std::fputs("\r\x1b[K", out_);  // erase the line for the results that follow
  std::fflush(out_);
}

void Progress::ReportLoop() {
  constexpr auto kPeriod = std::chrono::milliseconds(1000 / kRedrawsPerSecond);
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, kPeriod, [this] { return stopping_; })) Draw();
}

void Progress::Draw() {
  const double elapsed = std::chrono::duration<double>(Clock::now() - began_).count();
  const auto done = static_cast<double>(done_.load(std::memory_order_relaxed));
  double fraction = 0;
  if (duration_seconds_ > 0) {
    fraction = elapsed / duration_seconds_;
  } else if (total_ops_ > 0) {
    fraction = done / static_cast<double>(total_ops_);
  }
  const double rate = elapsed > 0 ? done / elapsed : 0;
  // "\r" back to the line start, then erase what a longer earlier line left.
  const std::string line = FormatProgressLine(workload_, engine_, fraction, rate, kBarWidth);
  std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  std::fflush(out_);
}

}  // namespace arenakv::kvbench
