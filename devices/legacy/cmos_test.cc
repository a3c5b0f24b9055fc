// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for Cmos: RTC time in BCD/binary and 12/24-hour modes for a known
// epoch time, registers A-D, setting the time, memory-size bytes, and the
// civil-time arithmetic underneath; the update-ended, alarm and periodic
// interrupts (register B enables, register C flags, the IRQ line) on virtual
// time with a DeterministicEventLoop.
#include "devices/legacy/cmos.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>

#include "core/event/deterministic_event_loop.h"
#include "devices/legacy/fake_interrupt_line.h"

namespace petrel {
namespace {

constexpr uint64_t kNs = 1'000'000'000ULL;
constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;
// 2024-02-29 13:45:07 UTC, a Thursday.
constexpr uint64_t kLeapDayNs = 1709214307ULL * kNs + 500'000'000ULL;

// The guest's view: index port (offset 0), then data port (offset 1).
void CmosOut(Cmos& cmos, uint64_t off, uint8_t v) {
  cmos.Write(off, std::span<const uint8_t>(&v, 1));
}
uint8_t CmosGet(Cmos& cmos, uint8_t reg) {
  CmosOut(cmos, 0, reg);
  uint8_t v = 0;
  cmos.Read(1, std::span<uint8_t>(&v, 1));
  return v;
}
void CmosSet(Cmos& cmos, uint8_t reg, uint8_t v) {
  CmosOut(cmos, 0, reg);
  CmosOut(cmos, 1, v);
}

class CmosTest : public ::testing::Test {
 protected:
  explicit CmosTest(uint64_t below = 512 * kMiB, uint64_t above = 0)
      : clock_(kLeapDayNs), cmos_(below, above, clock_) {}
  uint8_t Get(uint8_t reg) { return CmosGet(cmos_, reg); }
  void Set(uint8_t reg, uint8_t v) { CmosSet(cmos_, reg, v); }
  void Out(uint64_t off, uint8_t v) { CmosOut(cmos_, off, v); }
  std::array<uint8_t, 8> Time() {  // sec min hour dow day month year century
    return {Get(0x00), Get(0x02), Get(0x04), Get(0x06), Get(0x07), Get(0x08), Get(0x09), Get(0x32)};
  }

