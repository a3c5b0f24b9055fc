// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MacAddress parsing, formatting and random generation.
#include "devices/net/mac_address.h"

#include <gtest/gtest.h>

namespace petrel::net {
namespace {

TEST(MacAddressTest, ParsesAndFormats) {
  auto mac = ParseMac("52:54:00:Ab:cD:ef");
  ASSERT_TRUE(mac.ok()) << mac.error().message();
  EXPECT_EQ(*mac, (MacAddress{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}));
  EXPECT_EQ(FormatMac(*mac), "52:54:00:ab:cd:ef");
}

TEST(MacAddressTest, RejectsMalformed) {
  EXPECT_FALSE(ParseMac("52:54:00:ab:cd").ok());
  EXPECT_FALSE(ParseMac("52-54-00-ab-cd-ef").ok());
  EXPECT_FALSE(ParseMac("52:54:00:ab:cd:eg").ok());
  EXPECT_FALSE(ParseMac("52:54:00:ab:cd:eff").ok());
}

TEST(MacAddressTest, RandomIsUnicastLocalAndSeeded) {
  SplitMix64 a(7), b(7);
  for (int i = 0; i < 64; ++i) {
    const MacAddress mac = RandomMac(a);
    EXPECT_EQ(mac[0] & kMacGroupBit, 0);
    EXPECT_EQ(mac[0] & kMacLocalBit, kMacLocalBit);
    EXPECT_EQ(mac, RandomMac(b));
  }
}

}  // namespace
}  // namespace petrel::net
