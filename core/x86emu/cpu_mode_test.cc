// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DetermineMode: every mode from CR0.PE, EFER.LMA, RFLAGS.VM, CS.L, CS.D.
#include "core/x86emu/cpu_mode.h"

#include <gtest/gtest.h>

namespace petrel::x86emu {
namespace {

hv::Segment Cs(bool l, bool d) {
  hv::Segment cs;
  cs.l = l;
  cs.db = d;
  return cs;
}

TEST(X86EmuCpuMode, FromControlState) {
  EXPECT_EQ(DetermineMode(0, 0, 2, Cs(false, false)).mode, CpuMode::kReal16);
  EXPECT_EQ(DetermineMode(0, 0, 2, Cs(false, true)).mode, CpuMode::kReal16);  // PE=0 wins
  EXPECT_EQ(DetermineMode(kCr0Pe, 0, 2, Cs(false, false)).mode, CpuMode::kProtected16);
  EXPECT_EQ(DetermineMode(kCr0Pe, 0, 2, Cs(false, true)).mode, CpuMode::kProtected32);
  EXPECT_EQ(DetermineMode(kCr0Pe, 0, 2 | kRflagsVm, Cs(false, true)).mode, CpuMode::kVirtual8086);
  EXPECT_EQ(DetermineMode(kCr0Pe | kCr0Pg, kEferLma, 2, Cs(true, false)).mode, CpuMode::kLong64);
  EXPECT_EQ(DetermineMode(kCr0Pe | kCr0Pg, kEferLma, 2, Cs(false, true)).mode, CpuMode::kCompat32);
  EXPECT_EQ(DetermineMode(kCr0Pe | kCr0Pg, kEferLma, 2, Cs(false, false)).mode, CpuMode::kCompat16);
  // CS.L without EFER.LMA is ignored (SDM 3A 5.2.1): 32-bit protected mode.
  EXPECT_EQ(DetermineMode(kCr0Pe, 0, 2, Cs(true, true)).mode, CpuMode::kProtected32);
  EXPECT_TRUE(DetermineMode(kCr0Pe | kCr0Pg, kEferLma, 2, Cs(true, false)).ok);
  EXPECT_FALSE(DetermineMode(kCr0Pe | kCr0Pg, kEferLma, 2, Cs(true, true)).ok);
}

TEST(X86EmuCpuMode, DefaultAddressSizes) {
  EXPECT_EQ(AddressSizeOf(CpuMode::kLong64), 8u);
  EXPECT_EQ(AddressSizeOf(CpuMode::kCompat32), 4u);
  EXPECT_EQ(AddressSizeOf(CpuMode::kProtected32), 4u);
  EXPECT_EQ(AddressSizeOf(CpuMode::kProtected16), 2u);
  EXPECT_EQ(AddressSizeOf(CpuMode::kReal16), 2u);
}

}  // namespace
}  // namespace petrel::x86emu
