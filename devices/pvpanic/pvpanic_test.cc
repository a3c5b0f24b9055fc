// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PvpanicDevice on its own: identity, BAR, the register, the events handed
// to the sink, the rate limit, and its state (the shared snapshot suite).
#include "devices/pvpanic/pvpanic.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "devices/testing/device_state_suite.h"

namespace petrel {
namespace {

size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class PvpanicTest : public ::testing::Test {
 protected:
  PvpanicTest()
      : dev(clock, [this](std::string_view e) { events.emplace_back(e); }) {}
  uint8_t ReadByte(uint64_t offset) {
    uint8_t b = 0xee;
    dev.BarRead(0, offset, std::span(&b, 1));
    return b;
  }
  void WriteByte(uint64_t offset, uint8_t value) { dev.BarWrite(0, offset, std::span(&value, 1)); }

  VirtualClock clock{1000};
  std::vector<std::string> events;
  PvpanicDevice dev;
};

TEST_F(PvpanicTest, ConfigSpaceHasQemusPvpanicPciIdentity) {
  PciConfigSpace& c = dev.config();
  EXPECT_EQ(c.Read(kPciVendorId, 2), 0x1b36u);
  EXPECT_EQ(c.Read(kPciDeviceId, 2), 0x0011u);
  EXPECT_EQ(c.Read(kPciRevisionId, 1), 1u);
  EXPECT_EQ(c.Read(kPciClassCode + 2, 1), 0x08u);  // base system peripheral
  EXPECT_EQ(c.Read(kPciClassCode + 1, 1), 0x80u);  // other
  EXPECT_EQ(c.Read(kPciClassCode, 1), 0x00u);
  EXPECT_EQ(c.Read(kPciHeaderType, 1), 0x00u);
  EXPECT_EQ(c.Read(kPciInterruptPin, 1), 0u);
  EXPECT_EQ(c.Read(kPciStatus, 2) & kPciStatusCapabilities, 0u);
}

TEST_F(PvpanicTest, Bar0IsA16ByteMmio32Bar) {
  PciConfigSpace& c = dev.config();
  EXPECT_EQ(c.BarSize(0), PvpanicDevice::kBarSize);
  EXPECT_EQ(c.BarKindAt(0), PciBarKind::kMmio32);
  for (int i = 1; i < kPciBarCount; ++i) EXPECT_FALSE(c.BarSize(i).has_value()) << i;
  // §6.2.5.1 sizing: all ones in, the size mask out.
  c.Write(kPciBar0, 4, 0xffffffff);
  EXPECT_EQ(c.Read(kPciBar0, 4), 0xfffffff0u);
}

TEST_F(PvpanicTest, RegisterReadsTheSupportedEvents) {
  EXPECT_EQ(ReadByte(0), 0x03);
  EXPECT_EQ(ReadByte(1), 0x03);
  EXPECT_EQ(ReadByte(2), 0x00);
  EXPECT_EQ(ReadByte(15), 0x00);
  uint8_t wide[4] = {0xee, 0xee, 0xee, 0xee};
  dev.BarRead(0, 0, wide);
  EXPECT_EQ(wide[0], 0x03);
  EXPECT_EQ(wide[1], 0);
  EXPECT_EQ(wide[3], 0);
  EXPECT_TRUE(events.empty());
}

TEST_F(PvpanicTest, EachEventReachesTheSinkWithChsName) {
  WriteByte(0, PvpanicDevice::kPanicked);
  WriteByte(0, PvpanicDevice::kCrashLoaded);
  EXPECT_EQ(events, (std::vector<std::string>{"panic", "crash_loaded"}));
  EXPECT_EQ(dev.event_count("panic"), 1u);
  EXPECT_EQ(dev.event_count("crash_loaded"), 1u);
}

TEST_F(PvpanicTest, UnknownValuesAreChsUnknownEventAndLogged) {
  EXPECT_EQ(PvpanicDevice::EventName(0), "unknown_event");
  EXPECT_EQ(PvpanicDevice::EventName(3), "unknown_event");
  EXPECT_EQ(PvpanicDevice::EventName(0x84), "unknown_event");
  log::CaptureForTest(true);
  WriteByte(0, 0x84);
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  EXPECT_EQ(events, (std::vector<std::string>{"unknown_event"}));
  EXPECT_NE(logged.find("pvpanic: guest event unknown_event (0x84)"), std::string::npos) << logged;
}

TEST_F(PvpanicTest, WritesOutsideTheRegisterAreIgnored) {
  WriteByte(2, PvpanicDevice::kPanicked);
  WriteByte(15, PvpanicDevice::kPanicked);
  dev.BarWrite(1, 0, std::vector<uint8_t>{1});
  dev.BarWrite(0, 0, std::span<const uint8_t>{});
  EXPECT_TRUE(events.empty());
  WriteByte(1, PvpanicDevice::kPanicked);  // CH: any offset of its 2 bytes
  EXPECT_EQ(events, (std::vector<std::string>{"panic"}));
}

TEST_F(PvpanicTest, FloodIsCountedNotLoggedEachTime) {
  log::CaptureForTest(true);
  for (int i = 0; i < 10000; ++i) WriteByte(0, PvpanicDevice::kPanicked);
  std::string logged = log::TakeCaptured();
  EXPECT_EQ(CountOf(logged, "pvpanic:"), 1u) << logged;
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(dev.event_count("panic"), 10000u);
  // Another event name has its own budget.
  WriteByte(0, PvpanicDevice::kCrashLoaded);
  EXPECT_EQ(events.size(), 2u);
  // After the interval the next one is reported with what was suppressed.
  clock.Advance(PvpanicDevice::kReportIntervalNs);
  WriteByte(0, PvpanicDevice::kPanicked);
  logged = log::TakeCaptured();
  log::CaptureForTest(false);
  EXPECT_NE(logged.find("guest event panic (0x01); 9999 more suppressed"), std::string::npos)
      << logged;
  EXPECT_EQ(events, (std::vector<std::string>{"panic", "crash_loaded", "panic"}));
}

TEST_F(PvpanicTest, NoSinkIsFine) {
  PvpanicDevice bare(clock, nullptr);
  uint8_t v = PvpanicDevice::kPanicked;
  bare.BarWrite(0, 0, std::span(&v, 1));
  EXPECT_EQ(bare.event_count("panic"), 1u);
}

struct PvpanicTraits {
  VirtualClock clock;
  std::unique_ptr<PvpanicDevice> Make() { return std::make_unique<PvpanicDevice>(clock, nullptr); }
  void Drive(PvpanicDevice& d) {
    d.config().Write(kPciBar0, 4, 0xc0001000);
    d.config().Write(kPciCommand, 2, kPciCommandMemorySpace);
    d.config().Write(kPciInterruptLine, 1, 11);
  }
  std::vector<uint32_t> Observe(PvpanicDevice& d) {
    std::vector<uint32_t> v;
    for (uint16_t off = 0; off < PciConfigSpace::kSize; off += 4) v.push_back(d.config().Read(off, 4));
    v.push_back(static_cast<uint32_t>(d.config().DecodedBarAddress(0).value_or(7)));
    uint8_t b = 0;
    d.BarRead(0, 0, std::span(&b, 1));
    v.push_back(b);
    return v;
  }
  std::vector<PciConfigSpace::State> Invalid(const PciConfigSpace::State& good) {
    std::vector<PciConfigSpace::State> bad(2, good);
    bad[0].regs[kPciDeviceId] ^= 1;
    bad[1].regs[kPciBar0] |= 0x8;  // prefetchable bit
    return bad;
  }
};

using PvpanicStateTraits = ::testing::Types<PvpanicTraits>;

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Pvpanic, DeviceStateTest, PvpanicStateTraits);
}  // namespace testing
}  // namespace petrel
