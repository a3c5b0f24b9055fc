// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the e820 / PVH memory map.
#include "core/boot/e820.h"

#include <gtest/gtest.h>

namespace petrel::boot {
namespace {

TEST(E820Test, FiveHundredTwelveMiB) {
  auto memory = GuestMemory::CreateX86(512ULL << 20).value();
  auto e820 = BuildE820(*memory);
  ASSERT_TRUE(e820.ok());
  const std::vector<E820Entry> want = {
      {0, 0xa0000, kE820Ram},
      {0x100000, (512ULL << 20) - 0x100000, kE820Ram},
      {0xe8000000, 256ULL << 20, kE820Reserved},
  };
  EXPECT_EQ(*e820, want);
}

TEST(E820Test, AboveFourGiB) {
  const uint64_t size = (4ULL << 30) + (512ULL << 20);  // 3 GiB low + 1.5 GiB high
  auto memory = GuestMemory::CreateX86(size).value();
  auto e820 = BuildE820(*memory);
  ASSERT_TRUE(e820.ok());
  const std::vector<E820Entry> want = {
      {0, 0xa0000, kE820Ram},
      {0x100000, 0xc0000000 - 0x100000, kE820Ram},
      {0xe8000000, 256ULL << 20, kE820Reserved},
      {0x100000000, size - 0xc0000000, kE820Ram},
  };
  EXPECT_EQ(*e820, want);
}

// The hot-plug area is not RAM the guest may use from boot.
TEST(E820Test, TheHotplugAreaIsLeftOut) {
  auto memory = GuestMemory::CreateX86(512ULL << 20, RamBacking::kPrivate, 1ULL << 30).value();
  auto e820 = BuildE820(*memory);
  ASSERT_TRUE(e820.ok());
  const std::vector<E820Entry> want = {
      {0, 0xa0000, kE820Ram},
      {0x100000, (512ULL << 20) - 0x100000, kE820Ram},
      {0xe8000000, 256ULL << 20, kE820Reserved},
  };
  EXPECT_EQ(*e820, want);
}

TEST(E820Test, EcamNotReservedWhenItIsRam) {
  std::vector<GuestRegion> regions;
  regions.push_back({0, 1 << 20, HostRegion::Anonymous(1 << 20).value()});
  regions.push_back({0xe8000000, 1 << 20, HostRegion::Anonymous(1 << 20).value()});
  auto memory = GuestMemory::Create(std::move(regions)).value();
  auto e820 = BuildE820(*memory);
  ASSERT_TRUE(e820.ok());
  for (const E820Entry& e : *e820) EXPECT_EQ(e.type, kE820Ram);
}

TEST(E820Test, RejectsTooManyRegions) {
  std::vector<GuestRegion> regions;
  for (uint64_t i = 0; i < kMaxE820Entries + 1; ++i) {
    regions.push_back({0x100000000 + i * 0x200000, 0x1000, HostRegion::Anonymous(0x1000).value()});
  }
  auto memory = GuestMemory::Create(std::move(regions)).value();
  auto e820 = BuildE820(*memory);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace petrel::boot
