// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator: MOV (r/m <-> reg at 1, 2, 4, 8 bytes, imm to memory, moffs
// A0-A3, RIP-relative), MOVZX, MOVSX, MOVSXD against an MMIO window and
// RAM; register write rules (SDM 1 3.4.1.1): 32-bit writes zero-extend,
// 8/16-bit writes keep the rest, AH/CH/DH/BH without REX; RIP advances by
// the length; MOV leaves RFLAGS alone. 64-bit, 32-bit protected and real mode.
#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;
using testing::LeBytes;
using testing::MmioValue;

struct StoreCase {
  std::vector<uint8_t> code;
  unsigned size;
};

TEST(X86EmuMov, StoreRegisterToMmioAllSizes) {
  for (const StoreCase& c : {StoreCase{{0x88, 0x08}, 1}, StoreCase{{0x66, 0x89, 0x08}, 2},
                             StoreCase{{0x89, 0x08}, 4}, StoreCase{{0x48, 0x89, 0x08}, 8}}) {
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = EmuHarness::kMmio + 0x40;
    h.regs.rflags = 0x2 | kFlagCf | kFlagZf;
    const hv::Regs before = h.regs;
    h.ExpectCompleted(h.Run(c.code));
    ASSERT_EQ(h.platform.mmio.size(), 1u) << c.size;
    EXPECT_TRUE(h.platform.mmio[0].write);
    EXPECT_EQ(h.platform.mmio[0].gpa, EmuHarness::kMmio + 0x40);
    EXPECT_EQ(h.platform.mmio[0].data, LeBytes(before.gpr[hv::kRcx], c.size));
    EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + c.code.size());
    EXPECT_EQ(h.regs.gpr, before.gpr);
    EXPECT_EQ(h.regs.rflags, before.rflags);
  }
}

TEST(X86EmuMov, LoadFromMmioAllSizesAndWriteRules) {
  const uint64_t at = EmuHarness::kMmio + 0x10;
  struct LoadCase {
    std::vector<uint8_t> code;
    unsigned size;
    uint64_t keep_mask;  // bits of RCX the load leaves alone
  };
  for (const LoadCase& c : {LoadCase{{0x8a, 0x08}, 1, ~0xffull}, LoadCase{{0x66, 0x8b, 0x08}, 2, ~0xffffull},
                            LoadCase{{0x8b, 0x08}, 4, 0}, LoadCase{{0x48, 0x8b, 0x08}, 8, 0}}) {
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = at;
    const uint64_t rcx = h.gpr(hv::kRcx);
    h.ExpectCompleted(h.Run(c.code));
    ASSERT_EQ(h.platform.mmio.size(), 1u);
    EXPECT_FALSE(h.platform.mmio[0].write);
    EXPECT_EQ(h.platform.mmio[0].gpa, at);
    EXPECT_EQ(h.platform.mmio[0].data.size(), c.size);
    EXPECT_EQ(h.gpr(hv::kRcx), (rcx & c.keep_mask) | MmioValue(at, c.size)) << c.size;
    EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + c.code.size());
  }
}

TEST(X86EmuMov, HighByteRegistersVersusRex) {
  EmuHarness h;
  h.Long64();
  const uint64_t at = EmuHarness::kMmio + 0x30;
  h.gpr(hv::kRbx) = at;
  const uint64_t rbx = h.gpr(hv::kRbx), rcx = h.gpr(hv::kRcx), rdi = h.gpr(hv::kRdi), rbp = h.gpr(hv::kRbp);
  h.ExpectCompleted(h.Run({0x88, 0x3b}));  // mov [rbx], bh
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].data, LeBytes(rbx >> 8, 1));
  h.ExpectCompleted(h.Run({0x40, 0x88, 0x3b}));  // mov [rbx], dil
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.platform.mmio[1].data, LeBytes(rdi, 1));
  h.ExpectCompleted(h.Run({0x8a, 0x2b}));  // mov ch, [rbx]
  EXPECT_EQ(h.gpr(hv::kRcx), (rcx & ~0xff00ull) | (MmioValue(at, 1) << 8));
  h.ExpectCompleted(h.Run({0x40, 0x8a, 0x2b}));  // mov bpl, [rbx]
  EXPECT_EQ(h.gpr(hv::kRbp), (rbp & ~0xffull) | MmioValue(at, 1));
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2 + 3 + 2 + 3);
}

