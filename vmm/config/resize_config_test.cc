// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for vm.resize's request: CH's JSON both ways and ch-remote's flags.
#include "vmm/config/resize_config.h"

#include <gtest/gtest.h>

namespace petrel::config {
namespace {

TEST(ResizeConfigTest, ReadsCloudHypervisorsJson) {
  auto r = ParseResizeJson(R"({"desired_vcpus":4,"desired_ram":1073741824,"desired_balloon":0})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->desired_vcpus, 4u);
  EXPECT_EQ(r->desired_ram, 1073741824u);
  EXPECT_EQ(r->desired_balloon, 0u);
  auto only = ParseResizeJson(R"({"desired_vcpus":2,"desired_ram":null})");
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->desired_vcpus, 2u);
  EXPECT_FALSE(only->desired_ram.has_value());
  EXPECT_TRUE(ParseResizeJson("{}").ok());
}

TEST(ResizeConfigTest, RefusesBadJsonNamingTheField) {
  auto message = [](std::string_view body) {
    auto r = ParseResizeJson(body);
    return r.ok() ? std::string("accepted") : r.error().message();
  };
  EXPECT_NE(message(R"({"desired_vcpus":0})").find("desired_vcpus"), std::string::npos);
  EXPECT_NE(message(R"({"desired_vcpus":"4"})").find("desired_vcpus"), std::string::npos);
  EXPECT_NE(message(R"({"desired_vcpus":100000})").find("desired_vcpus"), std::string::npos);
  EXPECT_NE(message(R"({"desired_ram":-1})").find("desired_ram"), std::string::npos);
  EXPECT_NE(message(R"({"desired_cpus":2})").find("desired_cpus"), std::string::npos);
  EXPECT_NE(message("[1]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message("{").find("not valid JSON"), std::string::npos);
}

TEST(ResizeConfigTest, JsonRoundTrips) {
  ResizeRequest r{3, 512u << 20, std::nullopt};
  auto back = ParseResizeJson(ResizeRequestToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(ResizeRequestToJson({2, std::nullopt, std::nullopt}), R"({"desired_vcpus":2})");
}

TEST(ResizeConfigTest, ChRemoteFlags) {
  auto r = ParseResizeFlags("4", "1G", "");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->desired_vcpus, 4u);
  EXPECT_EQ(r->desired_ram, uint64_t{1} << 30);
  EXPECT_FALSE(r->desired_balloon.has_value());
  EXPECT_FALSE(ParseResizeFlags("0", "", "").ok());
  EXPECT_FALSE(ParseResizeFlags("4x", "", "").ok());
  EXPECT_FALSE(ParseResizeFlags("", "lots", "").ok());
  EXPECT_FALSE(ParseResizeFlags("", "", "").ok());  // nothing to resize
}

TEST(ResizeDiskConfigTest, ReadsAndWritesChsVmResizeDisk) {
  auto r = ParseResizeDiskJson(R"({"id":"_disk0","desired_size":2147483648})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "_disk0");
  EXPECT_EQ(r->desired_size, uint64_t{2} << 30);
  auto back = ParseResizeDiskJson(ResizeDiskRequestToJson(*r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *r);
  EXPECT_FALSE(ParseResizeDiskJson(R"({"desired_size":1})").ok());             // no id
  EXPECT_FALSE(ParseResizeDiskJson(R"({"id":"_disk0"})").ok());                // no size
  EXPECT_FALSE(ParseResizeDiskJson(R"({"id":"_disk0","desired_size":-5})").ok());
  EXPECT_FALSE(ParseResizeDiskJson(R"({"id":3,"desired_size":512})").ok());
}

TEST(ResizeDiskConfigTest, ChRemoteFlags) {
  auto r = ParseResizeDiskFlags("disk1", "2G");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "disk1");
  EXPECT_EQ(r->desired_size, uint64_t{2} << 30);
  EXPECT_FALSE(ParseResizeDiskFlags("", "2G").ok());
  EXPECT_FALSE(ParseResizeDiskFlags("disk1", "").ok());
  EXPECT_FALSE(ParseResizeDiskFlags("disk1", "big").ok());
}

TEST(ResizeZoneConfigTest, ReadsAndWritesChsVmResizeZone) {
  auto r = ParseResizeZoneJson(R"({"id":"mem1","desired_ram":2147483648})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "mem1");
  EXPECT_EQ(r->desired_ram, uint64_t{2} << 30);
  auto back = ParseResizeZoneJson(ResizeZoneRequestToJson(*r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *r);
  EXPECT_EQ(ResizeZoneRequestToJson({"z", 4096}), R"({"desired_ram":4096,"id":"z"})");
  auto message = [](std::string_view body) {
    auto parsed = ParseResizeZoneJson(body);
    return parsed.ok() ? std::string("accepted") : parsed.error().message();
  };
  EXPECT_EQ(message(R"({"desired_ram":1})"), "id: missing");
  EXPECT_EQ(message(R"({"id":"","desired_ram":1})"), "id: must not be empty");
  EXPECT_EQ(message(R"({"id":"mem0"})"), "desired_ram: missing");
  EXPECT_EQ(message(R"({"id":"mem0","desired_ram":-1})"), "desired_ram: expected a number of bytes");
  EXPECT_EQ(message(R"({"id":3,"desired_ram":1})"), "id: expected a string");
  EXPECT_NE(message(R"({"id":"mem0","desired_ram":1,"desired_size":2})").find("desired_size"),
            std::string::npos);
}

TEST(ResizeZoneConfigTest, ChRemoteFlags) {
  auto r = ParseResizeZoneFlags("mem0", "3G");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "mem0");
  EXPECT_EQ(r->desired_ram, uint64_t{3} << 30);
  EXPECT_EQ(ParseResizeZoneFlags("", "3G").error().message(), "resize-zone needs --id <zone id>");
  EXPECT_EQ(ParseResizeZoneFlags("mem0", "").error().message(), "resize-zone needs --size <size>");
  EXPECT_EQ(ParseResizeZoneFlags("mem0", "lots").error().message(),
            "--size: expected a size like 512M");
}

}  // namespace
}  // namespace petrel::config
