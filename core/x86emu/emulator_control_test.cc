// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile's stack and control flow (SDM 2A/2B PUSH, POP, PUSHF,
// POPF, CALL, RET, JMP, Jcc, LOOP, JCXZ, LEA): the stack-address size from
// SS.B or 64-bit mode, the operand size (8 by default in 64-bit mode),
// memory written before RSP, #SS/#GP/#PF leaving RSP and RIP as they were,
// branch targets wrapped at the operand size and checked (#GP(0)).
#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;

constexpr uint64_t kStack = 0x30000;

class ControlTest : public ::testing::Test {
 protected:
  ControlTest() { h.options.profile = Profile::kSim; }
  void Long() {
    h.Long64();
    h.regs.gpr[hv::kRsp] = kStack;
  }
  void Prot() {
    h.Protected32();
    h.regs.gpr[hv::kRsp] = kStack;
  }
  uint64_t rip0() const { return EmuHarness::kCodeGpa; }
  EmuHarness h;
};

TEST_F(ControlTest, PushRegisterImmediateAndMemoryIn64BitMode) {
  Long();
  h.regs.gpr[hv::kRax] = 0x1122334455667788;
  h.ExpectCompleted(h.Run({0x50}));  // push rax
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack - 8);
  EXPECT_EQ(h.platform.Peek(kStack - 8, 8), 0x1122334455667788u);
  EXPECT_EQ(h.regs.rip, rip0() + 1);
  h.ExpectCompleted(h.Run({0x6a, 0xff}));  // push -1 (imm8 sign-extended to 8 bytes)
  EXPECT_EQ(h.platform.Peek(kStack - 16, 8), ~0ull);
  h.ExpectCompleted(h.Run({0x68, 0x00, 0x00, 0x00, 0x80}));  // push imm32 0x80000000 -> sign-extended
  EXPECT_EQ(h.platform.Peek(kStack - 24, 8), 0xffffffff80000000ull);
  h.platform.Poke64(0x20000, 0xabcdef);
  h.regs.gpr[hv::kRbx] = 0x20000;
  h.ExpectCompleted(h.Run({0xff, 0x33}));  // push qword [rbx]
  EXPECT_EQ(h.platform.Peek(kStack - 32, 8), 0xabcdefu);
  h.ExpectCompleted(h.Run({0x66, 0x50}));  // push ax: 2 bytes
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack - 34);
  EXPECT_EQ(h.platform.Peek(kStack - 34, 2), 0x7788u);
  const uint64_t rsp = h.regs.gpr[hv::kRsp];
  h.ExpectCompleted(h.Run({0x54}));  // push rsp pushes the old value
  EXPECT_EQ(h.platform.Peek(rsp - 8, 8), rsp);
}

TEST_F(ControlTest, PopRegisterAndMemory) {
  Long();
  h.platform.Poke64(kStack, 0x0102030405060708);
  h.platform.Poke64(kStack + 8, 0x1111);
  h.ExpectCompleted(h.Run({0x5b}));  // pop rbx
  EXPECT_EQ(h.regs.gpr[hv::kRbx], 0x0102030405060708u);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack + 8);
  // pop qword [rsp]: the address uses the incremented RSP (SDM 2B POP).
  h.ExpectCompleted(h.Run({0x8f, 0x04, 0x24}));
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack + 16);
  EXPECT_EQ(h.platform.Peek(kStack + 16, 8), 0x1111u);
  h.platform.Poke64(h.regs.gpr[hv::kRsp], 0x4242);
  h.ExpectCompleted(h.Run({0x5c}));  // pop rsp: the popped value wins
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x4242u);
}

TEST_F(ControlTest, PopToAFaultingDestinationLeavesRsp) {
  Long();
  h.regs.gpr[hv::kRbx] = EmuHarness::kNotPresentGva;
  const Fault f = h.ExpectFault(h.Run({0x8f, 0x03}));  // pop qword [rbx]
  EXPECT_EQ(f.vector, kVectorPf);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  EXPECT_EQ(h.regs.rip, rip0());
}

TEST_F(ControlTest, Stack16And32BitFollowSsB) {
  Prot();
  h.regs.gpr[hv::kRsp] = 0xdead0000'00001000ull;
  h.regs.gpr[hv::kRax] = 0x11223344;
  h.ExpectCompleted(h.Run({0x50}));  // push eax: ESP (SS.B = 1), RSP's upper half cleared
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0xffcu);
  EXPECT_EQ(h.platform.Peek(0xffc, 4), 0x11223344u);
  // SS.B = 0: SP wraps at 16 bits and RSP's bits 63:16 are kept.
  h.sregs.ss.db = false;
  h.regs.gpr[hv::kRsp] = 0x12340000;
  h.ExpectCompleted(h.Run({0x50}));
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x1234fffcu);
  EXPECT_EQ(h.platform.Peek(0xfffc, 4), 0x11223344u);
}

