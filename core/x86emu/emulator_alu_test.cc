// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator: CMP, OR, AND, XOR, ADD, SUB, TEST (flags, memory write-back or
// none), XCHG, BT/BTS/BTR (register and memory bit strings, negative
// offsets) and SETcc to memory, against the MMIO window of FakePlatform.
// The MMIO window reads 0xb0 0xb1 0xb2 0xb3 at kMmio + 0x10 (0xb3b2b1b0).
#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;
using testing::LeBytes;
using testing::MmioValue;

constexpr uint64_t kAt = EmuHarness::kMmio + 0x10;

EmuHarness At() {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRax) = kAt;
  return h;
}

TEST(X86EmuAlu, CmpMemoryImmediateSetsFlagsOnly) {
  EmuHarness h = At();
  h.regs.rflags = 0x2 | kFlagCf | kFlagZf | kFlagOf | kFlagDf;
  const hv::Regs before = h.regs;
  h.ExpectCompleted(h.Run({0x83, 0x38, 0x05}));  // cmp dword [rax], 5
  // 0xb3b2b1b0 - 5 = 0xb3b2b1ab: SF; AF (borrow from bit 4); no CF, ZF, OF; PF clear (0xab odd).
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagSf | kFlagAf | kFlagDf);
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_FALSE(h.platform.mmio[0].write);
  EXPECT_EQ(h.platform.mmio[0].data.size(), 4u);
  EXPECT_EQ(h.regs.gpr, before.gpr);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 3);
  // cmp al, 0xb0 (register form): equal.
  h.gpr(hv::kRax) = 0x12b0;
  h.ExpectCompleted(h.Run({0x3c, 0xb0}));
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagZf | kFlagPf | kFlagDf);
  EXPECT_EQ(h.gpr(hv::kRax), 0x12b0u);
}

TEST(X86EmuAlu, OrByteImmediateWritesBack) {
  EmuHarness h = At();
  h.regs.rflags = 0x2 | kFlagCf | kFlagOf | kFlagZf;
  h.ExpectCompleted(h.Run({0x80, 0x08, 0x0f}));  // or byte [rax], 0x0f
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_FALSE(h.platform.mmio[0].write);
  EXPECT_TRUE(h.platform.mmio[1].write);
  EXPECT_EQ(h.platform.mmio[1].gpa, kAt);
  EXPECT_EQ(h.platform.mmio[1].data, std::vector<uint8_t>{0xbf});
  // 0xbf: SF, odd parity (7 bits), CF and OF cleared.
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagSf);
}

struct RmwCase {
  const char* name;
  std::vector<uint8_t> code;
  AluOp op;
  bool mem_destination;  // else ECX is the destination
};

TEST(X86EmuAlu, ReadModifyWriteForms) {
  for (const RmwCase& c : {
           RmwCase{"and [rax], ecx", {0x21, 0x08}, AluOp::kAnd, true},
           RmwCase{"add [rax], ecx", {0x01, 0x08}, AluOp::kAdd, true},
           RmwCase{"sub [rax], ecx", {0x29, 0x08}, AluOp::kSub, true},
           RmwCase{"xor [rax], ecx", {0x31, 0x08}, AluOp::kXor, true},
           RmwCase{"or ecx, [rax]", {0x0b, 0x08}, AluOp::kOr, false},
           RmwCase{"add ecx, [rax]", {0x03, 0x08}, AluOp::kAdd, false},
           RmwCase{"sub ecx, [rax]", {0x2b, 0x08}, AluOp::kSub, false},
       }) {
    SCOPED_TRACE(c.name);
    EmuHarness h = At();
    const uint64_t rcx = h.gpr(hv::kRcx);
    const uint64_t mem = MmioValue(kAt, 4);
    const AluResult r = c.mem_destination ? Alu(c.op, mem, rcx, 4) : Alu(c.op, rcx, mem, 4);
    h.ExpectCompleted(h.Run(c.code));
    EXPECT_EQ(h.regs.rflags, 0x2 | r.flags);
    if (c.mem_destination) {
      ASSERT_EQ(h.platform.mmio.size(), 2u);
      EXPECT_EQ(h.platform.mmio[1].data, LeBytes(r.value, 4));
      EXPECT_EQ(h.gpr(hv::kRcx), rcx);
    } else {
      ASSERT_EQ(h.platform.mmio.size(), 1u);
      EXPECT_EQ(h.gpr(hv::kRcx), r.value);  // 32-bit destination: upper half zeroed
    }
  }
}

TEST(X86EmuAlu, Add64SignExtendedImmediateCarries) {
  EmuHarness h = At();
  h.ExpectCompleted(h.Run({0x48, 0x83, 0x00, 0xff}));  // add qword [rax], -1
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  const uint64_t mem = MmioValue(kAt, 8);
  EXPECT_EQ(h.platform.mmio[1].data, LeBytes(mem - 1, 8));
  EXPECT_TRUE(h.regs.rflags & kFlagCf);
  EXPECT_TRUE(h.regs.rflags & kFlagSf);
}

TEST(X86EmuAlu, TestDoesNotWrite) {
  EmuHarness h = At();
  h.gpr(hv::kRcx) = 0x0f;
  h.ExpectCompleted(h.Run({0x84, 0x08}));  // test [rax], cl: 0xb0 & 0x0f = 0
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_FALSE(h.platform.mmio[0].write);
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagZf | kFlagPf);
  h.ExpectCompleted(h.Run({0xf7, 0x00, 0x00, 0x00, 0x00, 0x80}));  // test dword [rax], 0x80000000
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagSf | kFlagPf);
  EXPECT_EQ(h.platform.mmio.size(), 2u);
}

