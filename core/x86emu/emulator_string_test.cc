// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator: MOVS and STOS with and without REP (SDM 2B "MOVS", "STOS",
// "REP"): RSI/RDI/RCX updates at the address size, DF=1 running backwards,
// the per-call REP cap leaving RIP on the instruction with RCX counted
// down so the next call continues, RCX=0, and a #PF part-way through.
#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;
using testing::LeBytes;
using testing::MmioValue;

constexpr uint64_t kMmio = EmuHarness::kMmio;
constexpr uint64_t kData = EmuHarness::kDataGpa;

TEST(X86EmuString, MovsbFromMmioToRam) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRsi) = kMmio + 0x10;
  h.gpr(hv::kRdi) = kData;
  const uint64_t rcx = h.gpr(hv::kRcx);
  h.ExpectCompleted(h.Run({0xa4}));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_FALSE(h.platform.mmio[0].write);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio + 0x10);
  EXPECT_EQ(h.platform.Peek(kData, 1), MmioValue(kMmio + 0x10, 1));
  EXPECT_EQ(h.gpr(hv::kRsi), kMmio + 0x11);
  EXPECT_EQ(h.gpr(hv::kRdi), kData + 1);
  EXPECT_EQ(h.gpr(hv::kRcx), rcx);  // no REP: RCX untouched
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 1);
}

TEST(X86EmuString, MovsSourceSegmentOverride) {
  EmuHarness h;
  h.Long64();
  h.sregs.fs.base = kMmio + 0x200;  // in 64-bit mode only FS and GS have a base
  h.sregs.es.base = 0x1000;         // ignored, as is ES for the destination
  h.gpr(hv::kRsi) = 0x30;
  h.gpr(hv::kRdi) = kData;
  h.ExpectCompleted(h.Run({0x64, 0xa4}));  // movsb fs:[rsi] -> es:[rdi]
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio + 0x230);
  EXPECT_EQ(h.platform.Peek(kData, 1), MmioValue(kMmio + 0x230, 1));
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2);
}

TEST(X86EmuString, MovsqFromRamToMmio) {
  EmuHarness h;
  h.Long64();
  h.platform.Poke64(kData, 0x0123456789abcdefull);
  h.gpr(hv::kRsi) = kData;
  h.gpr(hv::kRdi) = kMmio + 0x100;
  h.ExpectCompleted(h.Run({0x48, 0xa5}));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_TRUE(h.platform.mmio[0].write);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio + 0x100);
  EXPECT_EQ(h.platform.mmio[0].data, LeBytes(0x0123456789abcdefull, 8));
  EXPECT_EQ(h.gpr(hv::kRsi), kData + 8);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x108);
}

TEST(X86EmuString, StosbAndRepStosd) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRdi) = kMmio + 0x20;
  const uint64_t rax = h.gpr(hv::kRax);
  h.ExpectCompleted(h.Run({0xaa}));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].data, LeBytes(rax, 1));
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x21);

  h.gpr(hv::kRdi) = kMmio + 0x40;
  h.gpr(hv::kRcx) = 3;
  h.ExpectCompleted(h.Run({0xf3, 0xab}));  // rep stosd
  ASSERT_EQ(h.platform.mmio.size(), 4u);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_TRUE(h.platform.mmio[1 + i].write);
    EXPECT_EQ(h.platform.mmio[1 + i].gpa, kMmio + 0x40 + 4 * i);
    EXPECT_EQ(h.platform.mmio[1 + i].data, LeBytes(rax, 4));
  }
  EXPECT_EQ(h.gpr(hv::kRcx), 0u);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x4c);
  EXPECT_EQ(h.gpr(hv::kRax), rax);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 1 + 2);
}

TEST(X86EmuString, RepWithZeroCountDoesNothingButAdvance) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRcx) = 0;
  h.gpr(hv::kRdi) = kMmio;
  h.gpr(hv::kRsi) = kMmio;
  h.ExpectCompleted(h.Run({0xf3, 0x48, 0xa5}));
  EXPECT_TRUE(h.platform.mmio.empty());
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 3);
}