TEST_F(ControlTest, PushBeyondTheStackLimitIsSs) {
  Prot();
  h.sregs.ss.limit = 0x1000;
  h.regs.gpr[hv::kRsp] = 0x2000;  // push writes 0x1ffc..0x1fff, beyond the limit
  const Fault f = h.ExpectFault(h.Run({0x50}));
  EXPECT_EQ(f.vector, kVectorSs);
  EXPECT_EQ(f.error_code, 0u);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x2000u);
}

TEST_F(ControlTest, PushNonCanonicalIsSsIn64BitMode) {
  Long();
  h.regs.gpr[hv::kRsp] = 0x0000800000000004ull;
  EXPECT_EQ(h.ExpectFault(h.Run({0x50})).vector, kVectorSs);
  h.regs.gpr[hv::kRsp] = EmuHarness::kNotPresentGva + 8;
  const Fault pf = h.ExpectFault(h.Run({0x50}));
  EXPECT_EQ(pf.vector, kVectorPf);
  EXPECT_EQ(pf.error_code, kPfWrite);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], EmuHarness::kNotPresentGva + 8);
}

TEST_F(ControlTest, PushfAndPopf) {
  Long();
  h.regs.rflags = 0x2 | kFlagCf | kFlagZf | (1ull << 16) /* RF */;
  h.ExpectCompleted(h.Run({0x9c}));  // pushfq: RF (and VM) clear in the image
  EXPECT_EQ(h.platform.Peek(kStack - 8, 8), 0x2u | kFlagCf | kFlagZf);
  h.platform.Poke64(kStack - 8, 0xffffffff'ffffffffull);
  h.ExpectCompleted(h.Run({0x9d}));  // popfq at CPL 0
  // CF PF AF ZF SF TF IF DF OF IOPL NT AC ID from the image; RF, VM, VIF, VIP not.
  EXPECT_EQ(h.regs.rflags, 0x2u | 0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 | 0x0200 |
                               0x0400 | 0x0800 | 0x3000 | 0x4000 | (1u << 18) | (1u << 21));
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  // popf with a 16-bit operand changes bits 15:0 only.
  h.regs.rflags = 0x2 | (1u << 21);
  h.platform.Poke(kStack - 2, std::vector<uint8_t>{0x01, 0x00});
  h.regs.gpr[hv::kRsp] = kStack - 2;
  h.ExpectCompleted(h.Run({0x66, 0x9d}));
  EXPECT_EQ(h.regs.rflags, 0x3u | (1u << 21));
}

TEST_F(ControlTest, CallRelPushesTheNextRipAndRetReturns) {
  Long();
  h.ExpectCompleted(h.Run({0xe8, 0x00, 0x01, 0x00, 0x00}));  // call +0x100
  EXPECT_EQ(h.regs.rip, rip0() + 5 + 0x100);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack - 8);
  EXPECT_EQ(h.platform.Peek(kStack - 8, 8), rip0() + 5);
  h.ExpectCompleted(h.Run({0xc3}));  // ret
  EXPECT_EQ(h.regs.rip, rip0() + 5);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
}

TEST_F(ControlTest, CallIndirectAndRetImm) {
  Long();
  h.regs.gpr[hv::kRax] = 0x12345;
  h.ExpectCompleted(h.Run({0xff, 0xd0}));  // call rax
  EXPECT_EQ(h.regs.rip, 0x12345u);
  EXPECT_EQ(h.platform.Peek(kStack - 8, 8), rip0() + 2);
  h.platform.Poke64(0x20000, 0x15000);
  h.regs.gpr[hv::kRbx] = 0x20000;
  h.ExpectCompleted(h.Run({0xff, 0x13}));  // call [rbx]
  EXPECT_EQ(h.regs.rip, 0x15000u);
  EXPECT_EQ(h.platform.Peek(kStack - 16, 8), 0x12345u + 2);
  h.ExpectCompleted(h.Run({0xc2, 0x10, 0x00}));  // ret 16
  EXPECT_EQ(h.regs.rip, 0x12347u);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack - 8 + 16);
}

TEST_F(ControlTest, NonCanonicalTargetsAreGpAndChangeNothing) {
  Long();
  h.regs.gpr[hv::kRax] = 0x0000800000000000ull;
  const Fault f = h.ExpectFault(h.Run({0xff, 0xd0}));  // call rax
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  EXPECT_EQ(h.regs.rip, rip0());
  EXPECT_EQ(h.ExpectFault(h.Run({0xff, 0xe0})).vector, kVectorGp);  // jmp rax
  h.platform.Poke64(kStack, 0x0000800000000000ull);
  EXPECT_EQ(h.ExpectFault(h.Run({0xc3})).vector, kVectorGp);  // ret
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
}

