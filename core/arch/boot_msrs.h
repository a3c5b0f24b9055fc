// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BootMsrs: the MSR values every x86_64 vCPU starts with.
//
// Backend-neutral and pure; the VMM passes the list to Vcpu::SetMsrs() once
// per vCPU before the first run. Indices follow Intel SDM Vol. 4, Table 2-2
// (IA-32 Architectural MSRs).
#pragma once

#include <cstdint>
#include <vector>

#include "core/hv/x86_state.h"

namespace petrel::x86 {

// SDM Vol. 4, Table 2-2.
inline constexpr uint32_t kMsrIa32Tsc = 0x10;
inline constexpr uint32_t kMsrIa32SysenterCs = 0x174;
inline constexpr uint32_t kMsrIa32SysenterEsp = 0x175;
inline constexpr uint32_t kMsrIa32SysenterEip = 0x176;
inline constexpr uint32_t kMsrIa32MiscEnable = 0x1a0;
inline constexpr uint32_t kMsrIa32MtrrDefType = 0x2ff;
inline constexpr uint32_t kMsrIa32Star = 0xc000'0081;
inline constexpr uint32_t kMsrIa32Lstar = 0xc000'0082;
inline constexpr uint32_t kMsrIa32Cstar = 0xc000'0083;
inline constexpr uint32_t kMsrIa32Fmask = 0xc000'0084;  // SYSCALL flag mask
inline constexpr uint32_t kMsrIa32KernelGsBase = 0xc000'0102;

// IA32_MISC_ENABLE bit 0: fast-strings enable (SDM Vol. 4, Table 2-2, 1A0H).
inline constexpr uint64_t kMiscEnableFastStrings = 1u << 0;
// IA32_MTRR_DEF_TYPE (SDM Vol. 3A 12.11.2.1, "IA32_MTRR_DEF_TYPE MSR"; 11.11.2.1
// in older editions): bits 7:0 default type, bit 10 FE, bit 11 E.
inline constexpr uint64_t kMtrrDefTypeEnable = 1u << 11;
inline constexpr uint64_t kMtrrTypeWriteBack = 6;  // SDM Vol. 3A Table 12-8 (memory types)
inline constexpr uint64_t kMtrrDefTypeBoot = kMtrrDefTypeEnable | kMtrrTypeWriteBack;  // 0x806

std::vector<hv::MsrEntry> BootMsrs();

}  // namespace petrel::x86
