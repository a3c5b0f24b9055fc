// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for initramfs placement.
#include "core/boot/initramfs.h"

#include <gtest/gtest.h>

namespace petrel::boot {
namespace {

TEST(InitramfsTest, LowRamEndStopsAtTheHole) {
  EXPECT_EQ(LowRamEnd(*GuestMemory::CreateX86(512ULL << 20).value()), 512ULL << 20);
  EXPECT_EQ(LowRamEnd(*GuestMemory::CreateX86(5ULL << 30).value()), 0xc0000000u);
}

TEST(InitramfsTest, PlacedPageAlignedAtTop) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  std::vector<uint8_t> data(4097, 9);
  auto p = PlaceInitramfs(*memory, data, 0x200000, ~0ULL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr, (64ULL << 20) - 8192);
  EXPECT_EQ(p->size, 4097u);
  EXPECT_EQ(memory->ReadObj<uint8_t>(p->addr + 4096).value(), 9);
}

TEST(InitramfsTest, EmptyPlacesNothing) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  auto p = PlaceInitramfs(*memory, {}, 0x200000, ~0ULL);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr, 0u);
  EXPECT_EQ(p->size, 0u);
}

TEST(InitramfsTest, RespectsLimitAndKernelEnd) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  std::vector<uint8_t> data(0x1000, 1);
  auto p = PlaceInitramfs(*memory, data, 0x200000, 0x800000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr, 0x7ff000u);
  // Exactly fits between the kernel end and the limit; one page more does not.
  EXPECT_TRUE(PlaceInitramfs(*memory, data, 0x7ff000, 0x800000).ok());
  auto r = PlaceInitramfs(*memory, data, 0x7ff001, 0x800000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("initramfs too big for low RAM"), std::string::npos);
}

}  // namespace
}  // namespace petrel::boot
