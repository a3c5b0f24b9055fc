// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile's remaining instructions: LODS, INS, OUTS (with REP and
// the per-Step cap, as MOVS/STOS), CPUID, RDMSR/WRMSR (EFER in the register
// file, #GP(0) for an MSR the platform refuses), RDTSC, the flag
// instructions, INC/DEC/NEG/NOT, the shifts, ADC/SBB, MUL/IMUL (flags
// where they change, a fault where one applies); and that the mmio
// profile refuses every one of the sim profile's instructions.
#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;
using P = testing::FakePlatform::PortAccess;

constexpr uint64_t kData = EmuHarness::kDataGpa;

class SimOpsTest : public ::testing::Test {
 protected:
  SimOpsTest() {
    h.options.profile = Profile::kSim;
    h.Long64();
  }
  EmuHarness h;
};

TEST_F(SimOpsTest, LodsLoadsRaxAndAdvancesRsi) {
  h.platform.Poke64(kData, 0x8877665544332211);
  h.regs.gpr[hv::kRsi] = kData;
  h.regs.gpr[hv::kRax] = ~0ull;
  h.ExpectCompleted(h.Run({0xac}));  // lodsb
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffffffff'ffffff11ull);
  EXPECT_EQ(h.regs.gpr[hv::kRsi], kData + 1);
  h.ExpectCompleted(h.Run({0xad}));  // lodsd: zero-extends
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x55443322u);
  h.regs.rflags |= kFlagDf;
  h.ExpectCompleted(h.Run({0x48, 0xad}));  // lodsq backwards
  EXPECT_EQ(h.regs.gpr[hv::kRsi], kData + 5 - 8);
  h.regs.gpr[hv::kRsi] = EmuHarness::kNotPresentGva;
  EXPECT_EQ(h.ExpectFault(h.Run({0xac})).vector, kVectorPf);
  EXPECT_EQ(h.regs.gpr[hv::kRsi], EmuHarness::kNotPresentGva);
}

TEST_F(SimOpsTest, RepOutsbWritesEachByteToDxInChunks) {
  h.options.max_rep_iterations = 2;
  h.platform.Poke(kData, std::vector<uint8_t>{'a', 'b', 'c'});
  h.regs.gpr[hv::kRsi] = kData;
  h.regs.gpr[hv::kRdx] = 0x3f8;
  h.regs.gpr[hv::kRcx] = 3;
  h.ExpectCompleted(h.Run({0xf3, 0x6e}), /*rep_pending=*/true);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
  EXPECT_EQ(h.regs.gpr[hv::kRcx], 1u);
  h.ExpectCompleted(h.Step());
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2);
  EXPECT_EQ(h.regs.gpr[hv::kRcx], 0u);
  EXPECT_EQ(h.regs.gpr[hv::kRsi], kData + 3);
  EXPECT_EQ(h.platform.ports, (std::vector<P>{{true, 0x3f8, {'a'}}, {true, 0x3f8, {'b'}}, {true, 0x3f8, {'c'}}}));
}

TEST_F(SimOpsTest, RepInswStoresToEsRdi) {
  h.platform.port_in_byte = 0x5a;
  h.regs.gpr[hv::kRdi] = kData;
  h.regs.gpr[hv::kRdx] = 0x1f0;
  h.regs.gpr[hv::kRcx] = 2;
  h.ExpectCompleted(h.Run({0x66, 0xf3, 0x6d}));  // rep insw
  EXPECT_EQ(h.platform.Peek(kData, 4), 0x5a5a5a5au);
  EXPECT_EQ(h.regs.gpr[hv::kRdi], kData + 4);
  ASSERT_EQ(h.platform.ports.size(), 2u);
  EXPECT_EQ(h.platform.ports[0], (P{false, 0x1f0, {0x5a, 0x5a}}));
  // INS to a write-protected (read-only data) segment faults before the port read.
  h.Protected32();
  h.options.profile = Profile::kSim;
  h.sregs.es.type = 0x1;  // read-only data
  h.platform.ports.clear();
  EXPECT_EQ(h.ExpectFault(h.Run({0x6c})).vector, kVectorGp);
  EXPECT_TRUE(h.platform.ports.empty());
}

