// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ParseEventMonitor: CH's two forms, and the errors where CH
// refuses, panics or guesses.
#include "vmm/config/event_monitor_config.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

std::string ErrorOf(std::string_view text) {
  auto r = ParseEventMonitor(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().message().rfind("--event-monitor: ", 0), 0u) << r.error().message();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  return r.error().message();
}

TEST(EventMonitorConfigTest, Forms) {
  EXPECT_EQ(*ParseEventMonitor("path=/run/events.json"),
            (EventMonitorConfig{"/run/events.json", -1}));
  EXPECT_EQ(*ParseEventMonitor("path=relative"), (EventMonitorConfig{"relative", -1}));
  EXPECT_EQ(*ParseEventMonitor("fd=3"), (EventMonitorConfig{"", 3}));
  EXPECT_EQ(*ParseEventMonitor("fd=0"), (EventMonitorConfig{"", 0}));
  EXPECT_EQ(*ParseEventMonitor("fd=2147483647"), (EventMonitorConfig{"", 2147483647}));
  // CH's option parser removes double quotes, so a path may hold a comma.
  EXPECT_EQ(*ParseEventMonitor("path=\"/tmp/a,b\""), (EventMonitorConfig{"/tmp/a,b", -1}));
}

TEST(EventMonitorConfigTest, NeedsPathOrFd) {
  // CH: "Error parsing --event-monitor: path or fd required".
  EXPECT_EQ(ErrorOf(""), "--event-monitor: needs path=<path> or fd=<n>");
  // CH panics on an empty value (unwrap of None).
  EXPECT_EQ(ErrorOf("path="), "--event-monitor: needs path=<path> or fd=<n>");
  EXPECT_EQ(ErrorOf("fd="), "--event-monitor: needs path=<path> or fd=<n>");
}

TEST(EventMonitorConfigTest, BarePathIsAnUnknownKey) {
  // No bare-path form, as in CH (its parser says "Unknown option").
  const std::string message = ErrorOf("/tmp/events");
  EXPECT_NE(message.find("unknown key '/tmp/events'"), std::string::npos) << message;
  EXPECT_NE(message.find("path"), std::string::npos) << message;
}

TEST(EventMonitorConfigTest, PathAndFdTogetherIsAnError) {
  EXPECT_NE(ErrorOf("path=/a,fd=3").find("not both"), std::string::npos);
  EXPECT_NE(ErrorOf("fd=3,path=/a").find("not both"), std::string::npos);
}

TEST(EventMonitorConfigTest, BadFd) {
  EXPECT_NE(ErrorOf("fd=-1").find("fd=-1"), std::string::npos);
  EXPECT_NE(ErrorOf("fd=abc").find("file descriptor"), std::string::npos);
  ErrorOf("fd=0x3");
  ErrorOf("fd=+3");
  ErrorOf("fd= 3");
  ErrorOf("fd=2147483648");               // > INT_MAX
  ErrorOf("fd=99999999999999999999999");  // > UINT64_MAX
}

TEST(EventMonitorConfigTest, UnknownKeyAndRepeatedKey) {
  ErrorOf("path=/a,mode=1");
  ErrorOf("path=/a,path=/b");
}

}  // namespace
}  // namespace petrel::config
