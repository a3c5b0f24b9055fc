// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile (what interpreted test guests on hv_sim run): IN/OUT with
// imm8 and DX ports at every width, HLT, CLI/STI, JMP rel, NOP; and that the
// mmio profile refuses them.
#include <gtest/gtest.h>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;

class EmulatorSimTest : public ::testing::Test {
 protected:
  EmulatorSimTest() {
    h.options.profile = Profile::kSim;
    h.Protected32();
  }
  EmuHarness h;
};

TEST_F(EmulatorSimTest, OutWritesTheLowBytesOfRaxToTheImmediateOrDxPort) {
  h.regs.gpr[hv::kRax] = 0x11223344;
  h.regs.gpr[hv::kRdx] = 0xabcd03f8;  // only DX is the port
  const uint64_t rip = h.regs.rip;
  h.ExpectCompleted(h.Run({0xe6, 0x80}));  // out $0x80, %al
  EXPECT_EQ(h.regs.rip, rip + 2);
  h.ExpectCompleted(h.Run({0xee}));  // out %al, (%dx)
  h.ExpectCompleted(h.Run({0x66, 0xef}));  // out %ax, (%dx)
  h.ExpectCompleted(h.Run({0xef}));  // out %eax, (%dx)
  using P = testing::FakePlatform::PortAccess;
  EXPECT_EQ(h.platform.ports,
            (std::vector<P>{{true, 0x80, {0x44}},
                            {true, 0x3f8, {0x44}},
                            {true, 0x3f8, {0x44, 0x33}},
                            {true, 0x3f8, {0x44, 0x33, 0x22, 0x11}}}));
  EXPECT_EQ(h.regs.rip, rip + 2 + 1 + 2 + 1);
}

TEST_F(EmulatorSimTest, InMergesIntoRaxAsTheWidthDemands) {
  h.platform.port_in_byte = 0x60;
  h.regs.gpr[hv::kRax] = 0xffffffff'ffffffffull;
  h.regs.gpr[hv::kRdx] = 0x3fd;
  h.ExpectCompleted(h.Run({0xec}));  // in (%dx), %al: the rest of RAX kept
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffffffff'ffffff60ull);
  h.ExpectCompleted(h.Run({0x66, 0xe5, 0x71}));  // in $0x71, %ax
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffffffff'ffff6060ull);
  h.ExpectCompleted(h.Run({0xe5, 0x71}));  // in $0x71, %eax
  EXPECT_EQ(h.regs.gpr[hv::kRax] & 0xffffffffull, 0x60606060ull);
  EXPECT_EQ(h.platform.ports[0].port, 0x3fd);
  EXPECT_FALSE(h.platform.ports[0].out);
  EXPECT_EQ(h.platform.ports[1].port, 0x71);
  EXPECT_EQ(h.platform.ports[2].data.size(), 4u);
}

TEST_F(EmulatorSimTest, InEaxZeroExtendsInLongMode) {
  h.Long64();
  h.platform.port_in_byte = 0x12;
  h.regs.gpr[hv::kRax] = ~0ull;
  h.ExpectCompleted(h.Run({0xe5, 0x70}));  // in $0x70, %eax
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x12121212ull);
}

TEST_F(EmulatorSimTest, HltCompletesHaltedPastTheInstruction) {
  const uint64_t rip = h.regs.rip;
  auto r = h.Run({0xf4});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(std::holds_alternative<Completed>(*r));
  EXPECT_TRUE(std::get<Completed>(*r).halted);
  EXPECT_EQ(h.regs.rip, rip + 1);
  auto nop = h.Run({0x90});
  ASSERT_TRUE(nop.ok());
  EXPECT_FALSE(std::get<Completed>(*nop).halted);
}

TEST_F(EmulatorSimTest, CliAndStiChangeOnlyTheInterruptFlag) {
  h.regs.rflags = 0x202 | 0x1;  // IF, CF
  h.ExpectCompleted(h.Run({0xfa}));
  EXPECT_EQ(h.regs.rflags, 0x3u);
  h.ExpectCompleted(h.Run({0xfb}));
  EXPECT_EQ(h.regs.rflags, 0x203u);
}

TEST_F(EmulatorSimTest, StiThatSetsIfOpensAnInterruptShadow) {
  h.regs.rflags = 0x2;
  auto outcome = h.Run({0xfb});
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(std::holds_alternative<Completed>(*outcome));
  EXPECT_TRUE(std::get<Completed>(*outcome).interrupt_shadow);
  outcome = h.Run({0xfb});  // IF already set: no shadow (SDM 2B "STI")
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(std::get<Completed>(*outcome).interrupt_shadow);
  outcome = h.Run({0x90});
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(std::get<Completed>(*outcome).interrupt_shadow);
}

TEST_F(EmulatorSimTest, JmpRelGoesFromTheNextInstruction) {
  const uint64_t rip = h.regs.rip;
  h.ExpectCompleted(h.Run({0xeb, 0xfe}));  // jmp . (rel8 -2)
  EXPECT_EQ(h.regs.rip, rip);
  h.ExpectCompleted(h.Run({0xeb, 0x10}));
  EXPECT_EQ(h.regs.rip, rip + 2 + 0x10);
  const uint64_t at = h.regs.rip;
  h.ExpectCompleted(h.Run({0xe9, 0x00, 0x01, 0x00, 0x00}));  // jmp rel32 +0x100
  EXPECT_EQ(h.regs.rip, at + 5 + 0x100);
}

TEST_F(EmulatorSimTest, FarBranchesAndOtherInstructionsStayUnsupported) {
  const uint64_t rip = h.regs.rip;
  for (const std::vector<uint8_t>& code : std::vector<std::vector<uint8_t>>{
           {0xea, 0, 0, 0, 0, 0x08, 0},   // jmp far ptr16:32
           {0xff, 0x18},                  // call far m16:32
           {0xcb},                        // ret far
           {0x0f, 0xb1, 0x08},            // cmpxchg
           {0xf7, 0xf1},                  // div ecx
           {0xce}}) {                     // into
    auto r = h.Run(code);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(std::holds_alternative<Unsupported>(*r)) << DescribeOutcome(*r);
  }
  EXPECT_EQ(h.regs.rip, rip);
}

TEST(EmulatorMmioProfileTest, RefusesTheSimProfilesInstructions) {
  EmuHarness h;
  h.Protected32();
  const uint64_t rip = h.regs.rip;
  for (const std::vector<uint8_t>& code : std::vector<std::vector<uint8_t>>{
           {0xe6, 0x80}, {0xec}, {0xf4}, {0xfa}, {0xfb}, {0xeb, 0x00}, {0x90}}) {
    auto r = h.Run(code);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(std::holds_alternative<Unsupported>(*r)) << DescribeOutcome(*r);
    EXPECT_EQ(std::get<Unsupported>(*r).reason, "not in the mmio profile");
  }
  EXPECT_EQ(h.regs.rip, rip);
  EXPECT_TRUE(h.platform.ports.empty());
}

}  // namespace
}  // namespace petrel::x86emu
