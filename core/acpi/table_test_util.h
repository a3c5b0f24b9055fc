// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for ACPI table bytes: little-endian fields, strings, and the
// checks every Petrel SDT header passes (ACPI 6.5 §5.2.6). Tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/acpi/sdt.h"

namespace petrel::acpi::testing {

using Bytes = std::vector<uint8_t>;

// `width` bytes at `off`, little-endian; a read past the end fails the test.
inline uint64_t Le(const Bytes& b, size_t off, size_t width) {
  EXPECT_LE(off + width, b.size());
  if (off + width > b.size()) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{b[off + i]} << (8 * i);
  return v;
}

inline std::string Str(const Bytes& b, size_t off, size_t len) {
  return std::string(reinterpret_cast<const char*>(b.data() + off), len);
}

// The header of one of Petrel's tables: signature, length, revision,
// checksum, OEM and creator ids.
inline void ExpectSdt(const Bytes& t, const char* sig, uint8_t revision, const char* table_id) {
  ASSERT_GE(t.size(), kSdtHeaderSize);
  EXPECT_EQ(Str(t, 0, 4), sig);
  EXPECT_EQ(Le(t, kSdtLengthOffset, 4), t.size());
  EXPECT_EQ(t[kSdtRevisionOffset], revision);
  EXPECT_EQ(ByteSum(t), 0) << sig << " checksum";
  EXPECT_EQ(Str(t, kSdtOemIdOffset, 6), "PETREL");
  EXPECT_EQ(Str(t, kSdtOemTableIdOffset, 8), table_id);
  EXPECT_EQ(Str(t, 28, 4), "PTRL");
}

}  // namespace petrel::acpi::testing