TEST_F(SimOpsTest, CpuidFromThePlatform) {
  h.regs.gpr[hv::kRax] = 0xffffffff'00000007ull;
  h.regs.gpr[hv::kRcx] = 1;
  h.regs.gpr[hv::kRbx] = ~0ull;
  h.ExpectCompleted(h.Run({0x0f, 0xa2}));
  const CpuidResult want = testing::FakePlatform::CpuidFor(7, 1);
  EXPECT_EQ(h.regs.gpr[hv::kRax], want.eax);
  EXPECT_EQ(h.regs.gpr[hv::kRbx], want.ebx);  // upper half cleared
  EXPECT_EQ(h.regs.gpr[hv::kRcx], want.ecx);
  EXPECT_EQ(h.regs.gpr[hv::kRdx], want.edx);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2);
}

TEST_F(SimOpsTest, RdmsrWrmsrAndGpForAnUnknownMsr) {
  h.platform.msrs[0x174] = 0x1122334455667788;
  h.regs.gpr[hv::kRcx] = 0x174;
  h.ExpectCompleted(h.Run({0x0f, 0x32}));  // rdmsr
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x55667788u);
  EXPECT_EQ(h.regs.gpr[hv::kRdx], 0x11223344u);
  h.regs.gpr[hv::kRax] = 0xaaaa;
  h.regs.gpr[hv::kRdx] = 0xbbbb;
  h.ExpectCompleted(h.Run({0x0f, 0x30}));  // wrmsr
  EXPECT_EQ(h.platform.msrs[0x174], 0x0000bbbb'0000aaaaull);
  h.regs.gpr[hv::kRcx] = 0x175;
  const Fault f = h.ExpectFault(h.Run({0x0f, 0x32}));
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(f.error_code, 0u);
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x30})).vector, kVectorGp);
}

TEST_F(SimOpsTest, EferIsTheRegisterFilesAndChecked) {
  h.regs.gpr[hv::kRcx] = 0xc0000080;
  h.ExpectCompleted(h.Run({0x0f, 0x32}));
  EXPECT_EQ(h.regs.gpr[hv::kRax], h.sregs.efer);
  // SCE may change; LMA is kept; LME may not change with paging on.
  h.regs.gpr[hv::kRax] = (h.sregs.efer | 1) & ~kEferLma;
  h.regs.gpr[hv::kRdx] = 0;
  const uint64_t efer = h.sregs.efer;
  h.ExpectCompleted(h.Run({0x0f, 0x30}));
  EXPECT_EQ(h.sregs.efer, efer | 1);
  h.regs.gpr[hv::kRax] = efer & ~(1ull << 8);
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x30})).vector, kVectorGp);
  h.regs.gpr[hv::kRax] = efer | (1ull << 3);  // reserved
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x30})).vector, kVectorGp);
  EXPECT_EQ(h.sregs.efer, efer | 1);
}

TEST_F(SimOpsTest, RdtscSplitsTheCounter) {
  h.platform.tsc = 0x0000'0012'3456'789aull;
  h.regs.gpr[hv::kRax] = ~0ull;
  h.ExpectCompleted(h.Run({0x0f, 0x31}));
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x3456789au);
  EXPECT_EQ(h.regs.gpr[hv::kRdx], 0x12u);
}

TEST_F(SimOpsTest, FlagInstructions) {
  h.regs.rflags = 0x2;
  h.ExpectCompleted(h.Run({0xf9}));  // stc
  EXPECT_EQ(h.regs.rflags, 0x3u);
  h.ExpectCompleted(h.Run({0xf5}));  // cmc
  EXPECT_EQ(h.regs.rflags, 0x2u);
  h.ExpectCompleted(h.Run({0xfd}));  // std
  EXPECT_EQ(h.regs.rflags, 0x2u | kFlagDf);
  h.ExpectCompleted(h.Run({0xfc}));  // cld
  h.ExpectCompleted(h.Run({0xf8}));  // clc
  EXPECT_EQ(h.regs.rflags, 0x2u);
}

