// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DeliverInterrupt/DeliverException and INT n/INT3/IRET (SDM 3A 6.12-6.14,
// 20.1.4; 2A INT n, IRET): 64-bit gates with the 16-byte-aligned SS:RSP
// frame, 32-bit interrupt and trap gates (IF cleared or kept), real-mode
// IVT, the handler's CS from the GDT, error codes, IRET back to the
// interrupted code; #GP with the IDT error code for a vector beyond the
// IDT, #NP for a gate not present, Unsupported for a task gate and a
// privilege change; and LGDT/LIDT/SGDT/SIDT and MOV to/from CRn.
#include "core/x86emu/interrupt.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;

constexpr uint64_t kGdt = 0x40000;
constexpr uint64_t kIdt = 0x41000;
constexpr uint64_t kStack = 0x30008;  // not 16-byte aligned: the 64-bit frame aligns it
constexpr uint16_t kCode64 = 0x08, kData = 0x10, kCode32 = 0x18;
// SDM 3A Figure 3-8: G, L/D, P, DPL 0, S, type.
constexpr uint64_t kCode64Descriptor = 0x00af9b000000ffffull;
constexpr uint64_t kDataDescriptor = 0x00cf93000000ffffull;
constexpr uint64_t kCode32Descriptor = 0x00cf9b000000ffffull;
constexpr uint64_t kIf = 1ull << 9;
constexpr uint64_t kTf = 1ull << 8;

uint64_t Gate32(uint32_t offset, uint16_t selector, uint8_t type, bool present = true, uint8_t dpl = 0) {
  return (offset & 0xffffull) | (uint64_t{selector} << 16) | (uint64_t{type} << 40) |
         (uint64_t{dpl} << 45) | (uint64_t{present} << 47) | (uint64_t{offset >> 16} << 48);
}

class InterruptTest : public ::testing::Test {
 protected:
  InterruptTest() { h.options.profile = Profile::kSim; }
  void Gdt() {
    h.platform.Poke64(kGdt + kCode64, kCode64Descriptor);
    h.platform.Poke64(kGdt + kData, kDataDescriptor);
    h.platform.Poke64(kGdt + kCode32, kCode32Descriptor);
    h.sregs.gdt = {kGdt, 0x1f};
  }
  void Long() {
    h.Long64();
    Gdt();
    h.sregs.cs.selector = kCode64;
    h.sregs.ss.selector = kData;
    h.sregs.idt = {kIdt, 0xfff};
    h.regs.gpr[hv::kRsp] = kStack;
  }
  void Prot() {
    h.Protected32();
    Gdt();
    h.sregs.cs.selector = kCode32;
    h.sregs.ss.selector = kData;
    h.sregs.idt = {kIdt, 0x7ff};
    h.regs.gpr[hv::kRsp] = kStack;
  }
  void Gate64(uint8_t vector, uint64_t offset, uint8_t type = 0xe, uint8_t ist = 0) {
    h.platform.Poke64(kIdt + 16 * vector,
                      Gate32(static_cast<uint32_t>(offset), kCode64, type) | (uint64_t{ist} << 32));
    h.platform.Poke64(kIdt + 16 * vector + 8, offset >> 32);
  }
  Result<Outcome> Interrupt(uint8_t vector) {
    CpuState cpu(h.file);
    return DeliverInterrupt(cpu, h.platform, vector);
  }
  EmuHarness h;
};

TEST_F(InterruptTest, ExternalInterruptIn64BitModeAndIretqBack) {
  Long();
  Gate64(0x30, 0x15000);
  h.regs.rflags = 0x2 | kIf | kTf | kFlagCf;
  const uint64_t rip = h.regs.rip;
  h.ExpectCompleted(Interrupt(0x30));
  EXPECT_EQ(h.regs.rip, 0x15000u);
  EXPECT_EQ(h.sregs.cs.selector, kCode64);
  EXPECT_TRUE(h.sregs.cs.l);
  EXPECT_EQ(h.regs.rflags, 0x2u | kFlagCf);  // IF and TF cleared by an interrupt gate
  // RSP aligned down to 16 (0x30000), then SS, RSP, RFLAGS, CS, RIP.
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x30000u - 40);
  EXPECT_EQ(h.platform.Peek(0x30000 - 8, 8), kData);
  EXPECT_EQ(h.platform.Peek(0x30000 - 16, 8), kStack);
  EXPECT_EQ(h.platform.Peek(0x30000 - 24, 8), 0x2u | kIf | kTf | kFlagCf);
  EXPECT_EQ(h.platform.Peek(0x30000 - 32, 8), kCode64);
  EXPECT_EQ(h.platform.Peek(0x30000 - 40, 8), rip);
  h.ExpectCompleted(h.Run({0x48, 0xcf}));  // iretq
  EXPECT_EQ(h.regs.rip, rip);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  EXPECT_EQ(h.regs.rflags, 0x2u | kIf | kTf | kFlagCf);
  EXPECT_EQ(h.sregs.ss.selector, kData);
  EXPECT_EQ(h.sregs.cs.selector, kCode64);
}

