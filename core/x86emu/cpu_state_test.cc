// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuState: registers are read once, on first use; Flush writes only the
// changed ones, in one batch, and nothing when nothing changed.
#include "core/x86emu/cpu_state.h"

#include <gtest/gtest.h>

#include <vector>

namespace petrel::x86emu {
namespace {

class CountingFile : public RegisterFile {
 public:
  Result<uint64_t> Read(Reg reg) override {
    reads.push_back(reg);
    return 100 + static_cast<uint64_t>(reg);
  }
  Result<hv::Segment> ReadSegment(SegReg) override {
    ++segment_reads;
    hv::Segment s;
    s.base = 0x1000;
    return s;
  }
  Result<void> Write(std::span<const RegisterWrite> w) override {
    batches.emplace_back(w.begin(), w.end());
    return Ok();
  }
  std::vector<Reg> reads;
  int segment_reads = 0;
  std::vector<std::vector<RegisterWrite>> batches;
};

TEST(X86EmuCpuState, LoadsLazilyOnce) {
  CountingFile file;
  CpuState cpu(file);
  EXPECT_TRUE(file.reads.empty());
  EXPECT_EQ(*cpu.Get(Reg::kRip), 100u + 16);
  EXPECT_EQ(*cpu.Get(Reg::kRip), 100u + 16);
  EXPECT_EQ(*cpu.Get(GprReg(3)), 103u);
  ASSERT_EQ(file.reads.size(), 2u);
  EXPECT_EQ(file.reads[0], Reg::kRip);
  EXPECT_EQ(file.reads[1], GprReg(3));
  EXPECT_EQ(cpu.GetSegment(SegReg::kFs)->base, 0x1000u);
  EXPECT_EQ(cpu.GetSegment(SegReg::kFs)->base, 0x1000u);
  EXPECT_EQ(file.segment_reads, 1);
}

TEST(X86EmuCpuState, FlushWritesOnlyDirtyRegistersOnce) {
  CountingFile file;
  CpuState cpu(file);
  ASSERT_TRUE(cpu.Flush().ok());
  EXPECT_TRUE(file.batches.empty());  // nothing changed: no write at all
  (void)cpu.Get(GprReg(0));
  cpu.Set(GprReg(5), 55);             // set without a read: no read needed
  cpu.Set(Reg::kRip, 77);
  EXPECT_EQ(*cpu.Get(GprReg(5)), 55u);
  ASSERT_EQ(file.reads.size(), 1u);
  ASSERT_TRUE(cpu.Flush().ok());
  ASSERT_EQ(file.batches.size(), 1u);
  ASSERT_EQ(file.batches[0].size(), 2u);
  EXPECT_EQ(file.batches[0][0].reg, GprReg(5));
  EXPECT_EQ(file.batches[0][0].value, 55u);
  EXPECT_EQ(file.batches[0][1].reg, Reg::kRip);
  EXPECT_EQ(cpu.dirty_mask(), 0u);
  ASSERT_TRUE(cpu.Flush().ok());
  EXPECT_EQ(file.batches.size(), 1u);
}

TEST(X86EmuCpuState, StructFileRoundTrip) {
  hv::Regs regs;
  hv::Sregs sregs;
  regs.gpr[hv::kRbx] = 9;
  sregs.cr3 = 0x5000;
  sregs.gs.base = 0xabc;
  StructRegisterFile file(regs, sregs);
  CpuState cpu(file);
  EXPECT_EQ(*cpu.Get(GprReg(hv::kRbx)), 9u);
  EXPECT_EQ(*cpu.Get(Reg::kCr3), 0x5000u);
  EXPECT_EQ(cpu.GetSegment(SegReg::kGs)->base, 0xabcu);
  cpu.Set(GprReg(hv::kRbx), 10);
  cpu.Set(Reg::kRflags, 0x202);
  ASSERT_TRUE(cpu.Flush().ok());
  EXPECT_EQ(regs.gpr[hv::kRbx], 10u);
  EXPECT_EQ(regs.rflags, 0x202u);
  // The sim profile writes control registers, segments and GDTR/IDTR too.
  const RegisterWrite crs[] = {{Reg::kCr0, 0x80000011}, {Reg::kCr2, 0x1234}, {Reg::kCr8, 0xf}};
  ASSERT_TRUE(file.Write(crs).ok());
  EXPECT_EQ(sregs.cr0, 0x80000011u);
  EXPECT_EQ(sregs.cr2, 0x1234u);
  EXPECT_EQ(sregs.cr8, 0xfu);
  const RegisterWrite bad{Reg::kCount, 1};
  EXPECT_FALSE(file.Write(std::span(&bad, 1)).ok());
  hv::Segment cs;
  cs.selector = 0x10;
  cs.l = true;
  cpu.SetSegment(SegReg::kCs, cs);
  cpu.SetTable(TableReg::kIdtr, hv::DescriptorTable{0x9000, 0xfff});
  EXPECT_NE(cpu.dirty_mask(), 0u);
  ASSERT_TRUE(cpu.Flush().ok());
  EXPECT_EQ(sregs.cs, cs);
  EXPECT_EQ(sregs.idt, (hv::DescriptorTable{0x9000, 0xfff}));
  EXPECT_EQ(*file.ReadDescriptorTable(TableReg::kIdtr), (hv::DescriptorTable{0x9000, 0xfff}));
  EXPECT_EQ(cpu.dirty_mask(), 0u);
}

// A RegisterFile that implements only the mmio profile's methods refuses
// segment and descriptor-table access with kUnsupported.
TEST(X86EmuCpuState, DefaultFileRefusesSegmentAndTableWrites) {
  CountingFile file;
  EXPECT_EQ(file.WriteSegment(SegReg::kCs, hv::Segment{}).error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(file.ReadDescriptorTable(TableReg::kGdtr).error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(file.WriteDescriptorTable(TableReg::kGdtr, {}).error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace petrel::x86emu
