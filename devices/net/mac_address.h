// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MacAddress: a 48-bit Ethernet address, its text form ("52:54:00:12:34:56")
// and random generation (IEEE 802: bit 0 of byte 0 = group, bit 1 = locally
// administered).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/base/result.h"

namespace petrel::net {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr uint8_t kMacGroupBit = 0x01;  // IEEE 802: I/G bit (multicast)
inline constexpr uint8_t kMacLocalBit = 0x02;  // IEEE 802: U/L bit (locally administered)

// Six hex pairs separated by ':'.
Result<MacAddress> ParseMac(std::string_view text);
std::string FormatMac(const MacAddress& mac);
// A random unicast, locally administered address.
MacAddress RandomMac(RandomSource& random);

}  // namespace petrel::net
