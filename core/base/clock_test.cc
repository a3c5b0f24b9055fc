// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MonotonicClock, RealtimeClock and VirtualClock.
#include "core/base/clock.h"

#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace petrel {
namespace {

TEST(MonotonicClockTest, NeverGoesBackwardsAndAdvances) {
  MonotonicClock clock;
  uint64_t prev = clock.NowNs();
  for (int i = 0; i < 1000; ++i) {
    uint64_t now = clock.NowNs();
    ASSERT_GE(now, prev);
    prev = now;
  }
  uint64_t before = clock.NowNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_GE(clock.NowNs() - before, 2'000'000u);
}

TEST(RealtimeClockTest, IsNanosecondsSinceTheEpoch) {
  RealtimeClock clock;
  uint64_t secs = clock.NowNs() / 1'000'000'000ULL;
  uint64_t libc = static_cast<uint64_t>(std::time(nullptr));
  EXPECT_LE(secs > libc ? secs - libc : libc - secs, 2u);
}

TEST(VirtualClockTest, MovesOnlyWhenTold) {
  VirtualClock clock(500);
  EXPECT_EQ(clock.NowNs(), 500u);
  EXPECT_EQ(clock.NowNs(), 500u);
  clock.Advance(25);
  EXPECT_EQ(clock.NowNs(), 525u);
  const Clock& as_clock = clock;  // usable through the interface
  EXPECT_EQ(as_clock.NowNs(), 525u);
}

TEST(VirtualClockTest, AdvanceToNeverGoesBackwards) {
  VirtualClock clock;
  EXPECT_EQ(clock.NowNs(), 0u);
  clock.AdvanceTo(100);
  EXPECT_EQ(clock.NowNs(), 100u);
  clock.AdvanceTo(50);
  EXPECT_EQ(clock.NowNs(), 100u);
  clock.AdvanceTo(100);
  EXPECT_EQ(clock.NowNs(), 100u);
}

TEST(VirtualClockTest, ConcurrentAdvanceToKeepsTheMaximum) {
  VirtualClock clock;
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t)
    threads.emplace_back([&clock, t] {
      for (uint64_t i = 0; i < 10000; ++i) clock.AdvanceTo(i * 4 + t);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.NowNs(), 9999u * 4 + 3);
}

}  // namespace
}  // namespace petrel
