// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestNumaNodes and CreateGuestRam: --memory-zone and --numa as the guest's
// memory layout and SRAT/SLIT input.
#include "vmm/numa_nodes.h"

#include <gtest/gtest.h>

#include "core/acpi/numa_tables.h"
#include "vmm/guest_ram.h"

namespace petrel::vmm {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// CH's docs/memory.md shape: two nodes, each with a zone and a vCPU; the
// second zone has virtio-mem room.
config::VmConfig TwoNodes() {
  config::VmConfig config;
  config.cpus.boot_vcpus = 2;
  config.cpus.max_vcpus = 3;
  config.memory.size = 0;
  config.memory.hotplug_method = config::HotplugMethod::kVirtioMem;
  config.memory.zones.resize(2);
  config.memory.zones[0].id = "z0";
  config.memory.zones[0].size = 64 * kMiB;
  config.memory.zones[1].id = "z1";
  config.memory.zones[1].size = 32 * kMiB;
  config.memory.zones[1].hotplug_size = 128 * kMiB;
  config.numa.resize(2);
  config.numa[0].guest_numa_id = 0;
  config.numa[0].cpus = std::vector<uint32_t>{0};
  config.numa[0].memory_zones = std::vector<std::string>{"z0"};
  config.numa[0].distances = std::vector<config::NumaDistance>{{1, 20}, {0, 15}};
  config.numa[1].guest_numa_id = 1;
  config.numa[1].cpus = std::vector<uint32_t>{1, 2};  // vCPU 2 is hot-pluggable
  config.numa[1].memory_zones = std::vector<std::string>{"z1"};
  return config;
}

TEST(GuestRamTest, ZonesAreMadeInOrderWithTheirOwnBacking) {
  config::VmConfig config = TwoNodes();
  config.memory.zones[1].shared = true;
  auto ram = CreateGuestRam(config.memory);
  ASSERT_TRUE(ram.ok()) << ram.error().message();
  const auto& regions = (*ram)->regions();
  ASSERT_EQ(regions.size(), 3u);
  EXPECT_EQ(regions[0].host->fd(), -1);  // z0: private
  EXPECT_GE(regions[1].host->fd(), 0);   // z1: a memfd
  EXPECT_EQ(regions[1].gpa, 64 * kMiB);
  EXPECT_GE(regions[2].host->fd(), 0);   // and its hot-plug area too
  EXPECT_TRUE(regions[2].hotplug);
  // A host node the machine lacks fails, naming the zone.
  config.memory.zones[0].host_numa_node = 1000;
  auto missing = CreateGuestRam(config.memory);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("memory zone z0"), std::string::npos)
      << missing.error().message();
  EXPECT_NE(missing.error().message().find("host NUMA node 1000"), std::string::npos);
}

TEST(GuestNumaNodesTest, EachNodeHasItsZonesAreasAndApicIds) {
  const config::VmConfig config = TwoNodes();
  auto ram = CreateGuestRam(config.memory);
  ASSERT_TRUE(ram.ok()) << ram.error().message();
  const uint32_t apic_ids[] = {0, 2, 4};
  const std::vector<acpi::NumaNode> nodes = GuestNumaNodes(config, **ram, apic_ids);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].proximity_domain, 0u);
  ASSERT_EQ(nodes[0].memory.size(), 1u);
  EXPECT_EQ(nodes[0].memory[0].base, 0u);
  EXPECT_EQ(nodes[0].memory[0].size, 64 * kMiB);
  EXPECT_FALSE(nodes[0].memory[0].hotpluggable);
  EXPECT_EQ(nodes[0].apic_ids, std::vector<uint32_t>{0});
  // The self distance is dropped (the SLIT's diagonal is 10).
  ASSERT_EQ(nodes[0].distances.size(), 1u);
  EXPECT_EQ(nodes[0].distances[0], (std::pair<uint32_t, uint8_t>{1, 20}));
  ASSERT_EQ(nodes[1].memory.size(), 2u);
  EXPECT_EQ(nodes[1].memory[0].base, 64 * kMiB);
  EXPECT_EQ(nodes[1].memory[1].base, 4ULL << 30);
  EXPECT_EQ(nodes[1].memory[1].size, 128 * kMiB);
  EXPECT_TRUE(nodes[1].memory[1].hotpluggable);
  EXPECT_EQ(nodes[1].apic_ids, (std::vector<uint32_t>{2, 4}));
  // What the SRAT and SLIT builder takes.
  EXPECT_TRUE(acpi::ValidateNumaNodes(nodes).ok());
  auto tables = acpi::BuildNumaTables(nodes);
  ASSERT_TRUE(tables.ok()) << tables.error().message();
  EXPECT_EQ(std::string(tables->srat.begin(), tables->srat.begin() + 4), "SRAT");
}

TEST(GuestNumaNodesTest, NoNumaNoNodes) {
  config::VmConfig config = TwoNodes();
  config.numa.clear();
  auto ram = CreateGuestRam(config.memory);
  ASSERT_TRUE(ram.ok());
  EXPECT_TRUE(GuestNumaNodes(config, **ram, std::vector<uint32_t>{0, 1, 2}).empty());
}

}  // namespace
}  // namespace petrel::vmm
