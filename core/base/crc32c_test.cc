// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CRC-32C against the published check value and RFC 3720's test vectors.
#include "core/base/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace petrel {
namespace {

std::span<const uint8_t> Bytes(const char* s) {
  return {reinterpret_cast<const uint8_t*>(s), std::strlen(s)};
}

TEST(Crc32cTest, CheckValue) {
  EXPECT_EQ(Crc32c(Bytes("123456789")), 0xE3069283u);
}

TEST(Crc32cTest, EmptyIsZero) {
  EXPECT_EQ(Crc32c({}), 0u);
}

// RFC 3720 §B.4 "CRC Examples" (the CRC as a value, not its wire bytes).
TEST(Crc32cTest, Rfc3720Examples) {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xff), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<uint8_t>(i);
    dec[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(dec), 0x113FDB5Cu);
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  const std::span<const uint8_t> all(data);
  EXPECT_EQ(Crc32cExtend(Crc32cExtend(0, all.first(333)), all.subspan(333)), Crc32c(all));
}

}  // namespace
}  // namespace petrel
