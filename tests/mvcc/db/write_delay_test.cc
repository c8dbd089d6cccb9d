// SPDX-License-Identifier: Apache-2.0
// The rate write groups are held to at the level-0 slowdown trigger.
#include "mvcc/db/write_delay.h"

#include <gtest/gtest.h>

#include <chrono>

namespace arenakv {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::uint64_t kRate = 1 << 20;  // 1 MiB/s: 1 KiB costs 976 us

TEST(WriteDelayTest, GroupsGoAheadUntilTheDebtReachesAMillisecond) {
  WriteDelay delay(kRate);
  const auto t0 = WriteDelay::Clock::now();
  EXPECT_EQ(delay.Charge(512, t0), microseconds(0));
  EXPECT_EQ(delay.Charge(400, t0), microseconds(0)) << "869 us of debt";
  const microseconds wait = delay.Charge(200, t0);
  EXPECT_GE(wait, WriteDelay::kMinDelay);
  EXPECT_LE(wait, microseconds(1060)) << "1112 bytes at 1 MiB/s";
}

TEST(WriteDelayTest, TheDebtIsPaidByTimePassing) {
  WriteDelay delay(kRate);
  const auto t0 = WriteDelay::Clock::now();
  EXPECT_GT(delay.Charge(10 << 10, t0), milliseconds(9));
  EXPECT_EQ(delay.Charge(100, t0 + milliseconds(10)), microseconds(0)) << "10 KiB paid by then";
}

TEST(WriteDelayTest, IdleTimeBanksNoCredit) {
  WriteDelay delay(kRate);
  const auto t0 = WriteDelay::Clock::now();
  EXPECT_EQ(delay.Charge(100, t0), microseconds(0));
  // A minute idle does not let a 10 KiB burst through.
  EXPECT_GT(delay.Charge(10 << 10, t0 + std::chrono::minutes(1)), milliseconds(9));
}

TEST(WriteDelayTest, TheRateFallsWhileLevelZeroGrowsAndRisesWhileItShrinks) {
  WriteDelay delay(kRate);
  EXPECT_FALSE(delay.Observe(20)) << "the first look sets no trend";
  EXPECT_EQ(delay.rate(), kRate);
  EXPECT_TRUE(delay.Observe(21));
  EXPECT_EQ(delay.rate(), kRate / 5 * 4);
  EXPECT_FALSE(delay.Observe(21)) << "no change, no adaptation";
  EXPECT_TRUE(delay.Observe(22));
  EXPECT_EQ(delay.rate(), kRate / 5 * 4 / 5 * 4);
  EXPECT_TRUE(delay.Observe(20));
  EXPECT_EQ(delay.rate(), kRate / 5 * 4 / 5 * 4 / 4 * 5);
  EXPECT_TRUE(delay.Observe(19));
  EXPECT_EQ(delay.rate(), kRate) << "never above the option";
  EXPECT_FALSE(delay.Observe(18));
  EXPECT_EQ(delay.rate(), kRate);
}

TEST(WriteDelayTest, ResetForgivesTheDebt) {
  WriteDelay delay(kRate);
  const auto t0 = WriteDelay::Clock::now();
  EXPECT_GT(delay.Charge(10 << 20, t0), std::chrono::seconds(9));
  // Level 0 went back under the trigger before the group's turn: it went
  // ahead, and the next slowdown owes nothing for it.
  delay.Reset();
  EXPECT_EQ(delay.Charge(100, t0), microseconds(0));
}

TEST(WriteDelayTest, WritesSmallerThanAMicrosecondOfTheRateStillCount) {
  WriteDelay delay(16 << 20);  // 16 bytes take under a microsecond
  const auto t0 = WriteDelay::Clock::now();
  int waits = 0;
  for (int i = 0; i < 2000; ++i) waits += delay.Charge(16, t0) > microseconds(0) ? 1 : 0;
  EXPECT_GT(waits, 0) << "32,000 bytes at 16 MiB/s: 1.9 ms";
}

TEST(WriteDelayTest, TheRateHasAFloorAndResetRestoresIt) {
  WriteDelay delay(kRate);
  for (int files = 20; files < 100; ++files) delay.Observe(files);
  EXPECT_EQ(delay.rate(), WriteDelay::kMinRate);
  delay.Reset();
  EXPECT_EQ(delay.rate(), kRate);
  EXPECT_FALSE(delay.Observe(90)) << "a new slowdown starts with no trend";
  EXPECT_EQ(delay.rate(), kRate);
}

TEST(WriteDelayTest, AnOptionBelowTheFloorIsKept) {
  WriteDelay delay(1000);
  delay.Observe(20);
  delay.Observe(21);
  EXPECT_EQ(delay.rate(), 1000u);
  EXPECT_GE(delay.Charge(1000, WriteDelay::Clock::now()),
            std::chrono::seconds(1) - microseconds(1));
}

}  // namespace
}  // namespace arenakv
