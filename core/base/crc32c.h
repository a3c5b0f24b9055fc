// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CRC-32C (Castagnoli): the checksum of VHDX headers, region tables and log
// entries (VHDX 1.0 §2.2.2), of iSCSI and ext4 metadata.
//
// Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF
// (RFC 3720 §B.4): Crc32c("123456789") == 0xE3069283.
#pragma once

#include <cstdint>
#include <span>

namespace petrel {

// The CRC-32C of `bytes`.
uint32_t Crc32c(std::span<const uint8_t> bytes);

// Incremental form: start with crc = 0, feed the pieces in order;
// Crc32cExtend(Crc32cExtend(0, a), b) == Crc32c(a ++ b).
uint32_t Crc32cExtend(uint32_t crc, std::span<const uint8_t> bytes);

}  // namespace petrel