TEST(X86EmuString, DirectionFlagRunsBackwards) {
  EmuHarness h;
  h.Long64();
  h.regs.rflags = 0x2 | kFlagDf;
  h.platform.Poke(kData, std::vector<uint8_t>{0x11, 0x22, 0x33});
  h.gpr(hv::kRsi) = kData + 2;
  h.gpr(hv::kRdi) = kMmio + 0x22;
  h.gpr(hv::kRcx) = 3;
  h.ExpectCompleted(h.Run({0xf3, 0xa4}));  // rep movsb, backwards
  ASSERT_EQ(h.platform.mmio.size(), 3u);
  const uint8_t want[] = {0x33, 0x22, 0x11};
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(h.platform.mmio[i].gpa, kMmio + 0x22 - i);
    EXPECT_EQ(h.platform.mmio[i].data, std::vector<uint8_t>{want[i]});
  }
  EXPECT_EQ(h.gpr(hv::kRsi), kData - 1);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x1f);
  EXPECT_EQ(h.gpr(hv::kRcx), 0u);
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagDf);
}

TEST(X86EmuString, RepCapStopsOnTheInstructionAndContinues) {
  EmuHarness h;
  h.Long64();
  h.options.max_rep_iterations = 2;
  h.gpr(hv::kRcx) = 5;
  h.gpr(hv::kRdi) = kMmio + 0x80;
  const std::vector<uint8_t> code = {0xf3, 0x66, 0xab};  // rep stosw
  h.ExpectCompleted(h.Run(code), /*rep_pending=*/true);
  EXPECT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.gpr(hv::kRcx), 3u);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x84);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);  // still on the instruction
  h.ExpectCompleted(h.Step(), true);
  EXPECT_EQ(h.gpr(hv::kRcx), 1u);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
  h.ExpectCompleted(h.Step(), false);
  EXPECT_EQ(h.gpr(hv::kRcx), 0u);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 3);
  ASSERT_EQ(h.platform.mmio.size(), 5u);
  for (unsigned i = 0; i < 5; ++i) EXPECT_EQ(h.platform.mmio[i].gpa, kMmio + 0x80 + 2 * i);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x8a);
  // Exactly at the cap: done, not pending.
  h.gpr(hv::kRcx) = 2;
  h.ExpectCompleted(h.Run(code), false);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 6);
}

TEST(X86EmuString, AddressSize32UsesEdiEcx) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRdi) = 0xffffffff00000000ull | (kMmio + 0x10);
  h.gpr(hv::kRcx) = 0xaaaaaaaa00000002ull;
  h.ExpectCompleted(h.Run({0x67, 0xf3, 0xaa}));  // rep stosb [edi], ecx
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio + 0x10);
  EXPECT_EQ(h.gpr(hv::kRdi), kMmio + 0x12);
  EXPECT_EQ(h.gpr(hv::kRcx) & 0xffffffffu, 0u);
}

TEST(X86EmuString, Real16SiWraps) {
  EmuHarness h;
  h.Real16();
  h.sregs.ds.base = kData;
  h.sregs.es.base = kData + 0x10000;
  h.gpr(hv::kRsi) = 0xabcd0000ffffull;
  h.gpr(hv::kRdi) = 0x10;
  h.platform.Poke(kData + 0xffff, std::vector<uint8_t>{0x5a});
  h.ExpectCompleted(h.Run({0xa4}));  // movsb
  EXPECT_EQ(h.platform.Peek(kData + 0x10000 + 0x10, 1), 0x5au);
  EXPECT_EQ(h.gpr(hv::kRsi), 0xabcd00000000ull);  // SI wrapped, upper bits kept
  EXPECT_EQ(h.gpr(hv::kRdi), 0x11u);
}

TEST(X86EmuString, PageFaultPartWayKeepsCompletedIterations) {
  EmuHarness h;
  h.Long64();
  // Two bytes on the MMIO page, then the not-present page.
  h.gpr(hv::kRdi) = EmuHarness::kNotPresentGva - 2;
  h.gpr(hv::kRcx) = 5;
  const Fault f = h.ExpectFault(h.Run({0xf3, 0xaa}));
  EXPECT_EQ(f.vector, kVectorPf);
  EXPECT_EQ(f.error_code, kPfWrite);
  EXPECT_EQ(f.cr2, EmuHarness::kNotPresentGva);
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio + 0xffe);
  EXPECT_EQ(h.platform.mmio[1].gpa, kMmio + 0xfff);
  EXPECT_EQ(h.gpr(hv::kRcx), 3u);
  EXPECT_EQ(h.gpr(hv::kRdi), EmuHarness::kNotPresentGva);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
}

}  // namespace
}  // namespace petrel::x86emu