TEST_F(ControlTest, Call32BeyondTheCsLimitIsGp) {
  Prot();
  h.sregs.cs.limit = 0x1ffff;
  h.regs.gpr[hv::kRax] = 0x20000;
  EXPECT_EQ(h.ExpectFault(h.Run({0xff, 0xd0})).vector, kVectorGp);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  h.regs.gpr[hv::kRax] = 0x1fff0;
  h.ExpectCompleted(h.Run({0xff, 0xd0}));
  EXPECT_EQ(h.regs.rip, 0x1fff0u);
  EXPECT_EQ(h.platform.Peek(kStack - 4, 4), rip0() + 2);  // 4-byte return address
}

TEST_F(ControlTest, Real16CallAndRetUse16BitIpAndSp) {
  h.Real16();
  h.regs.gpr[hv::kRsp] = 0x8000;
  const uint64_t ip = h.regs.rip;
  h.ExpectCompleted(h.Run({0xe8, 0x10, 0x00}));  // call +0x10
  EXPECT_EQ(h.regs.rip, ip + 3 + 0x10);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x7ffeu);
  EXPECT_EQ(h.platform.Peek(0x7ffe, 2), ip + 3);
  h.ExpectCompleted(h.Run({0xc3}));
  EXPECT_EQ(h.regs.rip, ip + 3);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x8000u);
}

TEST_F(ControlTest, JccTakenAndNotTaken) {
  Prot();
  h.regs.rflags = 0x2 | kFlagZf;
  h.ExpectCompleted(h.Run({0x74, 0x10}));  // jz +0x10: taken
  EXPECT_EQ(h.regs.rip, rip0() + 2 + 0x10);
  h.regs.rip = rip0();
  h.ExpectCompleted(h.Run({0x75, 0x10}));  // jnz: not taken
  EXPECT_EQ(h.regs.rip, rip0() + 2);
  h.regs.rip = rip0();
  h.regs.rflags = 0x2 | kFlagSf;  // SF != OF: less
  h.ExpectCompleted(h.Run({0x0f, 0x8c, 0x00, 0xf0, 0xff, 0xff}));  // jl rel32 -0x1000
  EXPECT_EQ(h.regs.rip, rip0() + 6 - 0x1000);
  h.regs.rip = rip0();
  h.ExpectCompleted(h.Run({0x66, 0x0f, 0x8c, 0x00, 0x10}));  // jl rel16: IP wraps at 16 bits
  EXPECT_EQ(h.regs.rip, (rip0() + 5 + 0x1000) & 0xffff);
}

TEST_F(ControlTest, LoopAndJecxz) {
  Prot();
  h.regs.gpr[hv::kRcx] = 0xffffffff'00000002ull;
  h.ExpectCompleted(h.Run({0xe2, 0xfe}));  // loop $: ECX 2 -> 1, taken
  EXPECT_EQ(h.regs.rip, rip0());
  EXPECT_EQ(h.regs.gpr[hv::kRcx], 1u);  // a 32-bit write
  h.ExpectCompleted(h.Run({0xe2, 0xfe}));  // ECX 1 -> 0: falls through
  EXPECT_EQ(h.regs.rip, rip0() + 2);
  h.regs.rip = rip0();
  h.ExpectCompleted(h.Run({0xe3, 0x20}));  // jecxz: ECX = 0, taken
  EXPECT_EQ(h.regs.rip, rip0() + 2 + 0x20);
  h.regs.rip = rip0();
  h.regs.gpr[hv::kRcx] = 5;
  h.regs.rflags = 0x2;  // ZF = 0
  h.ExpectCompleted(h.Run({0xe1, 0x20}));  // loope: ECX 4, ZF = 0 -> not taken
  EXPECT_EQ(h.regs.rip, rip0() + 2);
  EXPECT_EQ(h.regs.gpr[hv::kRcx], 4u);
  EXPECT_EQ(h.regs.rflags, 0x2u);  // LOOP changes no flag
}

TEST_F(ControlTest, LeaComputesWithoutAccessAndTruncates) {
  Long();
  h.regs.gpr[hv::kRax] = 0x0000800000000000ull;  // non-canonical: LEA does not care
  h.regs.gpr[hv::kRcx] = 2;
  h.ExpectCompleted(h.Run({0x48, 0x8d, 0x44, 0x88, 0x10}));  // lea rax, [rax + rcx*4 + 0x10]
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x0000800000000018ull);
  h.regs.gpr[hv::kRbx] = 0xffffffff'fffffff0ull;
  h.ExpectCompleted(h.Run({0x8d, 0x43, 0x20}));  // lea eax, [rbx + 0x20]: 32-bit result
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x10u);
  h.regs.gpr[hv::kRdx] = 0x1234;
  h.ExpectCompleted(h.Run({0x66, 0x8d, 0x42, 0xff}));  // lea ax, [rdx - 1]: AX only
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x1233u);
  h.ExpectCompleted(h.Run({0x67, 0x48, 0x8d, 0x43, 0x20}));  // lea rax, [ebx + 0x20]: 32-bit address
  EXPECT_EQ(h.regs.gpr[hv::kRax], 0x10u);
  EXPECT_TRUE(h.platform.mmio.empty());
}

}  // namespace
}  // namespace petrel::x86emu
