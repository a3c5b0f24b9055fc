// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ParseApiSocket: CH's three forms and their errors.
#include "vmm/config/api_socket.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

std::string ErrorOf(std::string_view text) {
  auto r = ParseApiSocket(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().message().rfind("--api-socket: ", 0), 0u) << r.error().message();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  return r.error().message();
}

TEST(ApiSocketTest, Forms) {
  EXPECT_EQ(*ParseApiSocket("path=/run/petrel.sock"), (ApiSocketConfig{"/run/petrel.sock", -1}));
  EXPECT_EQ(*ParseApiSocket("/tmp/api.sock"), (ApiSocketConfig{"/tmp/api.sock", -1}));
  EXPECT_EQ(*ParseApiSocket("fd=3"), (ApiSocketConfig{"", 3}));
  EXPECT_EQ(*ParseApiSocket("fd=0"), (ApiSocketConfig{"", 0}));
  // Bare paths may contain '=' and ',' as long as they do not start with a key.
  EXPECT_EQ(*ParseApiSocket("/tmp/a=b,c"), (ApiSocketConfig{"/tmp/a=b,c", -1}));
  EXPECT_EQ(*ParseApiSocket("relative.sock"), (ApiSocketConfig{"relative.sock", -1}));
}

TEST(ApiSocketTest, Errors) {
  EXPECT_NE(ErrorOf("").find("needs a value"), std::string::npos);
  EXPECT_NE(ErrorOf("path=/a,fd=3").find("not both"), std::string::npos);
  EXPECT_NE(ErrorOf("fd=-1").find("fd=-1"), std::string::npos);
  ErrorOf("fd=abc");
  ErrorOf("fd=0x3");
  ErrorOf("fd=2147483648");  // > INT_MAX
  EXPECT_EQ(ErrorOf("fd="), "--api-socket: needs path=<path> or fd=<n>");
  EXPECT_EQ(ErrorOf("path="), "--api-socket: needs path=<path> or fd=<n>");
  ErrorOf("path=/a,mode=1");  // unknown key
}

}  // namespace
}  // namespace petrel::config