TEST_F(InterruptTest, IntNIn64BitModeReturnsAfterTheInstructionAndTrapGateKeepsIf) {
  Long();
  Gate64(0x80, 0x16000, /*trap*/ 0xf);
  h.regs.rflags = 0x2 | kIf;
  const uint64_t rip = h.regs.rip;
  h.ExpectCompleted(h.Run({0xcd, 0x80}));
  EXPECT_EQ(h.regs.rip, 0x16000u);
  EXPECT_EQ(h.regs.rflags, 0x2u | kIf);
  EXPECT_EQ(h.platform.Peek(h.regs.gpr[hv::kRsp], 8), rip + 2);
}

TEST_F(InterruptTest, ExceptionWithErrorCodeAndCr2) {
  Long();
  Gate64(kVectorPf, 0x17000);
  CpuState cpu(h.file);
  h.ExpectCompleted(DeliverException(cpu, h.platform, Fault{kVectorPf, 0x6u, 0xdead000}));
  EXPECT_EQ(h.sregs.cr2, 0xdead000u);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x30000u - 48);
  EXPECT_EQ(h.platform.Peek(0x30000 - 48, 8), 0x6u);  // the error code, on top
  EXPECT_EQ(h.platform.Peek(0x30000 - 40, 8), EmuHarness::kCodeGpa);  // the faulting RIP
}

TEST_F(InterruptTest, VectorBeyondTheIdtIsGpWithTheIdtErrorCode) {
  Long();
  h.sregs.idt.limit = 16 * 0x20 - 1;
  const hv::Regs before = h.regs;
  const Fault f = h.ExpectFault(Interrupt(0x20));
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(f.error_code, 0x20u * 8 + 2 + 1);  // IDT, EXT
  EXPECT_EQ(h.regs, before);
}

TEST_F(InterruptTest, GateNotPresentIsNpAndBadCodeSegmentIsGp) {
  Long();
  h.platform.Poke64(kIdt + 16 * 0x31, Gate32(0x1000, kCode64, 0xe, /*present=*/false));
  const Fault np = h.ExpectFault(h.Run({0xcd, 0x31}));
  EXPECT_EQ(np.vector, kVectorNp);
  EXPECT_EQ(np.error_code, 0x31u * 8 + 2);  // software: EXT = 0
  h.platform.Poke64(kIdt + 16 * 0x32, Gate32(0x1000, kData, 0xe));  // a data segment
  const Fault gp = h.ExpectFault(Interrupt(0x32));
  EXPECT_EQ(gp.vector, kVectorGp);
  EXPECT_EQ(gp.error_code, kData + 1u);
  h.platform.Poke64(kIdt + 16 * 0x33, Gate32(0x1000, 0x40, 0xe));  // beyond the GDT limit
  EXPECT_EQ(h.ExpectFault(Interrupt(0x33)).error_code, 0x40u + 1);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
}

TEST_F(InterruptTest, SoftwareInterruptThroughAGateBelowCplIsGp) {
  Long();
  h.platform.Poke64(kIdt + 16 * 0x40, Gate32(0x1000, kCode64, 0xe, true, /*dpl=*/0));
  h.sregs.cs.selector = kCode64 | 3;  // CPL 3 (the gate check comes first)
  const Fault f = h.ExpectFault(h.Run({0xcd, 0x40}));
  EXPECT_EQ(f.vector, kVectorGp);
  EXPECT_EQ(f.error_code, 0x40u * 8 + 2);
  // An external interrupt from CPL 3 needs a stack switch: unsupported.
  auto r = Interrupt(0x40);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<Unsupported>(*r)) << DescribeOutcome(*r);
}

TEST_F(InterruptTest, IstAndTaskGatesAreUnsupportedAndChangeNothing) {
  Long();
  Gate64(0x50, 0x1000, 0xe, /*ist=*/1);
  const hv::Regs before = h.regs;
  auto r = Interrupt(0x50);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(std::holds_alternative<Unsupported>(*r));
  EXPECT_EQ(std::get<Unsupported>(*r).reason, "an IST stack switch");
  EXPECT_EQ(h.regs, before);
  EXPECT_EQ(h.file.batches, 0);
}

