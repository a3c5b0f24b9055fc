// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for GedDevice: the event register, read-to-clear, the edge interrupt
// per Notify, the power button, undefined bits, and concurrent notifiers.
#include "devices/acpi/ged.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "devices/legacy/fake_interrupt_line.h"

namespace petrel {
namespace {

class GedTest : public ::testing::Test {
 protected:
  uint8_t In(uint64_t off = 0) {
    uint8_t v = 0xaa;
    ged_.Read(off, std::span<uint8_t>(&v, 1));
    return v;
  }
  std::shared_ptr<FakeInterruptLine> irq_ = std::make_shared<FakeInterruptLine>();
  GedDevice ged_{irq_};
};

TEST(GedConstants, MatchTheDsdtDecoding) {
  EXPECT_EQ(GedDevice::kEventCpuHotplug, 1u);
  EXPECT_EQ(GedDevice::kEventMemoryHotplug, 2u);
  EXPECT_EQ(GedDevice::kEventPciHotplug, 4u);
  EXPECT_EQ(GedDevice::kEventPowerButton, 8u);
  EXPECT_EQ(GedDevice::kEventMask, 0x0fu);
  EXPECT_EQ(GedDevice::kSize, 1u);
}

TEST_F(GedTest, IdleRegisterReadsZeroAndRaisesNothing) {
  EXPECT_EQ(In(), 0);
  EXPECT_TRUE(irq_->levels().empty());
}

TEST_F(GedTest, NotifyLatchesBitsAndPulsesTheLine) {
  ged_.Notify(GedDevice::kEventPciHotplug);
  EXPECT_EQ(irq_->levels(), (std::vector<bool>{true, false}));  // one edge, left low
  EXPECT_EQ(ged_.pending(), GedDevice::kEventPciHotplug);
  EXPECT_EQ(In(), GedDevice::kEventPciHotplug);
}

TEST_F(GedTest, ReadClearsTheRegister) {
  ged_.Notify(GedDevice::kEventCpuHotplug);
  EXPECT_EQ(In(), GedDevice::kEventCpuHotplug);
  EXPECT_EQ(In(), 0);
  EXPECT_EQ(ged_.pending(), 0u);
}

TEST_F(GedTest, NotificationsAccumulateUntilReadAndEachSendsAnEdge) {
  ged_.Notify(GedDevice::kEventCpuHotplug);
  ged_.Notify(GedDevice::kEventMemoryHotplug);
  ged_.Notify(GedDevice::kEventCpuHotplug);
  EXPECT_EQ(irq_->levels(), (std::vector<bool>{true, false, true, false, true, false}));
  EXPECT_EQ(In(), GedDevice::kEventCpuHotplug | GedDevice::kEventMemoryHotplug);
}

TEST_F(GedTest, PowerButtonIsBit3) {
  ged_.PressPowerButton();
  EXPECT_EQ(irq_->levels().size(), 2u);
  EXPECT_EQ(In(), 0x08);
}

TEST_F(GedTest, UndefinedBitsAreDroppedAndZeroNotifiesNothing) {
  ged_.Notify(0);
  ged_.Notify(0xfff0);
  EXPECT_TRUE(irq_->levels().empty());
  EXPECT_EQ(In(), 0);
  ged_.Notify(0x100 | GedDevice::kEventPowerButton);
  EXPECT_EQ(In(), GedDevice::kEventPowerButton);
}

TEST_F(GedTest, WritesAreIgnored) {
  ged_.Notify(GedDevice::kEventPciHotplug);
  const uint8_t v = 0xff;
  ged_.Write(0, std::span<const uint8_t>(&v, 1));
  EXPECT_EQ(ged_.pending(), GedDevice::kEventPciHotplug);
  const uint8_t zero = 0;
  ged_.Write(0, std::span<const uint8_t>(&zero, 1));
  EXPECT_EQ(In(), GedDevice::kEventPciHotplug);
}

TEST_F(GedTest, AccessesPastTheEndDoNotClear) {
  ged_.Notify(GedDevice::kEventMemoryHotplug);
  EXPECT_EQ(In(1), 0xff);
  uint8_t w[2] = {};
  ged_.Read(0, w);  // the bus never sends this; only byte 0 is the register
  EXPECT_EQ(w[0], GedDevice::kEventMemoryHotplug);
  EXPECT_EQ(w[1], 0xff);
}

TEST_F(GedTest, ConcurrentNotifiersAndReaderLoseNoEvent) {
  constexpr int kRounds = 2000;
  std::vector<std::thread> notifiers;
  for (uint32_t bit : {GedDevice::kEventCpuHotplug, GedDevice::kEventMemoryHotplug,
                       GedDevice::kEventPciHotplug, GedDevice::kEventPowerButton}) {
    notifiers.emplace_back([this, bit] {
      for (int i = 0; i < kRounds; ++i) ged_.Notify(bit);
    });
  }
  uint32_t seen = 0;
  for (int i = 0; i < kRounds; ++i) seen |= In();
  for (auto& t : notifiers) t.join();
  seen |= In();
  EXPECT_EQ(seen, GedDevice::kEventMask);
  EXPECT_EQ(irq_->levels().size(), 4u * kRounds * 2);
  EXPECT_FALSE(irq_->level());
}

}  // namespace
}  // namespace petrel
