// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Conversions between Petrel's backend-neutral x86 state (core/hv/x86_state.h)
// and MSHV register lists (hv_register_assoc: a register name from
// include/hyperv/hvgdk_mini.h enum hv_register_name and a 16-byte value).
// Pure functions, unit-tested without a hypervisor.
//
// Segments: hv_x64_segment_register packs the attributes in one u16
// (mshv_uapi.h). It has no "unusable" bit: a segment reads back unusable
// when it is not present, and an unusable segment is written not present.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/hv/x86_state.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

// RAX..R15 (hv::Gpr order, which is the hypervisor's), RIP, RFLAGS.
inline constexpr size_t kRegsCount = 18;
std::array<uint32_t, kRegsCount> RegsNames();
std::vector<HvRegisterAssoc> RegsToAssocs(const hv::Regs& regs);
hv::Regs RegsFromValues(std::span<const HvRegisterValue, kRegsCount> values);

// CS, DS, ES, FS, GS, SS, TR, LDTR, GDTR, IDTR, CR0, CR2, CR3, CR4, CR8,
// EFER, APIC_BASE.
inline constexpr size_t kSregsCount = 17;
std::array<uint32_t, kSregsCount> SregsNames();
std::vector<HvRegisterAssoc> SregsToAssocs(const hv::Sregs& sregs);
hv::Sregs SregsFromValues(std::span<const HvRegisterValue, kSregsCount> values);

HvRegisterValue SegmentToHv(const hv::Segment& s);
hv::Segment SegmentFromHv(const HvRegisterValue& v);
HvRegisterValue TableToHv(const hv::DescriptorTable& t);
hv::DescriptorTable TableFromHv(const HvRegisterValue& v);

// The register name MSHV uses for MSR `index` (the architectural MSRs the
// hypervisor exposes as registers: TSC, EFER, PAT, SYSENTER_*, STAR, LSTAR,
// CSTAR, SFMASK, KERNEL_GS_BASE, APIC_BASE, MTRR_DEF_TYPE, TSC_AUX,
// MISC_ENABLE), or nullopt.
std::optional<uint32_t> MsrRegisterName(uint32_t index);

}  // namespace petrel::mshv