TEST_F(SimOpsTest, IncDecKeepCarryNegSetsIt) {
  h.regs.gpr[hv::kRax] = 0x7fffffff;
  h.regs.rflags = 0x2 | kFlagCf;
  h.ExpectCompleted(h.Run({0xff, 0xc0}));  // inc eax
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x80000000u);
  EXPECT_EQ(h.regs.rflags & kArithFlags, kFlagCf | kFlagOf | kFlagSf | kFlagAf | kFlagPf);
  h.platform.Poke(kData, std::vector<uint8_t>{0x01});
  h.regs.gpr[hv::kRbx] = kData;
  h.ExpectCompleted(h.Run({0xfe, 0x0b}));  // dec byte [rbx]
  EXPECT_EQ(h.platform.Peek(kData, 1), 0u);
  EXPECT_EQ(h.regs.rflags & kArithFlags, kFlagCf | kFlagZf | kFlagPf);
  h.regs.gpr[hv::kRcx] = 5;
  h.ExpectCompleted(h.Run({0x48, 0xf7, 0xd9}));  // neg rcx
  EXPECT_EQ(h.regs.gpr[hv::kRcx], static_cast<uint64_t>(-5));
  EXPECT_TRUE(h.regs.rflags & kFlagCf);
  EXPECT_TRUE(h.regs.rflags & kFlagSf);
  const uint64_t flags = h.regs.rflags;
  h.ExpectCompleted(h.Run({0x48, 0xf7, 0xd1}));  // not rcx
  EXPECT_EQ(h.regs.gpr[hv::kRcx], 4u);
  EXPECT_EQ(h.regs.rflags, flags);
  h.regs.gpr[hv::kRbx] = EmuHarness::kNotPresentGva;
  EXPECT_EQ(h.ExpectFault(h.Run({0xfe, 0x03})).vector, kVectorPf);  // inc byte [rbx]
}

TEST_F(SimOpsTest, ShiftsByOneImmediateAndCl) {
  h.regs.gpr[hv::kRax] = 0x80000001;
  h.regs.rflags = 0x2;
  h.ExpectCompleted(h.Run({0xd1, 0xe0}));  // shl eax, 1
  EXPECT_EQ(h.regs.gpr[hv::kRax], 2u);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagOf), kFlagCf | kFlagOf);
  h.ExpectCompleted(h.Run({0xc1, 0xe8, 0x01}));  // shr eax, 1
  EXPECT_EQ(h.regs.gpr[hv::kRax], 1u);
  EXPECT_EQ(h.regs.rflags & kFlagCf, 0u);
  h.regs.gpr[hv::kRax] = 0x80;
  h.regs.gpr[hv::kRcx] = 0x107;  // CL = 7
  h.ExpectCompleted(h.Run({0xd2, 0xf8}));  // sar al, cl
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffu);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagOf | kFlagSf), kFlagSf);
  const uint64_t flags = h.regs.rflags;
  h.regs.gpr[hv::kRcx] = 0x20;  // masked to 0: nothing changes
  h.ExpectCompleted(h.Run({0xd3, 0xe0}));
  EXPECT_EQ(h.regs.rflags, flags);
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffu);
}

TEST_F(SimOpsTest, AdcSbbUseTheCarry) {
  h.regs.gpr[hv::kRax] = 0xffffffff;
  h.regs.gpr[hv::kRcx] = 0;
  h.regs.rflags = 0x2 | kFlagCf;
  h.ExpectCompleted(h.Run({0x11, 0xc8}));  // adc eax, ecx
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0u);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagZf), kFlagCf | kFlagZf);
  h.ExpectCompleted(h.Run({0x19, 0xc8}));  // sbb eax, ecx: 0 - 0 - 1
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffffffffu);
  EXPECT_TRUE(h.regs.rflags & kFlagCf);
}