  VirtualClock clock_;
  Cmos cmos_;
};

TEST_F(CmosTest, TimeInBcd24HourByDefault) {
  EXPECT_EQ(Get(0x0b), 0x02);
  EXPECT_EQ(Time(), (std::array<uint8_t, 8>{0x07, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20}));
}

TEST_F(CmosTest, TimeInBinary) {
  Set(0x0b, 0x06);  // DM | 24/12
  EXPECT_EQ(Time(), (std::array<uint8_t, 8>{7, 45, 13, 5, 29, 2, 24, 20}));
}

TEST_F(CmosTest, TwelveHourModeSetsPmBit) {
  Set(0x0b, 0x00);                                   // BCD, 12-hour
  EXPECT_EQ(Get(0x04), 0x81);                        // 1 PM
  clock_.Advance((10 * 3600 + 14 * 60 + 53) * kNs);  // 2024-03-01 00:00:00
  EXPECT_EQ(Get(0x04), 0x12);                        // 12 AM
  EXPECT_EQ(Get(0x07), 0x01);
  EXPECT_EQ(Get(0x08), 0x03);
  EXPECT_EQ(Get(0x06), 0x06);  // Friday
  clock_.Advance(12 * 3600 * kNs);
  EXPECT_EQ(Get(0x04), 0x92);  // 12 PM
  Set(0x0b, 0x04);             // binary, 12-hour
  EXPECT_EQ(Get(0x04), 0x80 | 12);
}

TEST_F(CmosTest, TimeFollowsTheClock) {
  clock_.Advance(53 * kNs);
  EXPECT_EQ(Get(0x00), 0x00);
  EXPECT_EQ(Get(0x02), 0x46);
}

TEST_F(CmosTest, StatusRegisters) {
  EXPECT_EQ(Get(0x0a), 0x26);
  Set(0x0a, 0xff);
  EXPECT_EQ(Get(0x0a), 0x7f);  // UIP is read-only and always 0
  EXPECT_EQ(Get(0x0c), 0x00);
  Set(0x0c, 0xff);
  EXPECT_EQ(Get(0x0c), 0x00);
  EXPECT_EQ(Get(0x0d), 0x80);  // VRT
  Set(0x0d, 0x00);
  EXPECT_EQ(Get(0x0d), 0x80);
}

TEST_F(CmosTest, SetBitFreezesTimeAndWritesTakeEffectOnClear) {
  Set(0x0b, 0x82 | 0x10);      // SET | UIE | 24h
  EXPECT_EQ(Get(0x0b), 0x82);  // SET clears UIE
  Set(0x32, 0x20);
  Set(0x09, 0x30);
  Set(0x08, 0x03);
  Set(0x07, 0x01);
  Set(0x04, 0x00);
  Set(0x02, 0x00);
  Set(0x00, 0x00);
  clock_.Advance(10 * kNs);
  EXPECT_EQ(Time(), (std::array<uint8_t, 8>{0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x30, 0x20}));
  Set(0x0b, 0x02);
  clock_.Advance(5 * kNs);
  EXPECT_EQ(Time(), (std::array<uint8_t, 8>{0x05, 0x00, 0x00, 0x06, 0x01, 0x03, 0x30, 0x20}));
  EXPECT_EQ(cmos_.Save().rtc_offset_s, 1898553600LL - 1709214307LL - 10);
}

TEST_F(CmosTest, WritesWithoutSetApplyAtOnce) {
  Set(0x02, 0x10);
  EXPECT_EQ(Get(0x02), 0x10);
  EXPECT_EQ(Get(0x04), 0x13);
  Set(0x32, 0x21);
  EXPECT_EQ(Get(0x32), 0x21);
  EXPECT_EQ(Get(0x09), 0x24);
}

TEST_F(CmosTest, TwelveHourWrites) {
  Set(0x0b, 0x80);  // SET, 12-hour, BCD
  Set(0x04, 0x92);  // 12 PM
  Set(0x0b, 0x82);
  EXPECT_EQ(Get(0x04), 0x12);
  Set(0x0b, 0x80);
  Set(0x04, 0x12);  // 12 AM
  Set(0x0b, 0x82);
  EXPECT_EQ(Get(0x04), 0x00);
}

TEST_F(CmosTest, InvalidTimeWritesAreIgnored) {
  Set(0x02, 0x60);  // minute 60
  Set(0x02, 0x1a);  // not BCD
  Set(0x08, 0x13);  // month 13
  Set(0x07, 0x00);  // day 0
  Set(0x04, 0x24);  // hour 24
  Set(0x06, 0x01);  // day of week: derived, ignored
  EXPECT_EQ(Time(), (std::array<uint8_t, 8>{0x07, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20}));
  EXPECT_EQ(cmos_.Save().rtc_offset_s, 0);
}

TEST_F(CmosTest, DayPastMonthEndRollsOver) {
  Set(0x07, 0x31);  // Feb 31 2024 -> Mar 2
  EXPECT_EQ(Get(0x08), 0x03);
  EXPECT_EQ(Get(0x07), 0x02);
}

TEST_F(CmosTest, IndexMasksNmiBitAndRamHoldsBytes) {
  Set(0x8f, 0x5a);
  EXPECT_EQ(Get(0x0f), 0x5a);
  Set(0x7f, 0xa5);
  EXPECT_EQ(Get(0xff), 0xa5);
  uint8_t v = 0;
  cmos_.Read(0, std::span<uint8_t>(&v, 1));
  EXPECT_EQ(v, 0xff);  // index port is write-only
  std::array<uint8_t, 4> buf{};
  cmos_.Read(1, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 4>{0xa5, 0xff, 0xff, 0xff}));
}

TEST_F(CmosTest, MemoryBytesFor512MiB) {
  EXPECT_EQ(Get(0x15), 0x80);  // 640 KiB base memory
  EXPECT_EQ(Get(0x16), 0x02);
  EXPECT_EQ(Get(0x17), 0xff);  // 511 MiB in KiB: capped at 0xffff
  EXPECT_EQ(Get(0x18), 0xff);
  EXPECT_EQ(Get(0x30), 0xff);
  EXPECT_EQ(Get(0x31), 0xff);
  EXPECT_EQ(Get(0x34), 0x00);  // (512 - 16) MiB / 64 KiB = 0x1f00
  EXPECT_EQ(Get(0x35), 0x1f);
  EXPECT_EQ(Get(0x5b), 0x00);
  EXPECT_EQ(Get(0x5c), 0x00);
  EXPECT_EQ(Get(0x5d), 0x00);
}

TEST_F(CmosTest, AtChecksumCoversBytes0x10To0x2d) {
  // 0x15-0x18 (memory sizes) are inside the range: 0x80+0x02+0xff+0xff.
  EXPECT_EQ(Get(0x2e), 0x02);
  EXPECT_EQ(Get(0x2f), 0x80);
  uint16_t sum = 0;
  for (uint8_t reg = 0x10; reg <= 0x2d; ++reg) sum = static_cast<uint16_t>(sum + Get(reg));
  EXPECT_EQ(sum, (Get(0x2e) << 8) | Get(0x2f));
}

class Cmos6GiBTest : public CmosTest {
 protected:
  Cmos6GiBTest() : CmosTest(3 * kGiB, 3 * kGiB) {}  // 6 GiB split by the 3 GiB hole
};

TEST_F(Cmos6GiBTest, MemoryBytesFor6GiB) {
  EXPECT_EQ(Get(0x34), 0x00);  // (3072 - 16) MiB / 64 KiB = 0xbf00
  EXPECT_EQ(Get(0x35), 0xbf);
  EXPECT_EQ(Get(0x5b), 0x00);  // 3 GiB / 64 KiB = 0xc000
  EXPECT_EQ(Get(0x5c), 0xc0);
  EXPECT_EQ(Get(0x5d), 0x00);
}

TEST(CmosMemoryTest, SmallAndHugeMemoryAreClampedSensibly) {
  VirtualClock clock;
  Cmos small(8 * kMiB, 0, clock);
  Cmos huge(3 * kGiB, 4096 * kGiB, clock);
  auto get = [](Cmos& c, uint8_t reg) {
    c.Write(0, std::span<const uint8_t>(&reg, 1));
    uint8_t v = 0;
    c.Read(1, std::span<uint8_t>(&v, 1));
    return v;
  };
  EXPECT_EQ(get(small, 0x17), 0x00);  // 7 MiB = 7168 KiB = 0x1c00
  EXPECT_EQ(get(small, 0x18), 0x1c);
  EXPECT_EQ(get(small, 0x34), 0x00);  // below 16 MiB
  EXPECT_EQ(get(small, 0x35), 0x00);
  EXPECT_EQ(get(huge, 0x5b), 0xff);  // 4 TiB / 64 KiB > 24 bits: capped
  EXPECT_EQ(get(huge, 0x5c), 0xff);
  EXPECT_EQ(get(huge, 0x5d), 0xff);
}

TEST(CivilTimeTest, KnownDatesAndRoundTrip) {
  EXPECT_EQ(CivilFromSeconds(0), (CivilTime{1970, 1, 1, 0, 0, 0}));
  EXPECT_EQ(CivilFromSeconds(946684799), (CivilTime{1999, 12, 31, 23, 59, 59}));
  EXPECT_EQ(CivilFromSeconds(-1), (CivilTime{1969, 12, 31, 23, 59, 59}));
  EXPECT_EQ(DayOfWeek(CivilTime{2024, 2, 29, 0, 0, 0}), 5);  // Thursday
  EXPECT_EQ(DayOfWeek(CivilTime{1970, 1, 4, 0, 0, 0}), 1);   // Sunday
  for (int64_t t = -5'000'000'000LL; t < 300'000'000'000LL; t += 7'777'777) {
    ASSERT_EQ(SecondsFromCivil(CivilFromSeconds(t)), t);
  }
}

// The interrupt sources, on virtual time: the wall clock and the loop's clock
// are the same VirtualClock, starting at 13:45:07.5.
class CmosIrqTest : public ::testing::Test {
 protected:
  CmosIrqTest()
      : clock_(kLeapDayNs),
        loop_(clock_),
        irq_(std::make_shared<FakeInterruptLine>()),
        cmos_(512 * kMiB, 0, clock_, CmosInterrupts{irq_, &loop_, &clock_}) {}
  uint8_t Get(uint8_t reg) { return CmosGet(cmos_, reg); }
  void Set(uint8_t reg, uint8_t v) { CmosSet(cmos_, reg, v); }
  void Out(uint64_t off, uint8_t v) { CmosOut(cmos_, off, v); }
  void RunFor(uint64_t ns) { loop_.RunUntil(clock_.NowNs() + ns); }
  // Rising edges of the line so far.
  int Rises() const {
    int n = 0;
    bool prev = false;
    for (bool l : irq_->levels()) {
      if (l && !prev) ++n;
      prev = l;
    }
    return n;
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_;
  std::shared_ptr<FakeInterruptLine> irq_;
  Cmos cmos_;
};

TEST_F(CmosIrqTest, NothingEnabledNoTimersNoFlags) {
  RunFor(5 * kNs);
  EXPECT_EQ(loop_.pending(), 0u);
  EXPECT_EQ(Get(0x0c), 0x00);
  EXPECT_TRUE(irq_->levels().empty());
}

TEST_F(CmosIrqTest, UpdateEndedInterruptAtEachSecond) {
  Set(0x0b, 0x12);  // UIE | 24h
  RunFor(kNs / 2 - 1);
  EXPECT_FALSE(irq_->level());  // 13:45:07.999999999
  RunFor(1);
  EXPECT_TRUE(irq_->level());   // 13:45:08: the update ended
  EXPECT_EQ(Get(0x0c), 0x90);   // IRQF | UF
  EXPECT_FALSE(irq_->level());  // reading C lowers the line
  EXPECT_EQ(Get(0x0c), 0x00);   // and clears the flags
  RunFor(3 * kNs);
  EXPECT_EQ(Rises(), 2);  // the line stays high until C is read
  EXPECT_EQ(Get(0x0c), 0x90);
  EXPECT_EQ(Get(0x00), 0x11);  // 13:45:11
}

TEST_F(CmosIrqTest, AlarmInterruptWhenTimeMatches) {
  Set(0x01, 0x10);  // 13:45:10 (BCD)
  Set(0x03, 0x45);
  Set(0x05, 0x13);
  Set(0x0b, 0x22);  // AIE | 24h
  RunFor(2 * kNs);  // 13:45:09.5
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(Get(0x0c), 0x10);  // UF without UIE: no IRQF
  RunFor(kNs);                 // 13:45:10.5
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(Get(0x0c), 0xb0);  // IRQF | AF | UF
  EXPECT_FALSE(irq_->level());
  RunFor(5 * kNs);
  EXPECT_FALSE(irq_->level());  // once a day only
  EXPECT_EQ(Rises(), 1);
}

TEST_F(CmosIrqTest, AlarmDontCareMatchesEverySecondAndFollowsBinary12Hour) {
  Set(0x0b, 0x04);  // binary, 12-hour
  Set(0x01, 0xc0);  // any second
  Set(0x03, 46);    // 1:46 PM
  Set(0x05, 0x81);
  Set(0x0b, 0x24);   // AIE | binary, 12-hour
  RunFor(52 * kNs);  // 13:45:59.5
  EXPECT_EQ(Rises(), 0);
  RunFor(kNs);  // 13:46:00.5
  EXPECT_EQ(Rises(), 1);
  EXPECT_EQ(Get(0x0c), 0xb0);
  RunFor(kNs);
  EXPECT_EQ(Rises(), 2);
}

TEST_F(CmosIrqTest, PeriodicInterruptAtTheRateOfRegisterA) {
  Set(0x0a, 0x2f);  // 32.768 kHz time base, RS = 15: 2 Hz
  Set(0x0b, 0x42);  // PIE | 24h
  RunFor(kNs / 2 - 1);
  EXPECT_FALSE(irq_->level());
  RunFor(1);
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(Get(0x0c), 0xc0);  // IRQF | PF
  for (int i = 0; i < 3; ++i) {
    RunFor(kNs / 2);
    EXPECT_EQ(Get(0x0c), 0xc0);
  }
  EXPECT_EQ(Rises(), 4);
  Set(0x0a, 0x23);  // RS = 3: 8192 Hz, a period of 122070.3125 ns
  RunFor(kNs / 8192 * 2 + 1);
  EXPECT_EQ(Rises(), 5);  // the flag is set twice, the line rises once
  Set(0x0a, 0x70);        // divider chain reset: stops
  Get(0x0c);
  RunFor(kNs);
  EXPECT_EQ(Get(0x0c), 0x00);
  EXPECT_EQ(loop_.pending(), 0u);
}

TEST_F(CmosIrqTest, EnablingWithAFlagPendingRaisesTheLineAtOnce) {
  Set(0x0b, 0x12);  // UIE
  RunFor(kNs);
  EXPECT_TRUE(irq_->level());
  Set(0x0b, 0x02);  // UIE off: IRQF clears, UF stays
  EXPECT_FALSE(irq_->level());
  Set(0x0b, 0x12);
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(Get(0x0c), 0x90);
}

TEST_F(CmosIrqTest, DisablingStopsTheTimers) {
  Set(0x0b, 0x72);  // PIE | AIE | UIE
  RunFor(kNs);
  EXPECT_GT(loop_.pending(), 0u);
  Set(0x0b, 0x02);
  Get(0x0c);
  EXPECT_EQ(loop_.pending(), 0u);  // both timers removed
  RunFor(5 * kNs);
  EXPECT_EQ(Get(0x0c), 0x00);
}

TEST_F(CmosIrqTest, SetBitInhibitsUpdatesAndClearsUie) {
  Set(0x01, 0xc0);
  Set(0x03, 0xc0);
  Set(0x05, 0xc0);  // alarm every second
  Set(0x0b, 0xb2);  // SET | AIE | UIE: UIE is cleared by SET
  EXPECT_EQ(Get(0x0b), 0xa2);
  RunFor(3 * kNs);
  EXPECT_EQ(Get(0x0c), 0x00);  // no update while SET
  Set(0x0b, 0x22);
  RunFor(kNs);
  EXPECT_EQ(Get(0x0c), 0xb0);
}

TEST_F(CmosIrqTest, FlagsSurviveSaveAndRestoreAndTimersAreRearmed) {
  Set(0x0b, 0x12);
  RunFor(kNs);
  const Cmos::State saved = cmos_.Save();
  EXPECT_EQ(saved.flags, 0x90);
  VirtualClock clock2(clock_.NowNs());
  DeterministicEventLoop loop2(clock2);
  auto irq2 = std::make_shared<FakeInterruptLine>();
  Cmos copy(512 * kMiB, 0, clock2, CmosInterrupts{irq2, &loop2, &clock2});
  ASSERT_TRUE(copy.Restore(saved).ok());
  EXPECT_TRUE(irq2->level());  // re-driven
  EXPECT_EQ(copy.Save(), saved);
  EXPECT_EQ(loop2.pending(), 1u);  // the update timer
  Cmos::State bad = saved;
  bad.flags = 0x10;  // UF with UIE but no IRQF
  EXPECT_FALSE(copy.Restore(bad).ok());
  bad.flags = 0x91;
  EXPECT_FALSE(copy.Restore(bad).ok());
}

TEST(CmosNoIrqTest, WithoutWiringNoFlagsAndNoTimers) {
  VirtualClock clock(kLeapDayNs);
  Cmos cmos(512 * kMiB, 0, clock);
  uint8_t v = 0x0b;
  cmos.Write(0, std::span<const uint8_t>(&v, 1));
  v = 0x72;
  cmos.Write(1, std::span<const uint8_t>(&v, 1));
  clock.Advance(5 * kNs);
  v = 0x0c;
  cmos.Write(0, std::span<const uint8_t>(&v, 1));
  cmos.Read(1, std::span<uint8_t>(&v, 1));
  EXPECT_EQ(v, 0x00);
}

}  // namespace
}  // namespace petrel
