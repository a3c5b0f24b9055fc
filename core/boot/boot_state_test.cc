// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the boot vCPU state and its GDT / page tables.
#include "core/boot/boot_state.h"

#include <gtest/gtest.h>

#include "core/arch/x86_layout.h"

namespace petrel::boot {
namespace {

TEST(BootStateTest, LongModeRegisters) {
  const hv::BootVcpuState st = LongModeBootState(0x100200, 0x7000);
  EXPECT_EQ(st.regs.rip, 0x100200u);
  EXPECT_EQ(st.regs.gpr[hv::kRsi], 0x7000u);
  EXPECT_EQ(st.regs.gpr[hv::kRsp], 0x8ff0u);
  EXPECT_EQ(st.regs.rflags, 2u);
  EXPECT_EQ(st.sregs.cr0 & (kCr0Pe | kCr0Pg), kCr0Pe | kCr0Pg);
  EXPECT_EQ(st.sregs.cr3, 0x9000u);
  EXPECT_EQ(st.sregs.cr4 & kCr4Pae, kCr4Pae);
  EXPECT_EQ(st.sregs.efer, kEferLme | kEferLma);
  EXPECT_TRUE(st.sregs.cs.l);
  EXPECT_FALSE(st.sregs.cs.db);
  EXPECT_EQ(st.sregs.cs.selector, 0x10);
  EXPECT_EQ(st.sregs.cs.type, 0xb);
  EXPECT_EQ(st.sregs.ds.selector, 0x18);
  EXPECT_EQ(st.sregs.ss.type, 0x3);
  EXPECT_EQ(st.sregs.gdt.base, 0x500u);
  EXPECT_EQ(st.sregs.gdt.limit, 31);
  EXPECT_EQ(st.sregs.idt.base, 0x520u);
}

TEST(BootStateTest, PvhRegisters) {
  const hv::BootVcpuState st = PvhBootState(0x1000040, 0x6000);
  EXPECT_EQ(st.regs.rip, 0x1000040u);
  EXPECT_EQ(st.regs.gpr[hv::kRbx], 0x6000u);
  EXPECT_EQ(st.sregs.cr0, kCr0Pe | kCr0Et);
  EXPECT_EQ(st.sregs.cr4, 0u);
  EXPECT_EQ(st.sregs.efer, 0u);
  EXPECT_EQ(st.sregs.cs.type, 0xb);
  EXPECT_TRUE(st.sregs.cs.db);
  EXPECT_TRUE(st.sregs.cs.g);
  EXPECT_FALSE(st.sregs.cs.l);
  EXPECT_EQ(st.sregs.cs.base, 0u);
  EXPECT_EQ(st.sregs.cs.limit, 0xffffffffu);  // byte-granular 4 GiB (GDT limit 0xfffff, g=1)
  EXPECT_EQ(st.sregs.ds.type, 0x3);
  EXPECT_EQ(st.sregs.tr.type, 0xb);
  EXPECT_TRUE(st.sregs.tr.present);
}

TEST(BootStateTest, LongModeTables) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  ASSERT_TRUE(WriteLongModeTables(*memory).ok());
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x500).value(), 0u);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x508).value(), 0u);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x510).value(), 0x00af9b000000ffffULL);  // code64
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x518).value(), 0x00cf93000000ffffULL);  // data
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x9000).value(), 0xa003u);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0xa000).value(), 0xb003u);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0xb000).value(), 0x83u);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0xb000 + 511 * 8).value(), (511ULL << 21) | 0x83);
  EXPECT_EQ(memory->ReadObj<uint64_t>(0xc000).value(), 0u);  // only 1 GiB mapped
}

TEST(BootStateTest, ProtectedModeGdt) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  ASSERT_TRUE(WriteProtectedModeTables(*memory).ok());
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x510).value(), 0x00cf9b000000ffffULL);  // code32
  EXPECT_EQ(memory->ReadObj<uint64_t>(0x518).value(), 0x00cf93000000ffffULL);
}

}  // namespace
}  // namespace petrel::boot