TEST_F(SimOpsTest, MulAndImulForms) {
  h.regs.gpr[hv::kRax] = 0x80000000;
  h.regs.gpr[hv::kRcx] = 4;
  h.ExpectCompleted(h.Run({0xf7, 0xe1}));  // mul ecx: EDX:EAX
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0u);
  EXPECT_EQ(h.regs.gpr[hv::kRdx], 2u);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagOf), kFlagCf | kFlagOf);
  h.regs.gpr[hv::kRax] = 0xff;  // AL = -1
  h.regs.gpr[hv::kRcx] = 0x02;
  h.ExpectCompleted(h.Run({0xf6, 0xe9}));  // imul cl: AX = -2
  EXPECT_EQ(h.regs.gpr[hv::kRax] & 0xffff, 0xfffeu);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagOf), 0u);
  h.regs.gpr[hv::kRax] = 3;
  h.regs.gpr[hv::kRcx] = static_cast<uint64_t>(-7);
  h.ExpectCompleted(h.Run({0x48, 0x0f, 0xaf, 0xc1}));  // imul rax, rcx
  EXPECT_EQ(h.regs.gpr[hv::kRax], static_cast<uint64_t>(-21));
  h.ExpectCompleted(h.Run({0x6b, 0xc1, 0x10}));  // imul eax, ecx, 16
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0xffffff90u);
  h.regs.gpr[hv::kRcx] = 0x40000000;
  h.ExpectCompleted(h.Run({0x69, 0xc1, 0x04, 0x00, 0x00, 0x00}));  // imul eax, ecx, 4: overflows
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0u);
  EXPECT_EQ(h.regs.rflags & (kFlagCf | kFlagOf), kFlagCf | kFlagOf);
}

// INS and OUTS touch a device as MMIO does (MSHV's string port I/O intercepts).
TEST(EmulatorMmioProfileTest, HasInsAndOuts) {
  EmuHarness h;
  h.Long64();
  h.regs.gpr[hv::kRdx] = 0x3f8;
  h.regs.gpr[hv::kRsi] = 0x1000;
  h.regs.gpr[hv::kRdi] = 0x2000;
  h.ExpectCompleted(h.Run({0x6e}));  // outsb
  h.ExpectCompleted(h.Run({0x6c}));  // insb
  ASSERT_EQ(h.platform.ports.size(), 2u);
  EXPECT_TRUE(h.platform.ports[0].out);
  EXPECT_FALSE(h.platform.ports[1].out);
  EXPECT_EQ(h.regs.gpr[hv::kRsi], 0x1001u);
  EXPECT_EQ(h.regs.gpr[hv::kRdi], 0x2001u);
}

TEST(EmulatorMmioProfileTest, RefusesEverySimProfileInstruction) {
  EmuHarness h;
  h.Long64();
  h.regs.gpr[hv::kRsp] = 0x30000;
  const uint64_t rip = h.regs.rip;
  const std::vector<std::vector<uint8_t>> codes = {
      {0x50}, {0x5b}, {0x6a, 0x01}, {0x9c}, {0x9d}, {0xe8, 0, 0, 0, 0}, {0xff, 0xd0}, {0xc3},
      {0xc2, 8, 0}, {0x74, 0x00}, {0xe2, 0x00}, {0xe3, 0x00}, {0xe1, 0x00}, {0xe0, 0x00},
      {0xff, 0xe0}, {0x8d, 0x00}, {0xff, 0xc0}, {0xff, 0xc8}, {0xf7, 0xd8}, {0xf7, 0xd0},
      {0xd1, 0xe0}, {0xd1, 0xe8}, {0xd1, 0xf8}, {0x11, 0xc8}, {0x19, 0xc8}, {0xf7, 0xe1},
      {0x0f, 0xaf, 0xc1}, {0xac}, {0xe4, 0x80}, {0xee}, {0xf8}, {0xf9}, {0xf5}, {0xfc}, {0xfd},
      {0x0f, 0xa2}, {0x0f, 0x32}, {0x0f, 0x30}, {0x0f, 0x31}, {0x0f, 0x01, 0x10},
      {0x0f, 0x01, 0x18}, {0x0f, 0x01, 0x00}, {0x0f, 0x01, 0x08}, {0x0f, 0x22, 0xd8},
      {0x0f, 0x20, 0xc0}, {0xcd, 0x80}, {0xcc}, {0x48, 0xcf}};
  for (const std::vector<uint8_t>& code : codes) {
    auto r = h.Run(code);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(std::holds_alternative<Unsupported>(*r)) << DescribeOutcome(*r) << " for byte " << int{code[0]};
    EXPECT_EQ(std::get<Unsupported>(*r).reason, "not in the mmio profile") << int{code[0]};
  }
  EXPECT_EQ(h.regs.rip, rip);
  EXPECT_EQ(h.file.batches, 0);
  EXPECT_TRUE(h.platform.ports.empty());
}

}  // namespace
}  // namespace petrel::x86emu
