// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MacAddress parsing, formatting and random generation.
#include "devices/net/mac_address.h"

#include <cstdio>

namespace petrel::net {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<MacAddress> ParseMac(std::string_view text) {
  MacAddress mac{};
  // "xx:xx:xx:xx:xx:xx" is exactly 17 characters.
  if (text.size() != 17) {
    return Error(ErrorCode::kInvalidArgument, "bad MAC address '" + std::string(text) + "'");
  }
  for (size_t i = 0; i < 6; ++i) {
    const int hi = HexDigit(text[3 * i]);
    const int lo = HexDigit(text[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':')) {
      return Error(ErrorCode::kInvalidArgument, "bad MAC address '" + std::string(text) + "'");
    }
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return mac;
}

std::string FormatMac(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

MacAddress RandomMac(RandomSource& random) {
  MacAddress mac{};
  random.Fill(mac);
  mac[0] = static_cast<uint8_t>((mac[0] & ~kMacGroupBit) | kMacLocalBit);
  return mac;
}

}  // namespace petrel::net