TEST_F(InterruptTest, TaskGateIsUnsupportedAndChangesNothing) {
  Prot();
  h.platform.Poke64(kIdt + 8 * 0x51, Gate32(0, 0x28, 0x5));
  auto task = h.Run({0xcd, 0x51});
  ASSERT_TRUE(task.ok());
  ASSERT_TRUE(std::holds_alternative<Unsupported>(*task));
  EXPECT_EQ(std::get<Unsupported>(*task).reason, "a task gate");
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  EXPECT_EQ(h.file.batches, 0);
}

TEST_F(InterruptTest, ProtectedModeInterruptGateFrameAndIretd) {
  Prot();
  h.platform.Poke64(kIdt + 8 * 0x21, Gate32(0x18000, kCode32, 0xe));
  h.regs.rflags = 0x2 | kIf;
  const uint64_t rip = h.regs.rip;
  h.ExpectCompleted(Interrupt(0x21));
  EXPECT_EQ(h.regs.rip, 0x18000u);
  EXPECT_EQ(h.regs.rflags, 0x2u);
  EXPECT_EQ(h.sregs.cs.selector, kCode32);
  EXPECT_TRUE(h.sregs.cs.db);
  EXPECT_EQ(h.sregs.cs.limit, 0xffffffffu);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack - 12);  // EFLAGS, CS, EIP: no alignment
  EXPECT_EQ(h.platform.Peek(kStack - 4, 4), 0x2u | kIf);
  EXPECT_EQ(h.platform.Peek(kStack - 8, 4), kCode32);
  EXPECT_EQ(h.platform.Peek(kStack - 12, 4), rip);
  h.ExpectCompleted(h.Run({0xcf}));  // iretd
  EXPECT_EQ(h.regs.rip, rip);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
  EXPECT_EQ(h.regs.rflags, 0x2u | kIf);
}

TEST_F(InterruptTest, Int3PushesAnErrorlessFrameThroughATrapGate) {
  Prot();
  h.platform.Poke64(kIdt + 8 * kVectorBp, Gate32(0x18000, kCode32, 0xf, true, 3));
  h.regs.rflags = 0x2 | kIf;
  h.ExpectCompleted(h.Run({0xcc}));
  EXPECT_EQ(h.regs.rflags, 0x2u | kIf);
  EXPECT_EQ(h.platform.Peek(kStack - 12, 4), EmuHarness::kCodeGpa + 1);
}

TEST_F(InterruptTest, IretToAnOuterPrivilegeLevelIsUnsupported) {
  Prot();
  h.platform.Poke(kStack, std::vector<uint8_t>{0x00, 0x10, 0, 0, kCode32 | 3, 0, 0, 0, 2, 0, 0, 0});
  auto r = h.Run({0xcf});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(std::holds_alternative<Unsupported>(*r));
  EXPECT_EQ(h.regs.gpr[hv::kRsp], kStack);
}

TEST_F(InterruptTest, RealModeIvt) {
  h.Real16();
  h.regs.gpr[hv::kRsp] = 0x8000;
  h.sregs.idt = {0, 0x3ff};
  h.platform.Poke(4 * 0x10, std::vector<uint8_t>{0x34, 0x12, 0x00, 0x20});  // 2000:1234
  h.regs.rflags = 0x2 | kIf;
  const uint64_t ip = h.regs.rip;
  const uint16_t cs = h.sregs.cs.selector;
  h.ExpectCompleted(h.Run({0xcd, 0x10}));
  EXPECT_EQ(h.regs.rip, 0x1234u);
  EXPECT_EQ(h.sregs.cs.selector, 0x2000u);
  EXPECT_EQ(h.sregs.cs.base, 0x20000u);
  EXPECT_EQ(h.regs.rflags, 0x2u);
  EXPECT_EQ(h.regs.gpr[hv::kRsp], 0x8000u - 6);
  EXPECT_EQ(h.platform.Peek(0x8000 - 2, 2), 0x2u | kIf);
  EXPECT_EQ(h.platform.Peek(0x8000 - 4, 2), cs);
  EXPECT_EQ(h.platform.Peek(0x8000 - 6, 2), ip + 2);
  h.platform.Poke(0x20000 + 0x1234, std::vector<uint8_t>{0xcf});  // iret
  h.ExpectCompleted(h.Step());
  EXPECT_EQ(h.regs.rip, ip + 2);
  EXPECT_EQ(h.sregs.cs.selector, cs);
  EXPECT_EQ(h.regs.rflags, 0x2u | kIf);
}

