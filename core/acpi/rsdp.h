// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The RSDP (Root System Description Pointer, ACPI 6.4 5.2.5) and the XSDT
// (Extended System Description Table, 5.2.8) that lead the guest to the
// other tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace petrel::acpi {

// 5.2.5.3 Table 5.3: RSDP for ACPI 2.0+, 36 bytes.
inline constexpr size_t kRsdpSize = 36;
inline constexpr uint8_t kRsdpRevision = 2;
inline constexpr size_t kRsdpChecksum = 8;  // over bytes 0-19
inline constexpr size_t kRsdpV1Size = 20;
inline constexpr size_t kRsdpOemId = 9;
inline constexpr size_t kRsdpRevisionOffset = 15;
inline constexpr size_t kRsdpRsdtAddress = 16;
inline constexpr size_t kRsdpLength = 20;
inline constexpr size_t kRsdpXsdtAddress = 24;
inline constexpr size_t kRsdpExtendedChecksum = 32;  // over all 36 bytes

inline constexpr uint8_t kXsdtRevision = 1;

std::vector<uint8_t> BuildRsdp(uint64_t xsdt_addr);
std::vector<uint8_t> BuildXsdt(std::span<const uint64_t> table_addrs);

}  // namespace petrel::acpi
