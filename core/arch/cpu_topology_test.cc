// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for CpuTopology: id bit widths, counts and vCPU index -> x2APIC id.
#include "core/arch/cpu_topology.h"

#include <gtest/gtest.h>

#include <set>

namespace petrel::x86 {
namespace {

CpuTopology Topo(uint32_t t, uint32_t c, uint32_t d, uint32_t p) {
  CpuTopology topo;
  topo.threads_per_core = t;
  topo.cores_per_die = c;
  topo.dies_per_package = d;
  topo.packages = p;
  return topo;
}

TEST(IdBits, RoundsUp) {
  EXPECT_EQ(IdBits(0), 0u);
  EXPECT_EQ(IdBits(1), 0u);
  EXPECT_EQ(IdBits(2), 1u);
  EXPECT_EQ(IdBits(3), 2u);
  EXPECT_EQ(IdBits(4), 2u);
  EXPECT_EQ(IdBits(5), 3u);
  EXPECT_EQ(IdBits(256), 8u);
  EXPECT_EQ(IdBits(0xffff'ffffu), 32u);
}

TEST(CpuTopology, DefaultIsOneCpu) {
  CpuTopology t;
  EXPECT_EQ(t.MaxVcpus(), 1u);
  EXPECT_EQ(t.PackageShift(), 0u);
  EXPECT_EQ(t.ApicId(0), 0u);
}

TEST(CpuTopology, FlatApicIdIsIndex) {
  for (uint32_t n : {1u, 2u, 4u, 6u, 254u}) {
    const CpuTopology t = CpuTopology::Flat(n);
    EXPECT_EQ(t.MaxVcpus(), n);
    EXPECT_EQ(t.threads_per_core, 1u);
    EXPECT_EQ(t.cores_per_die, n);
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(t.ApicId(i), i) << n << " " << i;
  }
  EXPECT_EQ(CpuTopology::Flat(0).MaxVcpus(), 1u);
}

TEST(CpuTopology, TwoThreadsTwoCores) {
  const CpuTopology t = Topo(2, 2, 1, 1);
  EXPECT_EQ(t.MaxVcpus(), 4u);
  EXPECT_EQ(t.SmtBits(), 1u);
  EXPECT_EQ(t.CoreBits(), 1u);
  EXPECT_EQ(t.DieBits(), 0u);
  EXPECT_EQ(t.DieShift(), 2u);
  EXPECT_EQ(t.PackageShift(), 2u);
  EXPECT_EQ(t.ThreadsPerDie(), 4u);
  EXPECT_EQ(t.CoresPerPackage(), 2u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(t.ApicId(i), i);
}

TEST(CpuTopology, TwoCoresTwoDiesTwoPackages) {
  const CpuTopology t = Topo(1, 2, 2, 2);
  EXPECT_EQ(t.MaxVcpus(), 8u);
  EXPECT_EQ(t.SmtBits(), 0u);
  EXPECT_EQ(t.CoreBits(), 1u);
  EXPECT_EQ(t.DieBits(), 1u);
  EXPECT_EQ(t.DieShift(), 1u);
  EXPECT_EQ(t.PackageShift(), 2u);
  EXPECT_EQ(t.ThreadsPerDie(), 2u);
  EXPECT_EQ(t.ThreadsPerPackage(), 4u);
  EXPECT_EQ(t.CoresPerPackage(), 4u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(t.ApicId(i), i);
}

TEST(CpuTopology, NonPowerOfTwoCountsLeaveHoles) {
  // 2 threads x 3 cores: the core field is 2 bits wide, the package starts at bit 3.
  // (Cloud Hypervisor's get_x2apic_id gives the same numbers.)
  const CpuTopology t = Topo(2, 3, 1, 2);
  EXPECT_EQ(t.PackageShift(), 3u);
  const uint32_t expected[] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13};
  for (uint32_t i = 0; i < 12; ++i) EXPECT_EQ(t.ApicId(i), expected[i]) << i;

  // 1 thread x 3 cores x 3 dies: die field at bit 2, package at bit 4.
  const CpuTopology d = Topo(1, 3, 3, 2);
  EXPECT_EQ(d.ApicId(3), 4u);   // die 1, core 0
  EXPECT_EQ(d.ApicId(8), 10u);  // die 2, core 2
  EXPECT_EQ(d.ApicId(9), 16u);  // package 1
  std::set<uint32_t> ids;
  for (uint32_t i = 0; i < d.MaxVcpus(); ++i) ids.insert(d.ApicId(i));
  EXPECT_EQ(ids.size(), d.MaxVcpus());  // unique
}

TEST(CpuTopology, ZeroCountsActAsOne) {
  const CpuTopology t = Topo(0, 4, 0, 0);
  EXPECT_EQ(t.MaxVcpus(), 4u);
  EXPECT_EQ(t.ApicId(3), 3u);
  const CpuTopology n = t.Normalized();
  EXPECT_EQ(n.threads_per_core, 1u);
  EXPECT_EQ(n.dies_per_package, 1u);
  EXPECT_EQ(n.packages, 1u);
}

TEST(CpuTopology, HugeCountsDoNotOverflow) {
  const CpuTopology t = Topo(0xffff'ffffu, 0xffff'ffffu, 2, 2);
  EXPECT_EQ(t.MaxVcpus(), 0xffff'ffffu);  // saturated
  EXPECT_EQ(t.PackageShift(), 65u);
  // Fields beyond bit 31 vanish instead of shifting out of range.
  EXPECT_EQ(t.ApicId(5), 5u);
}

}  // namespace
}  // namespace petrel::x86