TEST_F(InterruptTest, LgdtLidtSgdtSidt) {
  Long();
  h.platform.Poke(0x20000, std::vector<uint8_t>{0xff, 0x0f, 0x00, 0x50, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00});
  h.regs.gpr[hv::kRax] = 0x20000;
  h.ExpectCompleted(h.Run({0x0f, 0x01, 0x18}));  // lidt [rax]
  EXPECT_EQ(h.sregs.idt, (hv::DescriptorTable{0x45000, 0xfff}));
  h.ExpectCompleted(h.Run({0x0f, 0x01, 0x10}));  // lgdt [rax]
  EXPECT_EQ(h.sregs.gdt, (hv::DescriptorTable{0x45000, 0xfff}));
  h.regs.gpr[hv::kRbx] = 0x20100;
  h.ExpectCompleted(h.Run({0x0f, 0x01, 0x0b}));  // sidt [rbx]
  EXPECT_EQ(h.platform.Peek(0x20100, 2), 0xfffu);
  EXPECT_EQ(h.platform.Peek(0x20102, 8), 0x45000u);
  h.regs.gpr[hv::kRax] = EmuHarness::kNotPresentGva;
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x01, 0x10})).vector, kVectorPf);
  // Protected mode: a 4-byte base; with a 16-bit operand only 24 bits.
  h.Protected32();
  h.platform.Poke(0x20000, std::vector<uint8_t>{0x07, 0x00, 0x78, 0x56, 0x34, 0x12});
  h.regs.gpr[hv::kRax] = 0x20000;
  h.ExpectCompleted(h.Run({0x0f, 0x01, 0x10}));
  EXPECT_EQ(h.sregs.gdt, (hv::DescriptorTable{0x12345678, 7}));
  h.ExpectCompleted(h.Run({0x66, 0x0f, 0x01, 0x10}));
  EXPECT_EQ(h.sregs.gdt, (hv::DescriptorTable{0x345678, 7}));
}

TEST_F(InterruptTest, MovToAndFromControlRegisters) {
  Long();
  h.regs.gpr[hv::kRax] = 0x1000 | 0x8;  // the same tables, PWT
  h.ExpectCompleted(h.Run({0x0f, 0x22, 0xd8}));  // mov cr3, rax
  EXPECT_EQ(h.sregs.cr3, 0x1008u);
  h.ExpectCompleted(h.Run({0x0f, 0x20, 0xc1}));  // mov rcx, cr0
  EXPECT_EQ(h.regs.gpr[hv::kRcx], h.sregs.cr0);
  h.regs.gpr[hv::kRax] = 0x5;
  h.ExpectCompleted(h.Run({0x44, 0x0f, 0x22, 0xc0}));  // mov cr8, rax
  EXPECT_EQ(h.sregs.cr8, 5u);
  h.regs.gpr[hv::kRax] = 0x10;
  EXPECT_EQ(h.ExpectFault(h.Run({0x44, 0x0f, 0x22, 0xc0})).vector, kVectorGp);  // CR8 bits 63:4
  h.regs.gpr[hv::kRax] = h.sregs.cr4 & ~kCr4Pae;
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x22, 0xe0})).vector, kVectorGp);  // clear PAE in IA-32e
  h.regs.gpr[hv::kRax] = h.sregs.cr0 & ~kCr0Pg;
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x22, 0xc0})).vector, kVectorGp);  // clear PG in 64-bit mode
  h.regs.gpr[hv::kRax] = 1ull << 40;
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x22, 0xe0})).vector, kVectorGp);  // reserved CR4 bit
  EXPECT_EQ(h.sregs.cr8, 5u);
}

TEST_F(InterruptTest, EnteringLongModeByCr0SetsLma) {
  h.Protected32();
  h.sregs.cr4 = kCr4Pae;
  h.sregs.efer = 1ull << 8;  // LME
  h.regs.gpr[hv::kRax] = kCr0Pe | kCr0Pg;
  h.ExpectCompleted(h.Run({0x0f, 0x22, 0xc0}));  // mov cr0, eax
  EXPECT_EQ(h.sregs.cr0, kCr0Pe | kCr0Pg | 0x10);  // ET reads as 1
  EXPECT_EQ(h.sregs.efer, (1ull << 8) | kEferLma);
  // Without PAE, setting PG with LME is #GP(0).
  h.sregs.cr0 = kCr0Pe;
  h.sregs.cr4 = 0;
  h.sregs.efer = 1ull << 8;
  EXPECT_EQ(h.ExpectFault(h.Run({0x0f, 0x22, 0xc0})).vector, kVectorGp);
  EXPECT_EQ(h.sregs.cr0, kCr0Pe);
}

}  // namespace
}  // namespace petrel::x86emu
