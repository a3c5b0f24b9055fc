// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ipv4Address text form (see ipv4_address.h).
#include "devices/net/ipv4_address.h"

namespace petrel::net {

Result<Ipv4Address> ParseIpv4(std::string_view text) {
  const Error bad(ErrorCode::kInvalidArgument, "expected an IPv4 address a.b.c.d (each 0-255)");
  Ipv4Address out{};
  size_t pos = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) {
      if (pos >= text.size() || text[pos] != '.') return bad;
      ++pos;
    }
    unsigned value = 0;
    size_t digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 4; ++pos) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return bad;
    out[i] = static_cast<uint8_t>(value);
  }
  if (pos != text.size()) return bad;
  return out;
}

std::string FormatIpv4(const Ipv4Address& address) {
  std::string text;
  for (size_t i = 0; i < address.size(); ++i) {
    if (i > 0) text += '.';
    text += std::to_string(address[i]);
  }
  return text;
}

}  // namespace petrel::net