TEST(X86EmuMov, ImmediateToMemory) {
  struct ImmCase {
    std::vector<uint8_t> code;
    std::vector<uint8_t> data;
  };
  for (const ImmCase& c : {
           ImmCase{{0xc6, 0x00, 0x5a}, {0x5a}},
           ImmCase{{0x66, 0xc7, 0x00, 0x34, 0x12}, {0x34, 0x12}},
           ImmCase{{0xc7, 0x00, 0x78, 0x56, 0x34, 0x12}, {0x78, 0x56, 0x34, 0x12}},
           ImmCase{{0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff}, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
       }) {
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = EmuHarness::kMmio + 8;
    h.ExpectCompleted(h.Run(c.code));
    ASSERT_EQ(h.platform.mmio.size(), 1u);
    EXPECT_TRUE(h.platform.mmio[0].write);
    EXPECT_EQ(h.platform.mmio[0].gpa, EmuHarness::kMmio + 8);
    EXPECT_EQ(h.platform.mmio[0].data, c.data);
    EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + c.code.size());
  }
}

TEST(X86EmuMov, MoffsForms) {
  const uint64_t at = EmuHarness::kMmio + 0x18;
  const std::vector<uint8_t> off = LeBytes(at, 8);
  auto with_offset = [&](std::vector<uint8_t> op) {
    op.insert(op.end(), off.begin(), off.end());
    return op;
  };
  EmuHarness h;
  h.Long64();
  const uint64_t rax = h.gpr(hv::kRax);
  h.ExpectCompleted(h.Run(with_offset({0xa0})));  // mov al, [moffs]
  EXPECT_EQ(h.gpr(hv::kRax), (rax & ~0xffull) | MmioValue(at, 1));
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 9);
  h.ExpectCompleted(h.Run(with_offset({0xa1})));  // mov eax, [moffs]
  EXPECT_EQ(h.gpr(hv::kRax), MmioValue(at, 4));
  h.gpr(hv::kRax) = 0x1122334455667788ull;
  h.ExpectCompleted(h.Run(with_offset({0xa2})));  // mov [moffs], al
  h.ExpectCompleted(h.Run(with_offset({0x48, 0xa3})));  // mov [moffs], rax
  ASSERT_EQ(h.platform.mmio.size(), 4u);
  EXPECT_EQ(h.platform.mmio[2].gpa, at);
  EXPECT_EQ(h.platform.mmio[2].data, LeBytes(0x88, 1));
  EXPECT_EQ(h.platform.mmio[3].gpa, at);
  EXPECT_EQ(h.platform.mmio[3].data, LeBytes(0x1122334455667788ull, 8));
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 9 + 9 + 9 + 10);
}

TEST(X86EmuMov, RipRelative) {
  EmuHarness h;
  h.Long64();
  // mov eax, [rip + disp32]; the next RIP is kCodeGpa + 6; the target is the MMIO page + 4.
  const int32_t disp = static_cast<int32_t>(EmuHarness::kMmioPageGva + 4 - (EmuHarness::kCodeGpa + 6));
  std::vector<uint8_t> code = {0x8b, 0x05};
  for (uint8_t b : LeBytes(static_cast<uint32_t>(disp), 4)) code.push_back(b);
  h.ExpectCompleted(h.Run(code));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, EmuHarness::kMmio + 4);
  EXPECT_EQ(h.gpr(hv::kRax), MmioValue(EmuHarness::kMmio + 4, 4));
}

TEST(X86EmuMov, SibAddressingAndFsBase) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRbx) = EmuHarness::kMmio;
  h.gpr(hv::kRcx) = 3;
  h.ExpectCompleted(h.Run({0x89, 0x54, 0x8b, 0x10}));  // mov [rbx+rcx*4+0x10], edx
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, EmuHarness::kMmio + 0x1c);
  h.sregs.fs.base = EmuHarness::kMmio + 0x100;
  h.gpr(hv::kRax) = 0x20;
  h.ExpectCompleted(h.Run({0x64, 0x89, 0x10}));  // mov fs:[rax], edx
  ASSERT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.platform.mmio[1].gpa, EmuHarness::kMmio + 0x120);
  // DS's base is ignored in 64-bit mode (SDM 3A 3.4.4).
  h.sregs.ds.base = 0x1000;
  h.gpr(hv::kRax) = EmuHarness::kMmio;
  h.ExpectCompleted(h.Run({0x89, 0x10}));
  EXPECT_EQ(h.platform.mmio[2].gpa, EmuHarness::kMmio);
}

