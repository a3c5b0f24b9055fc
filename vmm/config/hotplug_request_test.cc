// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PCI hot-plug's requests: vm.remove-device's body, PciDeviceInfo, and the
// add bodies petrel-remote builds from ch-remote's arguments.
#include "vmm/config/hotplug_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vmm/config/vm_config_json.h"

namespace petrel::config {
namespace {

TEST(HotplugRequestTest, RemoveDeviceBody) {
  auto r = ParseRemoveDeviceJson(R"({"id":"_disk1"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->id, "_disk1");
  EXPECT_EQ(*ParseRemoveDeviceJson(RemoveDeviceRequestToJson(*r)), *r);
  EXPECT_FALSE(ParseRemoveDeviceJson("{}").ok());
  EXPECT_FALSE(ParseRemoveDeviceJson(R"({"id":""})").ok());
  EXPECT_FALSE(ParseRemoveDeviceJson(R"({"id":7})").ok());
  EXPECT_FALSE(ParseRemoveDeviceJson(R"({"id":"a","force":true})").ok());
  EXPECT_FALSE(ParseRemoveDeviceJson("not json").ok());
}

TEST(HotplugRequestTest, PciDeviceInfoAsCloudHypervisorPrintsIt) {
  PciDeviceInfo info{"_disk1", 0, 0, 6, 0};
  EXPECT_EQ(FormatBdf(info), "0000:00:06.0");
  EXPECT_EQ(nlohmann::json::parse(PciDeviceInfoToJson(info)),
            nlohmann::json::parse(R"({"id":"_disk1","bdf":"0000:00:06.0"})"));
  EXPECT_EQ(FormatBdf({"x", 0x12, 0xab, 31, 7}), "0012:ab:1f.7");
}

TEST(HotplugRequestTest, AddBodiesFromChRemoteArguments) {
  auto disk = AddDiskBodyFromOption("path=/img/a.raw,id=disk1,readonly=on");
  ASSERT_TRUE(disk.ok()) << disk.error().message();
  auto parsed = DiskConfigFromJson(*disk);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->path, "/img/a.raw");
  EXPECT_EQ(parsed->id, "disk1");
  EXPECT_TRUE(parsed->readonly);
  EXPECT_FALSE(AddDiskBodyFromOption("readonly=on").ok());  // no path
  EXPECT_FALSE(AddDiskBodyFromOption("path=/a,queue_size=3").ok());

  auto net = AddNetBodyFromOption("tap=tap3,mac=12:34:56:78:9a:bc,id=net1");
  ASSERT_TRUE(net.ok()) << net.error().message();
  auto parsed_net = NetConfigFromJson(*net);
  ASSERT_TRUE(parsed_net.ok()) << parsed_net.error().message();
  EXPECT_EQ(parsed_net->tap, "tap3");
  EXPECT_EQ(parsed_net->id, "net1");
  EXPECT_FALSE(AddNetBodyFromOption("num_queues=3").ok());
  // fd=[...]: the fds petrel-remote sends beside the body.
  EXPECT_EQ(AddNetFdsFromOption("fd=[5,6],num_queues=4,id=n").value(), (std::vector<int>{5, 6}));
  EXPECT_TRUE(AddNetFdsFromOption("tap=tap3").value().empty());
  EXPECT_FALSE(AddNetFdsFromOption("fd=[1]").ok());  // stdio is never a tap
}

TEST(HotplugRequestTest, AddBodiesAreCheckedLikeTheVmConfigsDevices) {
  EXPECT_TRUE(DiskConfigFromJson(R"({"path":"/a"})").ok());
  auto no_path = DiskConfigFromJson(R"({"readonly":true})");
  ASSERT_FALSE(no_path.ok());
  EXPECT_EQ(no_path.error().message(), "disk: path is required");
  EXPECT_FALSE(DiskConfigFromJson(R"({"path":"/a","sise":1})").ok());
  EXPECT_FALSE(DiskConfigFromJson("[1]").ok());
  EXPECT_FALSE(DiskConfigFromJson("{").ok());
  EXPECT_TRUE(NetConfigFromJson(R"({"tap":"t0"})").ok());
  EXPECT_FALSE(NetConfigFromJson(R"({"num_queues":3})").ok());
}

}  // namespace
}  // namespace petrel::config
