// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The FADT (Fixed ACPI Description Table, signature "FACP"), revision 6, for
// Petrel's hardware-reduced platform. Field offsets: ACPI 6.4 5.2.9 Table 5.9.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/acpi/tables.h"

namespace petrel::acpi {

inline constexpr size_t kFadtSize = 276;  // revision 6 (ACPI 6.0+)
inline constexpr uint8_t kFadtRevision = 6;
inline constexpr uint8_t kFadtMinorRevision = 3;  // ACPI 6.3 (MADT online-capable)

// 5.2.9 Table 5.9 offsets.
inline constexpr size_t kFadtDsdt = 40;
inline constexpr size_t kFadtSciInt = 46;
inline constexpr size_t kFadtPmTmrBlk = 76;
inline constexpr size_t kFadtPmTmrLen = 91;
inline constexpr size_t kFadtCentury = 108;  // CMOS index of the RTC century
inline constexpr size_t kFadtIapcBootArch = 109;
inline constexpr size_t kFadtFlags = 112;
inline constexpr size_t kFadtResetReg = 116;
inline constexpr size_t kFadtResetValue = 128;
inline constexpr size_t kFadtMinorVersion = 131;
inline constexpr size_t kFadtXDsdt = 140;
inline constexpr size_t kFadtXPmTmrBlk = 208;
inline constexpr size_t kFadtSleepControlReg = 244;
inline constexpr size_t kFadtSleepStatusReg = 256;
inline constexpr size_t kFadtHypervisorVendor = 268;

// 5.2.9.3 Table 5.10 Fixed ACPI Description Table Fixed Feature Flags.
inline constexpr uint32_t kFadtFlagTmrValExt = 1u << 8;
inline constexpr uint32_t kFadtFlagResetRegSup = 1u << 10;
inline constexpr uint32_t kFadtFlagHwReducedAcpi = 1u << 20;
// 5.2.9.3 Table 5.11 IA-PC Boot Architecture Flags: bit 2 "VGA Not Present".
// Bit 1 (8042) stays clear: Petrel's i8042 only resets, so Linux skips
// probing a keyboard controller.
inline constexpr uint16_t kIapcVgaNotPresent = 1u << 2;
// Bit 5 "CMOS RTC Not Present": set only when the config has no RTC (Linux
// then registers no rtc_cmos platform device).
inline constexpr uint16_t kIapcCmosRtcNotPresent = 1u << 5;

inline constexpr char kHypervisorVendor[] = "PETRELVM";  // 8 bytes, no NUL in the table

std::vector<uint8_t> BuildFadt(const AcpiConfig& config, uint64_t dsdt_addr);

}  // namespace petrel::acpi
