// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Device ids as Cloud Hypervisor assigns them, through both doors.
#include "vmm/config/device_ids.h"

#include <gtest/gtest.h>

#include "vmm/config/cli.h"
#include "vmm/config/vm_config_json.h"

namespace petrel::config {
namespace {

VmConfig WithDevices(std::vector<std::string> disk_ids, std::vector<std::string> net_ids) {
  VmConfig config;
  for (auto& id : disk_ids) config.disks.push_back({.path = "/d", .id = id});
  for (auto& id : net_ids) config.nets.push_back({.id = id});
  return config;
}

TEST(DeviceIdsTest, OneCounterAcrossTypesInChsOrder) {
  VmConfig config = WithDevices({"", ""}, {"", ""});
  ASSERT_TRUE(CheckDeviceIds(config).ok());
  AssignDeviceIds(config);
  EXPECT_EQ(config.disks[0].id, "_disk0");
  EXPECT_EQ(config.disks[1].id, "_disk1");
  EXPECT_EQ(config.nets[0].id, "_net2");
  EXPECT_EQ(config.nets[1].id, "_net3");
  EXPECT_EQ(config.rng.id, "__rng");
}

TEST(DeviceIdsTest, GeneratedNamesSkipTheUsersIds) {
  VmConfig config = WithDevices({"", "root", ""}, {"_disk1"});
  ASSERT_TRUE(CheckDeviceIds(config).ok());
  AssignDeviceIds(config);
  EXPECT_EQ(config.disks[0].id, "_disk0");
  EXPECT_EQ(config.disks[1].id, "root");
  EXPECT_EQ(config.disks[2].id, "_disk2");  // _disk1 is the net's
  EXPECT_EQ(config.nets[0].id, "_disk1");
}

TEST(DeviceIdsTest, DuplicateAndReservedIdsAreRefused) {
  EXPECT_EQ(CheckDeviceIds(WithDevices({"a"}, {"a"})).error().message(),
            "id=a: used by another device (ids must be unique)");
  // The API answers a duplicate id with 409, as CH's IdentifierNotUnique.
  EXPECT_EQ(CheckDeviceIds(WithDevices({"a"}, {"a"})).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CheckDeviceIds(WithDevices({"__console"}, {})).error().message(),
            "id=__console: ids starting with \"__\" are reserved for Petrel's devices");
}

TEST(DeviceIdsTest, BothDoorsAssignAndVmInfoShowsThem) {
  const char* argv[] = {"petrel", "--kernel", "/k", "--disk", "path=/a", "--net", "id=n0",
                        "--net", "tap="};
  const auto cli = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(cli.action, CliOutcome::Action::kRun) << cli.message;
  EXPECT_EQ(cli.options.vm.disks[0].id, "_disk0");
  EXPECT_EQ(cli.options.vm.nets[0].id, "n0");
  EXPECT_EQ(cli.options.vm.nets[1].id, "_net1");
  auto json = VmConfigFromJson(
      R"({"payload":{"kernel":"/k"},"disks":[{"path":"/a"}],"net":[{"id":"n0"},{}]})");
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_EQ(*json, cli.options.vm);
  const auto info = VmConfigToJson(*json);
  EXPECT_EQ(info["disks"][0]["id"], "_disk0");
  EXPECT_EQ(info["net"][1]["id"], "_net1");
  EXPECT_EQ(info["rng"]["id"], "__rng");
  const char* dup[] = {"petrel", "--kernel", "/k", "--disk", "path=/a,id=x", "--net", "id=x"};
  EXPECT_EQ(ParseCommandLine(7, dup).message,
            "petrel: error: id=x: used by another device (ids must be unique)");
}

// Memory zone ids are in the namespace (CH's validate_identifier): a
// generated device name skips them, and a device cannot take one.
TEST(DeviceIdsTest, MemoryZoneIdsShareTheNamespace) {
  VmConfig config;
  config.memory.size = 0;
  config.memory.zones.push_back({.id = "_disk0", .size = 1ULL << 30});
  config.disks.push_back({});
  config.disks[0].path = "/d";
  ASSERT_TRUE(CheckDeviceIds(config).ok());
  AssignDeviceIds(config);
  EXPECT_EQ(config.disks[0].id, "_disk1");
  config.disks[0].id = "_disk0";
  auto r = CheckDeviceIds(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kAlreadyExists);
  config.disks[0].id = "d";
  config.memory.zones[0].id = "__zone";
  EXPECT_FALSE(CheckDeviceIds(config).ok());
}

}  // namespace
}  // namespace petrel::config
