// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for BootMsrs.
#include "core/arch/boot_msrs.h"

#include <gtest/gtest.h>

#include <set>

namespace petrel::x86 {
namespace {

uint64_t ValueOf(uint32_t index) {
  for (const auto& m : BootMsrs())
    if (m.index == index) return m.value;
  ADD_FAILURE() << "MSR 0x" << std::hex << index << " missing";
  return ~0ull;
}

TEST(BootMsrs, ValuesPerSdm) {
  EXPECT_EQ(ValueOf(0x174), 0u);
  EXPECT_EQ(ValueOf(0x175), 0u);
  EXPECT_EQ(ValueOf(0x176), 0u);
  EXPECT_EQ(ValueOf(0xc0000081), 0u);
  EXPECT_EQ(ValueOf(0xc0000082), 0u);
  EXPECT_EQ(ValueOf(0xc0000083), 0u);
  EXPECT_EQ(ValueOf(0xc0000084), 0u);
  EXPECT_EQ(ValueOf(0xc0000102), 0u);
  EXPECT_EQ(ValueOf(0x10), 0u);
  EXPECT_EQ(ValueOf(0x1a0), 1u);
  EXPECT_EQ(ValueOf(0x2ff), 0x806u);
}

TEST(BootMsrs, NoDuplicates) {
  std::set<uint32_t> seen;
  for (const auto& m : BootMsrs()) EXPECT_TRUE(seen.insert(m.index).second) << m.index;
  EXPECT_EQ(seen.size(), 11u);
}

}  // namespace
}  // namespace petrel::x86