TEST(X86EmuAlu, XchgMemory) {
  EmuHarness h = At();
  const uint64_t rcx = h.gpr(hv::kRcx);
  h.ExpectCompleted(h.Run({0x87, 0x08}));  // xchg [rax], ecx
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_FALSE(h.platform.mmio[0].write);
  EXPECT_TRUE(h.platform.mmio[1].write);
  EXPECT_EQ(h.platform.mmio[1].data, LeBytes(rcx, 4));
  EXPECT_EQ(h.gpr(hv::kRcx), MmioValue(kAt, 4));
  const uint64_t rdx = h.gpr(hv::kRdx);
  h.ExpectCompleted(h.Run({0x86, 0x30}));  // xchg [rax], dh
  EXPECT_EQ(h.platform.mmio[3].data, LeBytes(rdx >> 8, 1));
  EXPECT_EQ(h.gpr(hv::kRdx), (rdx & ~0xff00ull) | (MmioValue(kAt, 1) << 8));
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 4);
  EXPECT_EQ(h.regs.rflags, 0x2u);
}

TEST(X86EmuAlu, BitTestRegisterOffsetIntoMemory) {
  struct BtCase {
    uint64_t offset;
    uint64_t gpa;
    bool cf;
  };
  for (const BtCase& c : {
           BtCase{4, kAt, true},            // bit 4 of 0xb3b2b1b0
           BtCase{35, kAt + 4, false},      // bit 3 of the next dword (0xb7b6b5b4)
           BtCase{0xffffffff, kAt - 4, true},  // -1: bit 31 of the previous dword (0xafaeadac)
       }) {
    EmuHarness h = At();
    h.gpr(hv::kRcx) = c.offset;
    h.regs.rflags = 0x2 | (c.cf ? 0 : kFlagCf) | kFlagZf;
    h.ExpectCompleted(h.Run({0x0f, 0xa3, 0x08}));  // bt [rax], ecx
    ASSERT_EQ(h.platform.mmio.size(), 1u);
    EXPECT_EQ(h.platform.mmio[0].gpa, c.gpa);
    EXPECT_FALSE(h.platform.mmio[0].write);
    EXPECT_EQ(h.regs.rflags, 0x2 | (c.cf ? kFlagCf : 0) | kFlagZf) << c.offset;  // ZF kept
  }
}

TEST(X86EmuAlu, BtsAndBtr) {
  EmuHarness h = At();
  h.gpr(hv::kRcx) = 3;
  h.ExpectCompleted(h.Run({0x0f, 0xab, 0x08}));  // bts [rax], ecx: bit 3 was clear
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.platform.mmio[1].gpa, kAt);
  EXPECT_EQ(h.platform.mmio[1].data, LeBytes(0xb3b2b1b8, 4));
  EXPECT_FALSE(h.regs.rflags & kFlagCf);
  h.ExpectCompleted(h.Run({0x0f, 0xba, 0x30, 0x24}));  // btr dword [rax], 36: imm mod 32 = bit 4
  ASSERT_EQ(h.platform.mmio.size(), 4u);
  EXPECT_EQ(h.platform.mmio[3].gpa, kAt);
  EXPECT_EQ(h.platform.mmio[3].data, LeBytes(0xb3b2b1a0, 4));
  EXPECT_TRUE(h.regs.rflags & kFlagCf);
  // Register forms: bts edx, ecx writes EDX (zero-extending); bt leaves it.
  h.gpr(hv::kRdx) = 0xffffffff00000000ull;
  h.ExpectCompleted(h.Run({0x0f, 0xab, 0xca}));
  EXPECT_EQ(h.gpr(hv::kRdx), 0x8u);
  EXPECT_FALSE(h.regs.rflags & kFlagCf);
  h.ExpectCompleted(h.Run({0x0f, 0xa3, 0xca}));  // bt edx, ecx
  EXPECT_TRUE(h.regs.rflags & kFlagCf);
  h.ExpectCompleted(h.Run({0x48, 0x0f, 0xb3, 0xca}));  // btr rdx, rcx
  EXPECT_EQ(h.gpr(hv::kRdx), 0u);
  EXPECT_EQ(h.platform.mmio.size(), 4u);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 3 + 4 + 3 + 3 + 4);
}

TEST(X86EmuAlu, SetccToMemory) {
  EmuHarness h = At();
  h.regs.rflags = 0x2 | kFlagZf;
  h.ExpectCompleted(h.Run({0x0f, 0x94, 0x00}));  // sete [rax]
  h.ExpectCompleted(h.Run({0x0f, 0x95, 0x00}));  // setne [rax]
  h.regs.rflags = 0x2 | kFlagSf;
  h.ExpectCompleted(h.Run({0x0f, 0x9c, 0x00}));  // setl [rax]: SF != OF
  h.ExpectCompleted(h.Run({0x0f, 0x9f, 0x00}));  // setg [rax]
  ASSERT_EQ(h.platform.mmio.size(), 4u);
  const std::vector<uint8_t> expect[] = {{1}, {0}, {1}, {0}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(h.platform.mmio[i].write);
    EXPECT_EQ(h.platform.mmio[i].gpa, kAt);
    EXPECT_EQ(h.platform.mmio[i].data, expect[i]) << i;
  }
  EXPECT_EQ(h.regs.rflags, 0x2 | kFlagSf);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 12);
}

}  // namespace
}  // namespace petrel::x86emu
