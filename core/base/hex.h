// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Hex: how Petrel's messages show an address, a size or a register value:
// "0x" and the lowercase hexadecimal digits ("0x0", "0xfed40000").
#pragma once

#include <cstdint>
#include <string>

namespace petrel {

inline std::string Hex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char digits[16];
  int n = 0;
  do {
    digits[n++] = kDigits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  std::string out = "0x";
  while (n > 0) out.push_back(digits[--n]);
  return out;
}

}  // namespace petrel
