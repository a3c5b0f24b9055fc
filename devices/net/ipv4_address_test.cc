// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "devices/net/ipv4_address.h"

#include <gtest/gtest.h>

namespace petrel::net {
namespace {

TEST(Ipv4AddressTest, ParsesAndFormatsDottedQuads) {
  auto ip = ParseIpv4("192.168.249.1");
  ASSERT_TRUE(ip.ok()) << ip.error().message();
  EXPECT_EQ(*ip, (Ipv4Address{192, 168, 249, 1}));
  EXPECT_EQ(FormatIpv4(*ip), "192.168.249.1");
  EXPECT_EQ(*ParseIpv4("255.255.255.0"), (Ipv4Address{255, 255, 255, 0}));
  EXPECT_EQ(*ParseIpv4("0.0.0.0"), (Ipv4Address{0, 0, 0, 0}));
  EXPECT_EQ(*ParseIpv4("010.001.0.9"), (Ipv4Address{10, 1, 0, 9}));  // leading zeros: decimal
}

TEST(Ipv4AddressTest, RejectsAnythingElseWithoutQuotingIt) {
  for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4",
                               "1..3.4", "1.2.3.", "a.b.c.d", "1.2.3.0004", "1.2.3.-4",
                               "99999999999.1.1.1"}) {
    auto ip = ParseIpv4(bad);
    ASSERT_FALSE(ip.ok()) << bad;
    EXPECT_EQ(ip.error().code(), ErrorCode::kInvalidArgument);
    // One fixed message: the caller echoes (escaped) what it was given.
    EXPECT_EQ(ip.error().message(), ParseIpv4("x").error().message()) << bad;
  }
  EXPECT_FALSE(ParseIpv4(std::string_view("1.2.3.4\0", 8)).ok());
}

}  // namespace
}  // namespace petrel::net
