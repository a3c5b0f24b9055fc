// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for DebugPort: recorded events, range names, the log line format,
// the event cap and reads.
#include "devices/legacy/debug_port.h"

#include <gtest/gtest.h>

#include "core/base/log.h"

namespace petrel {
namespace {

class DebugPortTest : public ::testing::Test {
 protected:
  DebugPortTest() : clock_(5'000'000'000ULL), port_(clock_) {}
  void Out(uint8_t v) { port_.Write(0, std::span<const uint8_t>(&v, 1)); }
  uint8_t In() {
    uint8_t v = 0;
    port_.Read(0, std::span<uint8_t>(&v, 1));
    return v;
  }

  VirtualClock clock_;
  DebugPort port_;
};

TEST_F(DebugPortTest, RecordsCodesWithTimeSinceConstruction) {
  clock_.Advance(1'500'000);
  Out(0x40);
  clock_.Advance(2'000'000'000);
  Out(0x41);
  const auto events = port_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (DebugPort::Event{0x40, 1'500'000}));
  EXPECT_EQ(events[1], (DebugPort::Event{0x41, 2'001'500'000}));
}

TEST_F(DebugPortTest, LogsRangeNameCodeAndMicroseconds) {
  log::SetVerbosity(1);
  log::CaptureForTest(true);
  clock_.Advance(1'234'567'890);
  Out(0x41);
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  log::SetVerbosity(0);
  EXPECT_NE(logged.find("[Debug I/O port: Kernel code 0x41] 1.234567 seconds"), std::string::npos)
      << logged;
}

TEST(DebugPortRangeTest, RangeNamesFollowCloudHypervisor) {
  EXPECT_EQ(DebugPort::RangeName(0x00), "Firmware");
  EXPECT_EQ(DebugPort::RangeName(0x1f), "Firmware");
  EXPECT_EQ(DebugPort::RangeName(0x20), "Bootloader");
  EXPECT_EQ(DebugPort::RangeName(0x3f), "Bootloader");
  EXPECT_EQ(DebugPort::RangeName(0x40), "Kernel");
  EXPECT_EQ(DebugPort::RangeName(0x5f), "Kernel");
  EXPECT_EQ(DebugPort::RangeName(0x60), "Userspace");
  EXPECT_EQ(DebugPort::RangeName(0x7f), "Userspace");
  EXPECT_EQ(DebugPort::RangeName(0x80), "Custom");
  EXPECT_EQ(DebugPort::RangeName(0xff), "Custom");
}

TEST_F(DebugPortTest, ReadsReturnLastWrittenValue) {
  EXPECT_EQ(In(), 0x00);
  Out(0x7e);
  EXPECT_EQ(In(), 0x7e);
  std::array<uint8_t, 2> buf{};
  port_.Read(0, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 2>{0x7e, 0xff}));
  port_.Read(1, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 2>{0xff, 0xff}));
}

TEST_F(DebugPortTest, OutOfRangeWritesAreIgnored) {
  const uint8_t v = 0x10;
  port_.Write(1, std::span<const uint8_t>(&v, 1));
  port_.Write(0, std::span<const uint8_t>());
  EXPECT_TRUE(port_.events().empty());
  EXPECT_EQ(In(), 0x00);
}

TEST_F(DebugPortTest, EventsAreCappedAndOverflowCounted) {
  for (size_t i = 0; i < DebugPort::kMaxEvents + 10; ++i) Out(static_cast<uint8_t>(i));
  EXPECT_EQ(port_.events().size(), DebugPort::kMaxEvents);
  EXPECT_EQ(port_.dropped_events(), 10u);
  EXPECT_EQ(In(), static_cast<uint8_t>(DebugPort::kMaxEvents + 9));  // still tracks the last code
}

}  // namespace
}  // namespace petrel
