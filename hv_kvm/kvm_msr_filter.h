// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmPmuMsrFilter: the KVM MSR filter (api.rst KVM_X86_SET_MSR_FILTER) that
// makes the AMD performance-counter MSRs fault in the guest, so a guest
// without a PMU in its CPUID (core/arch/cpuid.h) has none at all.
//
// Why a filter and not only CPUID: Linux on any AMD family >= 6 CPU probes
// the legacy K7 counters (arch/x86/events/amd/core.c amd_pmu_init() checks
// only the family; perfctr_core merely moves it to the 0xC001_0200 block).
// When KVM has no vPMU to back them (a host without a PMU, or the vPMU
// disabled) it accepts the writes, logs "Unhandled WRMSR(0xc0010007)" on the
// host for every boot and reads back 0. Denied by a filter, each access
// raises #GP in the guest without a host message, and Linux's
// check_hw_exists() concludes "PMU not available due to virtualization" --
// what a CPU without these MSRs does. Denied (reads and writes), AMD APM
// Vol. 2 §13.2 "Performance counters":
//   0xC001_0000-0xC001_0007  PerfEvtSel0-3, PerfCtr0-3 (legacy, K7)
//   0xC001_0200-0xC001_020B  PerfEvtSel0-5/PerfCtr0-5 (core extension,
//                            CPUID 0x8000_0001 ECX[23] PerfCtrExtCore)
//   0xC000_0300-0xC000_0303  PerfCntrGlobalStatus/Ctl/StatusClr/StatusSet
//                            (PerfMonV2, CPUID 0x8000_0022 EAX[0])
// Intel's counters need no filter: with CPUID leaf 0xA zeroed Linux never
// touches them.
#pragma once

#include <linux/kvm.h>

#include <array>
#include <cstdint>

#include "core/base/result.h"

namespace petrel::kvm {

// The C value of KVM_X86_SET_MSR_FILTER (struct kvm_msr_filter is 392 bytes).
inline constexpr unsigned long kKvmSetMsrFilter = 0x4188aec6;
static_assert(KVM_X86_SET_MSR_FILTER == kKvmSetMsrFilter);
static_assert(sizeof(kvm_msr_filter) == 392);

struct MsrRange {
  uint32_t base;
  uint32_t count;
};
inline constexpr std::array<MsrRange, 3> kPmuMsrRanges = {{
    {0xc001'0000, 8},   // legacy PerfEvtSel0-3, PerfCtr0-3
    {0xc001'0200, 12},  // core PerfEvtSel0-5/PerfCtr0-5
    {0xc000'0300, 4},   // PerfMonV2 global control and status
}};

// The filter: default allow, one read+write range per kPmuMsrRanges entry
// whose bitmap (all zero = deny) lives in `this`, so the object must stay
// alive and unmoved while `filter` is passed to KVM.
struct PmuMsrFilter {
  PmuMsrFilter();
  PmuMsrFilter(const PmuMsrFilter&) = delete;
  PmuMsrFilter& operator=(const PmuMsrFilter&) = delete;
  kvm_msr_filter filter{};
  std::array<std::array<uint8_t, 2>, kPmuMsrRanges.size()> bitmaps{};  // 16 bits >= count
};

// Installs PmuMsrFilter on VM `vm_fd`. kUnsupported if KVM lacks
// KVM_CAP_X86_MSR_FILTER (Linux < 5.10).
Result<void> DenyPmuMsrs(int vm_fd);

}  // namespace petrel::kvm
