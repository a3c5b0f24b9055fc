// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioapic delivery: the MSI each entry composes, edge and level pins,
// remote IRR and EOIs (register and broadcast), masking and unmasking, the
// reserved delivery modes, route failures, and the pin InterruptLines.
#include <gtest/gtest.h>

#include "devices/ioapic/ioapic.h"
#include "devices/ioapic/ioapic_test_util.h"

namespace petrel {
namespace {

using namespace ioapic;       // NOLINT
using namespace ioapic_test;  // NOLINT

class IoapicDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_ = MakeIoapic(&log_);
    ASSERT_NE(io_, nullptr);
  }
  size_t Delivered() const { return log_.deliveries.size(); }
  void WriteEoi(uint8_t vector) { Write32(*io_, kEoiOffset, vector); }
  bool RemoteIrr(uint32_t pin) { return (ReadEntry(*io_, pin) & kRteRemoteIrr) != 0; }

  RouteLog log_;
  std::shared_ptr<Ioapic> io_;
};

TEST(IoapicMessageTest, ComposesIntelMsiAddressAndData) {
  // Physical, fixed, edge: address carries the destination only.
  EXPECT_EQ(Ioapic::ComposeMessage(EdgeEntry(0x31, 0x02)),
            (hv::MsiMessage{.address = 0xfee0'2000, .data = 0x31}));
  // Logical, lowest priority, level: DM bit 2; mode in 10:8, bits 14 and 15.
  const uint64_t entry = LevelEntry(0xe1, 0xff) | kRteDestModeLogical |
                         uint64_t{kDeliveryLowestPriority} << kRteDeliveryModeShift;
  EXPECT_EQ(Ioapic::ComposeMessage(entry),
            (hv::MsiMessage{.address = 0xfeef'f004, .data = 0xc1e1}));
  // NMI; polarity, mask and remote IRR do not reach the message.
  const uint64_t nmi = EdgeEntry(0, 1) | uint64_t{kDeliveryNmi} << kRteDeliveryModeShift |
                       kRtePolarityLow | kRteMasked;
  EXPECT_EQ(Ioapic::ComposeMessage(nmi), (hv::MsiMessage{.address = 0xfee0'1000, .data = 0x400}));
}

TEST_F(IoapicDeliveryTest, EdgePinDeliversOncePerRisingEdge) {
  WriteEntry(*io_, 4, EdgeEntry(0x24, 1));
  EXPECT_EQ(Delivered(), 0u) << "programming an entry delivers nothing";
  io_->SetLevel(4, true);
  ASSERT_EQ(Delivered(), 1u);
  EXPECT_EQ(log_.deliveries[0], (Delivery{4, {.address = 0xfee0'1000, .data = 0x24}}));
  io_->SetLevel(4, true);  // still high: no edge
  EXPECT_EQ(Delivered(), 1u);
  io_->SetLevel(4, false);
  EXPECT_EQ(Delivered(), 1u);
  io_->SetLevel(4, true);
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_FALSE(RemoteIrr(4)) << "edge pins never set remote IRR";
}

TEST_F(IoapicDeliveryTest, EdgeOnAMaskedPinIsDropped) {
  WriteEntry(*io_, 3, EdgeEntry(0x23) | kRteMasked);
  io_->SetLevel(3, true);
  io_->SetLevel(3, false);
  io_->SetLevel(3, true);
  WriteEntry(*io_, 3, EdgeEntry(0x23));  // unmask while the line is high
  EXPECT_EQ(Delivered(), 0u);
  io_->SetLevel(3, false);
  io_->SetLevel(3, true);
  EXPECT_EQ(Delivered(), 1u) << "the next edge after unmasking is delivered";
}

TEST_F(IoapicDeliveryTest, MessageIsProgrammedOnlyWhenItChanges) {
  WriteEntry(*io_, 1, EdgeEntry(0x21));
  io_->Line(1)->Pulse();
  io_->Line(1)->Pulse();
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_EQ(log_.set_messages.size(), 1u);
  WriteEntry(*io_, 1, EdgeEntry(0x22));
  EXPECT_EQ(log_.set_messages.size(), 1u) << "a table write by itself programs nothing";
  io_->Line(1)->Pulse();
  ASSERT_EQ(log_.set_messages.size(), 2u);
  EXPECT_EQ(log_.set_messages[1].message.data, 0x22u);
  EXPECT_EQ(log_.deliveries.back().message.data, 0x22u);
}

TEST_F(IoapicDeliveryTest, LevelPinSetsRemoteIrrAndWaitsForEoi) {
  WriteEntry(*io_, 9, LevelEntry(0x39));
  io_->SetLevel(9, true);
  ASSERT_EQ(Delivered(), 1u);
  EXPECT_EQ(log_.deliveries[0].message.data, 0xc039u) << "level trigger and assert bits";
  EXPECT_TRUE(RemoteIrr(9));
  // Neither the line nor rewriting the entry delivers again before the EOI.
  io_->SetLevel(9, false);
  io_->SetLevel(9, true);
  WriteEntry(*io_, 9, LevelEntry(0x39));
  EXPECT_EQ(Delivered(), 1u);
  EXPECT_TRUE(RemoteIrr(9)) << "the guest cannot clear remote IRR by writing the entry";
}

TEST_F(IoapicDeliveryTest, EoiRegisterClearsRemoteIrrAndRedeliversWhileAsserted) {
  WriteEntry(*io_, 9, LevelEntry(0x39));
  io_->SetLevel(9, true);
  WriteEoi(0x38);  // another vector
  EXPECT_TRUE(RemoteIrr(9));
  EXPECT_EQ(Delivered(), 1u);
  WriteEoi(0x39);  // still asserted: delivered again, remote IRR set again
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_TRUE(RemoteIrr(9));
  io_->SetLevel(9, false);
  WriteEoi(0x39);  // deasserted: cleared, nothing delivered
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_FALSE(RemoteIrr(9));
  io_->SetLevel(9, true);
  EXPECT_EQ(Delivered(), 3u);
}

TEST_F(IoapicDeliveryTest, EoiBroadcastBehavesLikeTheEoiRegister) {
  WriteEntry(*io_, 10, LevelEntry(0x3a));
  WriteEntry(*io_, 11, LevelEntry(0x3a));  // two pins sharing a vector
  WriteEntry(*io_, 12, LevelEntry(0x3c));
  for (uint32_t pin : {10u, 11u, 12u}) io_->SetLevel(pin, true);
  EXPECT_EQ(Delivered(), 3u);
  io_->SetLevel(11, false);
  io_->EndOfInterrupt(0x3a);
  EXPECT_EQ(Delivered(), 4u) << "pin 10 again; pin 11 is deasserted";
  EXPECT_EQ(log_.deliveries.back().pin, 10u);
  EXPECT_TRUE(RemoteIrr(10));
  EXPECT_FALSE(RemoteIrr(11));
  EXPECT_TRUE(RemoteIrr(12)) << "another vector's EOI leaves it";
}

TEST_F(IoapicDeliveryTest, EoiLeavesEdgePinsAlone) {
  WriteEntry(*io_, 2, EdgeEntry(0x40));
  io_->SetLevel(2, true);
  io_->EndOfInterrupt(0x40);
  WriteEoi(0x40);
  EXPECT_EQ(Delivered(), 1u) << "an EOI is no edge";
}

TEST_F(IoapicDeliveryTest, MaskedLevelPinDeliversWhenUnmaskedWhileAsserted) {
  WriteEntry(*io_, 7, LevelEntry(0x37) | kRteMasked);
  io_->SetLevel(7, true);
  EXPECT_EQ(Delivered(), 0u);
  EXPECT_FALSE(RemoteIrr(7));
  WriteEntry(*io_, 7, LevelEntry(0x37));
  EXPECT_EQ(Delivered(), 1u);
  EXPECT_TRUE(RemoteIrr(7));
}

TEST_F(IoapicDeliveryTest, MaskedLevelPinDeassertedBeforeUnmaskDeliversNothing) {
  WriteEntry(*io_, 7, LevelEntry(0x37) | kRteMasked);
  io_->SetLevel(7, true);
  io_->SetLevel(7, false);
  WriteEntry(*io_, 7, LevelEntry(0x37));
  EXPECT_EQ(Delivered(), 0u);
}

TEST_F(IoapicDeliveryTest, EoiWhileMaskedDefersTheRedeliveryToTheUnmask) {
  WriteEntry(*io_, 8, LevelEntry(0x38));
  io_->SetLevel(8, true);
  WriteEntry(*io_, 8, LevelEntry(0x38) | kRteMasked);  // handler masks, then EOIs
  WriteEoi(0x38);
  EXPECT_EQ(Delivered(), 1u);
  EXPECT_FALSE(RemoteIrr(8));
  WriteEntry(*io_, 8, LevelEntry(0x38));
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_TRUE(RemoteIrr(8));
}

TEST_F(IoapicDeliveryTest, SwitchingToEdgeClearsRemoteIrr) {
  WriteEntry(*io_, 5, LevelEntry(0x35));
  io_->SetLevel(5, true);
  ASSERT_TRUE(RemoteIrr(5));
  WriteEntry(*io_, 5, EdgeEntry(0x35));
  EXPECT_FALSE(RemoteIrr(5));
  EXPECT_EQ(Delivered(), 1u) << "the switch itself is no edge";
  // Back to level with the line still high: delivered at once.
  WriteEntry(*io_, 5, LevelEntry(0x35));
  EXPECT_EQ(Delivered(), 2u);
  EXPECT_TRUE(RemoteIrr(5));
}

TEST_F(IoapicDeliveryTest, ReservedDeliveryModesDeliverNothing) {
  for (uint8_t mode : {kDeliveryReserved3, kDeliveryReserved6}) {
    WriteEntry(*io_, 6, LevelEntry(0x36) | uint64_t{mode} << kRteDeliveryModeShift);
    io_->SetLevel(6, true);
    EXPECT_FALSE(RemoteIrr(6)) << "mode " << int{mode};
    io_->SetLevel(6, false);
  }
  EXPECT_EQ(Delivered(), 0u);
  EXPECT_EQ(io_->counters().reserved_mode_drops, 2u);
  // The other modes go through as they are.
  WriteEntry(*io_, 6, EdgeEntry(0) | uint64_t{kDeliveryExtInt} << kRteDeliveryModeShift);
  io_->SetLevel(6, true);
  ASSERT_EQ(Delivered(), 1u);
  EXPECT_EQ(log_.deliveries[0].message.data, 0x700u);
}

TEST_F(IoapicDeliveryTest, FailedRouteIsCountedAndRetriedOnTheNextEvent) {
  WriteEntry(*io_, 9, LevelEntry(0x39));
  log_.fail_set_message = true;
  io_->SetLevel(9, true);
  EXPECT_EQ(Delivered(), 0u);
  EXPECT_FALSE(RemoteIrr(9)) << "nothing was delivered, so no EOI will come";
  EXPECT_EQ(io_->counters().set_message_failures, 1u);
  log_.fail_set_message = false;
  WriteEoi(0x99);  // any EOI re-evaluates nothing that has no remote IRR ...
  EXPECT_EQ(Delivered(), 0u);
  WriteEntry(*io_, 9, LevelEntry(0x39));  // ... but the guest touching the entry does
  EXPECT_EQ(Delivered(), 1u);
  EXPECT_EQ(io_->counters().delivered, 1u);
}

TEST_F(IoapicDeliveryTest, PinLinesDriveTheirPinAndOutOfRangePinsAreIgnored) {
  WriteEntry(*io_, 23, EdgeEntry(0x57));
  auto line = io_->Line(23);
  ASSERT_NE(line, nullptr);
  line->Pulse();
  ASSERT_EQ(Delivered(), 1u);
  EXPECT_EQ(log_.deliveries[0].pin, 23u);
  EXPECT_EQ(io_->Line(24), nullptr);
  const auto before = io_->Save();
  io_->SetLevel(24, true);
  io_->SetLevel(~0u, true);
  EXPECT_EQ(io_->Save(), before);
  // A line that outlives its IOAPIC does nothing.
  io_.reset();
  line->Pulse();
  EXPECT_EQ(Delivered(), 1u);
}

TEST_F(IoapicDeliveryTest, LineLevelsAreSavedPerPin) {
  io_->SetLevel(0, true);
  io_->SetLevel(13, true);
  io_->SetLevel(23, true);
  io_->SetLevel(13, false);
  EXPECT_EQ(io_->Save().line_levels, (1u << 0) | (1u << 23));
}

TEST(IoapicCreateTest, FailsWhenARouteCannotBeMade) {
  RouteLog log;
  int calls = 0;
  auto made = Ioapic::Create([&](uint32_t pin) -> Result<std::shared_ptr<hv::MsiInterrupt>> {
    ++calls;
    if (pin == 5) return Error(ErrorCode::kOutOfRange, "no GSI left");
    return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<FakePinRoute>(&log, pin));
  });
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message().find("pin 5"), std::string::npos) << made.error().message();
  EXPECT_EQ(calls, 6);
  auto null_route = Ioapic::Create(
      [](uint32_t) -> Result<std::shared_ptr<hv::MsiInterrupt>> {
        return std::shared_ptr<hv::MsiInterrupt>();
      });
  EXPECT_FALSE(null_route.ok());
  EXPECT_FALSE(Ioapic::Create(nullptr).ok());
}

TEST(IoapicCreateTest, AsksForOneRoutePerPinInPinOrder) {
  std::vector<uint32_t> pins;
  RouteLog log;
  auto made = Ioapic::Create([&](uint32_t pin) -> Result<std::shared_ptr<hv::MsiInterrupt>> {
    pins.push_back(pin);
    return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<FakePinRoute>(&log, pin));
  });
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(pins.size(), Ioapic::kNumPins);
  for (uint32_t pin = 0; pin < Ioapic::kNumPins; ++pin) EXPECT_EQ(pins[pin], pin);
}

}  // namespace
}  // namespace petrel
