// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CRC-32C, table-driven (see crc32c.h). Used on metadata only, never on the
// data path, so one table and a byte at a time are enough.
#include "core/base/crc32c.h"

#include <array>

namespace petrel {
namespace {

// RFC 3720 §B.4: the reflected Castagnoli polynomial.
constexpr uint32_t kPolynomial = 0x82F63B78;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, std::span<const uint8_t> bytes) {
  crc = ~crc;
  for (uint8_t b : bytes) crc = (crc >> 8) ^ kTable[(crc ^ b) & 0xff];
  return ~crc;
}

uint32_t Crc32c(std::span<const uint8_t> bytes) {
  return Crc32cExtend(0, bytes);
}

}  // namespace petrel
