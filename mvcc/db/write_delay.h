// SPDX-License-Identifier: Apache-2.0
// WriteDelay: the rate write groups are held to while level 0 holds
// level0_slowdown_writes_trigger files or more (RocksDB's delayed write rate).
//
// A group pays for its bytes by moving `next_free_` forward by bytes / rate.
// It waits only once the debt reaches kMinDelay, so at most about one group
// per millisecond waits and the groups in between go through at once: the
// write rate is smooth without every write being slow. Time spent idle does
// not bank credit.
//
// The rate starts at Options::delayed_write_rate for each slowdown and adapts
// to whether background work is catching up: whenever level 0 has grown since
// the last look, it drops to 4/5 (not below kMinRate); whenever it has shrunk,
// it rises by 5/4 (not above the option).
//
// Concurrency: none inside; DBImpl calls it only from the write leader, under
// DBImpl::mu_.
#ifndef ARENAKV_MVCC_DB_WRITE_DELAY_H_
#define ARENAKV_MVCC_DB_WRITE_DELAY_H_

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace arenakv {

class WriteDelay {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kMinDelay{1000};
  static constexpr std::uint64_t kMinRate = 16 << 10;  // bytes per second

  explicit WriteDelay(std::uint64_t max_rate) : max_rate_(max_rate), rate_(max_rate) {}

  // Level 0 holds `l0_files` files, at or above the slowdown trigger: adapts
  // the rate to the change since the last call. Returns true if it changed.
  bool Observe(int l0_files) {
    const std::uint64_t before = rate_;
    if (last_l0_files_ != 0 && l0_files > last_l0_files_) {
      rate_ = std::max(std::min(kMinRate, max_rate_), rate_ / 5 * 4);
    } else if (last_l0_files_ != 0 && l0_files < last_l0_files_) {
      rate_ = rate_ >= max_rate_ / 5 * 4 ? max_rate_ : rate_ / 4 * 5;
    }
    last_l0_files_ = l0_files;
    return rate_ != before;
  }

  // Level 0 is below the trigger: the next slowdown starts at the full rate,
  // owing nothing (a group let through early leaves its debt unpaid).
  void Reset() {
    rate_ = max_rate_;
    last_l0_files_ = 0;
    next_free_ = Clock::time_point{};
  }

  // Charges a group of `bytes` written at `now`; returns how long it waits
  // first (zero: it goes ahead).
  std::chrono::microseconds Charge(std::uint64_t bytes, Clock::time_point now) {
    next_free_ = std::max(next_free_, now);
    // In the clock's own unit (nanoseconds), so small writes are not free.
    const std::chrono::duration<double> cost(static_cast<double>(bytes) /
                                             static_cast<double>(rate_));
    next_free_ += std::chrono::duration_cast<Clock::duration>(cost);
    const auto debt = std::chrono::duration_cast<std::chrono::microseconds>(next_free_ - now);
    return debt >= kMinDelay ? debt : std::chrono::microseconds(0);
  }

  std::uint64_t rate() const { return rate_; }

 private:
  const std::uint64_t max_rate_;
  std::uint64_t rate_;
  int last_l0_files_ = 0;  // 0: not slowing down
  Clock::time_point next_free_{};
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_WRITE_DELAY_H_