TEST(X86EmuMov, ExtendForms) {
  const uint64_t at = EmuHarness::kMmio + 0x10;  // reads b0 b1 b2 b3: negative at every size
  struct ExtendCase {
    std::vector<uint8_t> code;
    uint64_t keep_mask;
    uint64_t value;
  };
  for (const ExtendCase& c : {
           ExtendCase{{0x0f, 0xb6, 0x08}, 0, 0xb0},                                   // movzx ecx, byte
           ExtendCase{{0x66, 0x0f, 0xb6, 0x08}, ~0xffffull, 0x00b0},                  // movzx cx, byte
           ExtendCase{{0x48, 0x0f, 0xb7, 0x08}, 0, 0xb1b0},                           // movzx rcx, word
           ExtendCase{{0x0f, 0xbe, 0x08}, 0, 0xffffffb0},                             // movsx ecx, byte
           ExtendCase{{0x66, 0x0f, 0xbe, 0x08}, ~0xffffull, 0xffb0},                  // movsx cx, byte
           ExtendCase{{0x48, 0x0f, 0xbf, 0x08}, 0, 0xffffffffffffb1b0ull},            // movsx rcx, word
           ExtendCase{{0x48, 0x63, 0x08}, 0, 0xffffffffb3b2b1b0ull},                  // movsxd rcx, dword
       }) {
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = at;
    const uint64_t rcx = h.gpr(hv::kRcx);
    h.ExpectCompleted(h.Run(c.code));
    ASSERT_EQ(h.platform.mmio.size(), 1u);
    EXPECT_FALSE(h.platform.mmio[0].write);
    EXPECT_EQ(h.gpr(hv::kRcx), (rcx & c.keep_mask) | c.value) << std::hex << c.value;
    EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + c.code.size());
  }
}

TEST(X86EmuMov, Protected32) {
  EmuHarness h;
  h.Protected32();
  h.gpr(hv::kRax) = 0xffffffff00000000ull | (EmuHarness::kMmio + 4);  // upper bits ignored
  h.ExpectCompleted(h.Run({0x89, 0x08}));  // mov [eax], ecx
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, EmuHarness::kMmio + 4);
  EXPECT_EQ(h.platform.mmio[0].data, LeBytes(h.gpr(hv::kRcx), 4));
  h.ExpectCompleted(h.Run({0x66, 0x8b, 0x08}));  // mov cx, [eax]
  EXPECT_EQ(h.platform.mmio[1].data.size(), 2u);
  h.ExpectCompleted(h.Run({0xa1, 0x00, 0x01, 0x00, 0xfe}));  // mov eax, [0xfe000100]
  EXPECT_EQ(h.platform.mmio[2].gpa, EmuHarness::kMmio + 0x100);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2 + 3 + 5);
  // A DS base applies outside 64-bit mode.
  h.sregs.ds.base = 0x100;
  h.gpr(hv::kRax) = EmuHarness::kMmio;
  h.ExpectCompleted(h.Run({0x89, 0x08}));
  EXPECT_EQ(h.platform.mmio[3].gpa, EmuHarness::kMmio + 0x100);
}

TEST(X86EmuMov, Real16AddressWrapAndPrefixes) {
  EmuHarness h;
  h.Real16();
  h.sregs.ds.base = EmuHarness::kDataGpa;
  h.gpr(hv::kRbx) = 0xfffe;
  h.gpr(hv::kRsi) = 4;
  h.gpr(hv::kRax) = 0x1122334455667788ull;
  h.ExpectCompleted(h.Run({0x89, 0x00}));  // mov [bx+si], ax: offset wraps to 2
  EXPECT_EQ(h.platform.Peek(EmuHarness::kDataGpa + 2, 2), 0x7788u);
  h.gpr(hv::kRbx) = 0xfff0;
  h.ExpectCompleted(h.Run({0x66, 0x89, 0x07}));  // mov [bx], eax: 4 bytes
  EXPECT_EQ(h.platform.Peek(EmuHarness::kDataGpa + 0xfff0, 4), 0x55667788u);
  EXPECT_EQ(h.regs.rip, (EmuHarness::kCodeGpa & 0xffff) + 2 + 3);
  // The same at 0xfffe would end past the 64 KiB limit: #GP(0) (SDM 3A 20.1.1), nothing written.
  h.gpr(hv::kRbx) = 0xfffe;
  Fault f = h.ExpectFault(h.Run({0x66, 0x89, 0x07}));
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(h.platform.Peek(EmuHarness::kDataGpa + 0xfffe, 2), 0u);
  EXPECT_EQ(h.regs.rip, (EmuHarness::kCodeGpa & 0xffff) + 5);
  // 0x67: [ebx] with a 32-bit offset; beyond the 64 KiB limit it is #GP(0).
  h.gpr(hv::kRbx) = 0x10000;
  f = h.ExpectFault(h.Run({0x67, 0x89, 0x03}));
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(f.error_code, 0u);
  EXPECT_EQ(h.regs.rip, (EmuHarness::kCodeGpa & 0xffff) + 5);
}

}  // namespace
}  // namespace petrel::x86emu
