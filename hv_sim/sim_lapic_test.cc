// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimLapic: acceptance, priority, EOI and the registers a test guest touches.
#include "hv_sim/sim_lapic.h"

#include <gtest/gtest.h>

#include <cstring>

namespace petrel::sim {
namespace {

uint32_t Read(const SimLapic& apic, uint32_t offset) {
  uint8_t b[4];
  apic.Read(offset, b);
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

std::optional<SimLapic::Eoi> Write(SimLapic& apic, uint32_t offset, uint32_t value) {
  uint8_t b[4];
  std::memcpy(b, &value, 4);
  return apic.Write(offset, b);
}

void Enable(SimLapic& apic) { Write(apic, SimLapic::kRegSvr, 0x1ff); }

TEST(SimLapicTest, ResetStateAsTheSdmGivesIt) {
  SimLapic apic(3);
  EXPECT_EQ(Read(apic, SimLapic::kRegId), 3u << 24);
  EXPECT_EQ(Read(apic, SimLapic::kRegVersion), SimLapic::kVersion);
  EXPECT_EQ(Read(apic, SimLapic::kRegSvr), 0xffu);
  EXPECT_EQ(Read(apic, SimLapic::kRegLvtFirst) & (1u << 16), 1u << 16);
  EXPECT_EQ(Read(apic, SimLapic::kRegDfr), 0xffffffffu);
}

TEST(SimLapicTest, ASoftwareDisabledApicDropsFixedInterrupts) {
  SimLapic apic(0);
  apic.Accept(0x40, false);
  EXPECT_EQ(apic.Deliverable(), std::nullopt);
  SimLapic on(0);
  Enable(on);
  on.Accept(0x40, false);
  EXPECT_EQ(on.Deliverable(), 0x40);
  on.Accept(5, false);  // reserved vectors are never delivered
  on.Acknowledge(0x40);
  Write(on, SimLapic::kRegEoi, 0);
  EXPECT_EQ(on.Deliverable(), std::nullopt);
}

TEST(SimLapicTest, HigherClassesPreemptAndTheTprHolds) {
  SimLapic apic(0);
  Enable(apic);
  apic.Accept(0x41, false);
  apic.Accept(0x51, false);
  EXPECT_EQ(apic.Deliverable(), 0x51);
  apic.Acknowledge(0x51);
  EXPECT_EQ(Read(apic, SimLapic::kRegPpr), 0x50u);
  EXPECT_EQ(apic.Deliverable(), std::nullopt);  // 0x41's class is below the PPR
  apic.Accept(0x62, false);
  EXPECT_EQ(apic.Deliverable(), 0x62);
  apic.Acknowledge(0x62);
  auto eoi = Write(apic, SimLapic::kRegEoi, 0);
  ASSERT_TRUE(eoi.has_value());
  EXPECT_EQ(eoi->vector, 0x62);  // the highest in service first
  Write(apic, SimLapic::kRegEoi, 0);
  EXPECT_EQ(apic.Deliverable(), 0x41);
  Write(apic, SimLapic::kRegTpr, 0x40);
  EXPECT_EQ(apic.Deliverable(), std::nullopt);
  Write(apic, SimLapic::kRegTpr, 0x30);
  EXPECT_EQ(apic.Deliverable(), 0x41);
}

TEST(SimLapicTest, EoiReportsLevelTriggeredVectorsFromTheTmr) {
  SimLapic apic(0);
  Enable(apic);
  apic.Accept(0x30, true);
  apic.Acknowledge(0x30);
  EXPECT_EQ(Read(apic, SimLapic::kRegIsr + 0x10), 1u << 16);  // vector 0x30: ISR word 1
  EXPECT_EQ(Read(apic, SimLapic::kRegTmr + 0x10), 1u << 16);
  auto eoi = Write(apic, SimLapic::kRegEoi, 0);
  ASSERT_TRUE(eoi.has_value());
  EXPECT_TRUE(eoi->level_triggered);
  apic.Accept(0x30, false);
  apic.Acknowledge(0x30);
  EXPECT_FALSE(Write(apic, SimLapic::kRegEoi, 0)->level_triggered);
  EXPECT_EQ(Write(apic, SimLapic::kRegEoi, 0), std::nullopt);  // nothing in service
}

TEST(SimLapicTest, OddAccessesReadZeroAndWriteNothing) {
  SimLapic apic(0);
  Enable(apic);
  uint8_t two[2] = {0xff, 0xff};
  apic.Read(SimLapic::kRegSvr, two);
  EXPECT_EQ(two[0], 0);
  const uint8_t one[1] = {0};
  EXPECT_EQ(apic.Write(SimLapic::kRegSvr, one), std::nullopt);
  EXPECT_EQ(Read(apic, SimLapic::kRegSvr), 0x1ffu);
  EXPECT_EQ(Read(apic, SimLapic::kRegSvr + 4), 0u);
  EXPECT_EQ(Read(apic, 0x2000), 0u);
}

}  // namespace
}  // namespace petrel::sim
