// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ipv4Address: an IPv4 address or netmask as four bytes in network order, and
// its dotted-quad text form ("192.168.249.1"; RFC 791 §3.2 addresses, written
// the way inet_pton(AF_INET) accepts them: exactly four decimal parts 0-255).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::net {

using Ipv4Address = std::array<uint8_t, 4>;

// kInvalidArgument unless `text` is a.b.c.d with each part 0-255 in at most
// three decimal digits. The message does not quote `text`.
Result<Ipv4Address> ParseIpv4(std::string_view text);
std::string FormatIpv4(const Ipv4Address& address);

}  // namespace petrel::net
