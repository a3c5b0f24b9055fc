// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PmTimer: counts at known virtual times, the 32-bit wrap,
// byte-wise reads, ignored writes, and Save/Restore continuing the count.
#include "devices/acpi/pm_timer.h"

#include <gtest/gtest.h>

namespace petrel {
namespace {

uint32_t Read32(PmTimer& t) {
  uint8_t b[4] = {};
  t.Read(0, b);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

TEST(PmTimer, TicksForNsIsExactFloor) {
  EXPECT_EQ(PmTimer::TicksForNs(0), 0u);
  EXPECT_EQ(PmTimer::TicksForNs(279), 0u);  // one tick is 279.365 ns
  EXPECT_EQ(PmTimer::TicksForNs(280), 1u);
  EXPECT_EQ(PmTimer::TicksForNs(1'000'000'000ULL), 3'579'545u);
  EXPECT_EQ(PmTimer::TicksForNs(1'000'000ULL), 3'579u);  // 3579.545
  EXPECT_EQ(PmTimer::TicksForNs(1'500'000'000ULL), 5'369'317u);  // 5369317.5
  // No overflow at the top of the range: floor((2^64 - 1) * f / 1e9).
  EXPECT_EQ(PmTimer::TicksForNs(~0ULL), 66'030'950'515'326'656ULL);
}

TEST(PmTimer, CountsFromConstructionAtThePmFrequency) {
  VirtualClock clock(123'456'789);
  PmTimer t(clock);
  EXPECT_EQ(Read32(t), 0u);
  clock.Advance(1'000'000);  // 1 ms
  EXPECT_EQ(Read32(t), 3'579u);
  clock.Advance(999'000'000);  // 1 s
  EXPECT_EQ(Read32(t), 3'579'545u);
  EXPECT_EQ(t.Count(), 3'579'545u);
}

TEST(PmTimer, Uses32BitsAndWraps) {
  VirtualClock clock;
  PmTimer t(clock);
  clock.Advance(10ULL * 1'000'000'000ULL);  // 35795450 > 2^24: TMR_VAL_EXT
  EXPECT_EQ(Read32(t), 35'795'450u);
  clock.AdvanceTo(1200ULL * 1'000'000'000ULL);  // 4295454000 ticks
  EXPECT_EQ(Read32(t), 4'295'454'000ULL - (1ULL << 32));
  EXPECT_EQ(Read32(t), 486'704u);
}

TEST(PmTimer, ByteAndWordReadsReturnTheAddressedBytes) {
  VirtualClock clock;
  PmTimer t(clock);
  clock.Advance(10ULL * 1'000'000'000ULL);  // 35795450 = 0x022231FA
  uint8_t b = 0;
  t.Read(0, std::span<uint8_t>(&b, 1));
  EXPECT_EQ(b, 0xfa);
  t.Read(3, std::span<uint8_t>(&b, 1));
  EXPECT_EQ(b, 0x02);
  uint8_t w[2] = {};
  t.Read(1, w);
  EXPECT_EQ(w[0], 0x31);
  EXPECT_EQ(w[1], 0x22);
  uint8_t past[2] = {};
  t.Read(3, past);
  EXPECT_EQ(past[0], 0x02);
  EXPECT_EQ(past[1], 0xff);
}

TEST(PmTimer, WritesAreIgnored) {
  VirtualClock clock;
  PmTimer t(clock);
  clock.Advance(2'000'000'000ULL);
  const uint8_t zeros[4] = {};
  t.Write(0, zeros);
  EXPECT_EQ(Read32(t), 2u * 3'579'545u);
}

TEST(PmTimer, RestoreContinuesFromTheSavedCountOnAnotherClock) {
  VirtualClock a(5'000);
  PmTimer t(a);
  a.Advance(3'000'000'000ULL);
  const auto saved = t.Save();
  EXPECT_EQ(saved.elapsed_ns, 3'000'000'000ULL);

  VirtualClock b(1);  // a clock "earlier" than the elapsed time
  PmTimer r(b);
  ASSERT_TRUE(r.Restore(saved).ok());
  EXPECT_EQ(r.Save(), saved);
  EXPECT_EQ(Read32(r), Read32(t));
  a.Advance(777'777'777);
  b.Advance(777'777'777);
  EXPECT_EQ(Read32(r), Read32(t));
  EXPECT_EQ(Read32(r), PmTimer::TicksForNs(3'777'777'777ULL));
}

TEST(PmTimer, RestoreRejectsElapsedAboveTheCap) {
  VirtualClock clock;
  PmTimer t(clock);
  clock.Advance(42);
  EXPECT_FALSE(t.Restore(PmTimer::State{PmTimer::kMaxElapsedNs + 1}).ok());
  EXPECT_EQ(t.Save().elapsed_ns, 42u);
  EXPECT_TRUE(t.Restore(PmTimer::State{PmTimer::kMaxElapsedNs}).ok());
}

}  // namespace
}  // namespace petrel
