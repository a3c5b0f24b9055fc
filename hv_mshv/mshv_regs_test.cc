// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the register list conversions and the MSHV_ROOT_HVCALL register
// encoding (mshv_regs.h, mshv_hvcall.h).
#include "hv_mshv/mshv_regs.h"

#include <gtest/gtest.h>

#include <cstring>

#include "hv_mshv/mshv_hvcall.h"
#include "hv_mshv/testing/fake_mshv_driver.h"

namespace petrel::mshv {
namespace {

hv::Segment CodeSegment() {
  hv::Segment s;
  s.base = 0x1000;
  s.limit = 0xfffff;
  s.selector = 0x10;
  s.type = 0xb;
  s.present = true;
  s.dpl = 3;
  s.s = true;
  s.l = true;
  s.g = true;
  s.avl = true;
  return s;
}

TEST(MshvRegs, SegmentAttributesPackedAsTheDescriptor) {
  const HvRegisterValue v = SegmentToHv(CodeSegment());
  HvX64SegmentRegister h;
  std::memcpy(&h, &v, sizeof h);
  EXPECT_EQ(h.base, 0x1000u);
  EXPECT_EQ(h.limit, 0xfffffu);
  EXPECT_EQ(h.selector, 0x10);
  // type b, S, DPL 3, P, AVL, L, G (D/B clear).
  EXPECT_EQ(h.attributes, 0xb | 0x10 | 0x60 | 0x80 | 0x1000 | 0x2000 | 0x8000);
  EXPECT_EQ(SegmentFromHv(v), CodeSegment());
}

TEST(MshvRegs, UnusableSegmentIsWrittenNotPresentAndReadBackUnusable) {
  hv::Segment s = CodeSegment();
  s.unusable = true;
  const hv::Segment back = SegmentFromHv(SegmentToHv(s));
  EXPECT_FALSE(back.present);
  EXPECT_TRUE(back.unusable);
}

TEST(MshvRegs, TableRegisterLayout) {
  const HvRegisterValue v = TableToHv(hv::DescriptorTable{0x12345678, 0x27});
  HvX64TableRegister t;
  std::memcpy(&t, &v, sizeof t);
  EXPECT_EQ(t.limit, 0x27);
  EXPECT_EQ(t.base, 0x12345678u);
  EXPECT_EQ(TableFromHv(v), (hv::DescriptorTable{0x12345678, 0x27}));
}

TEST(MshvRegs, RegsNamesFollowTheHypervisorsOrder) {
  const auto names = RegsNames();
  EXPECT_EQ(names[hv::kRax], 0x00020000u);
  EXPECT_EQ(names[hv::kRcx], 0x00020001u);
  EXPECT_EQ(names[hv::kRsp], 0x00020004u);
  EXPECT_EQ(names[hv::kR15], 0x0002000Fu);
  EXPECT_EQ(names[16], 0x00020010u);  // RIP
  EXPECT_EQ(names[17], 0x00020011u);  // RFLAGS
}

TEST(MshvRegs, MsrNames) {
  EXPECT_EQ(MsrRegisterName(0xc0000080), 0x00080001u);  // EFER
  EXPECT_EQ(MsrRegisterName(0x2ff), 0x0008000Eu);       // MTRR_DEF_TYPE
  EXPECT_EQ(MsrRegisterName(0x1a0), 0x000800A0u);       // MISC_ENABLE
  EXPECT_EQ(MsrRegisterName(0x10), 0x00080000u);        // TSC
  EXPECT_FALSE(MsrRegisterName(0x3a).has_value());      // FEATURE_CONTROL: no name
}

// A partition and one VP on the fake, for the hypercall encoders.
struct Vp {
  FakeMshvDriver driver;
  UniqueFd dev, pt, vp;
  explicit Vp(uint32_t index) {
    dev = std::move(driver.Open("/dev/mshv")).value();
    MshvCreatePartition cp{kPtFlagLapic, 0};
    pt = UniqueFd(*MshvIoctl(driver, dev.get(), kMshvCreatePartition, "cp", &cp));
    MshvCreateVp v{index};
    vp = UniqueFd(*MshvIoctl(driver, pt.get(), kMshvCreateVp, "vp", &v));
  }
};

TEST(MshvHvcall, SetVpRegistersEncodesHeaderAndAssocs) {
  Vp f(3);
  const HvRegisterAssoc regs[2] = {Reg64(kHvX64RegRip, 0xfff0), Reg64(kHvX64RegRax, 7)};
  ASSERT_TRUE(SetVpRegisters(f.driver, f.vp.get(), 3, regs).ok());
  const auto calls = f.driver.Hvcalls(kHvcallSetVpRegisters);
  ASSERT_EQ(calls.size(), 1u);
  const auto args = calls[0].As<MshvRootHvcall>();
  EXPECT_EQ(args.reps, 2);
  EXPECT_EQ(args.in_sz, 16 + 2 * 32);
  EXPECT_EQ(args.out_sz, 0);
  HvInputVpRegistersHeader h;
  std::memcpy(&h, calls[0].hvcall_input.data(), sizeof h);
  EXPECT_EQ(h.vp_index, 3u);
  HvRegisterAssoc first;
  std::memcpy(&first, calls[0].hvcall_input.data() + 16, sizeof first);
  EXPECT_EQ(first.name, kHvX64RegRip);
  EXPECT_EQ(first.value.low, 0xfff0u);
  EXPECT_EQ(f.driver.Register(3, kHvX64RegRax).low, 7u);
}

TEST(MshvHvcall, GetVpRegistersRoundTripsAndBatches) {
  Vp f(0);
  std::vector<uint32_t> names;
  std::vector<HvRegisterAssoc> regs;
  for (uint32_t i = 0; i < 300; ++i) {  // more than one batch either way
    names.push_back(0x00090000 + i);
    regs.push_back(Reg64(0x00090000 + i, 1000 + i));
  }
  ASSERT_TRUE(SetVpRegisters(f.driver, f.vp.get(), 0, regs).ok());
  EXPECT_EQ(f.driver.Hvcalls(kHvcallSetVpRegisters).size(), 3u);  // 127 + 127 + 46
  auto values = GetVpRegisters(f.driver, f.vp.get(), 0, names);
  ASSERT_TRUE(values.ok()) << values.error().message();
  ASSERT_EQ(values->size(), 300u);
  EXPECT_EQ((*values)[0].low, 1000u);
  EXPECT_EQ((*values)[299].low, 1299u);
  const auto gets = f.driver.Hvcalls(kHvcallGetVpRegisters);
  ASSERT_EQ(gets.size(), 2u);  // 256 + 44
  EXPECT_EQ(gets[0].As<MshvRootHvcall>().reps, 256);
  EXPECT_EQ(gets[0].As<MshvRootHvcall>().in_sz, 16 + 256 * 4);
  EXPECT_EQ(gets[0].As<MshvRootHvcall>().out_sz, 256 * 16);
}

TEST(MshvHvcall, FailureNamesTheHypercallAndStatus) {
  Vp f(0);
  f.driver.FailNextHvcall(kHvcallSetVpRegisters, 0x5);  // HV_STATUS_INVALID_PARAMETER
  const HvRegisterAssoc regs[1] = {Reg64(kHvX64RegRip, 1)};
  auto r = SetVpRegisters(f.driver, f.vp.get(), 0, regs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("HVCALL_SET_VP_REGISTERS"), std::string::npos);
  EXPECT_NE(r.error().message().find("HV_STATUS 0x5"), std::string::npos);
}

TEST(MshvHvcall, SetPartitionPropertyEncoding) {
  Vp f(0);
  ASSERT_TRUE(SetPartitionProperty(f.driver, f.pt.get(), kPropTimeFreeze, 1).ok());
  const auto calls = f.driver.Hvcalls(kHvcallSetPartitionProperty);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].As<MshvRootHvcall>().in_sz, 24);
  EXPECT_EQ(calls[0].As<MshvRootHvcall>().reps, 0);
  EXPECT_EQ(calls[0].kind, FakeMshvDriver::FdKind::kPartition);
  EXPECT_EQ(f.driver.Property(kPropTimeFreeze), 1u);
}

}  // namespace
}  // namespace petrel::mshv
