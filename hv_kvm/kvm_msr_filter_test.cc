// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PmuMsrFilter: the ranges KVM gets deny every AMD PMU MSR, reads
// and writes, and nothing else.
#include "hv_kvm/kvm_msr_filter.h"

#include <gtest/gtest.h>

namespace petrel::kvm {
namespace {

// Whether `filter` denies `msr` for the operation `op` (KVM's rule: the
// first range containing the MSR with `op` in its flags decides; its bitmap
// bit 1 allows; no range: the default).
bool Denied(const kvm_msr_filter& filter, uint32_t msr, uint32_t op) {
  for (const kvm_msr_filter_range& r : filter.ranges) {
    if (r.flags == 0 || !(r.flags & op)) continue;
    if (msr < r.base || msr - r.base >= r.nmsrs) continue;
    const uint32_t bit = msr - r.base;
    return !(r.bitmap[bit / 8] & (1u << (bit % 8)));
  }
  return filter.flags & KVM_MSR_FILTER_DEFAULT_DENY;
}

TEST(PmuMsrFilter, DeniesAmdPerfCountersReadAndWrite) {
  PmuMsrFilter f;
  EXPECT_EQ(f.filter.flags, static_cast<uint32_t>(KVM_MSR_FILTER_DEFAULT_ALLOW));
  for (uint32_t op : {KVM_MSR_FILTER_READ, KVM_MSR_FILTER_WRITE}) {
    for (uint32_t msr = 0xc001'0000; msr <= 0xc001'0007; ++msr)
      EXPECT_TRUE(Denied(f.filter, msr, op));
    for (uint32_t msr = 0xc001'0200; msr <= 0xc001'020b; ++msr)
      EXPECT_TRUE(Denied(f.filter, msr, op));
    for (uint32_t msr = 0xc000'0300; msr <= 0xc000'0303; ++msr)
      EXPECT_TRUE(Denied(f.filter, msr, op));
    // Neighbours and everything else stay with KVM.
    for (uint32_t msr : {0xc000'0080u, 0xc000'0100u, 0xc000'0304u, 0xc001'0008u, 0xc001'0010u,
                         0xc001'0114u, 0xc001'020cu, 0x10u, 0x1bu, 0x186u, 0xc1u}) {
      EXPECT_FALSE(Denied(f.filter, msr, op)) << std::hex << msr;
    }
  }
}

}  // namespace
}  // namespace petrel::kvm
