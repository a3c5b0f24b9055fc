// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "vmm/numa_nodes.h"

#include <algorithm>
#include <string>

namespace petrel::vmm {

std::vector<acpi::NumaNode> GuestNumaNodes(const config::VmConfig& config,
                                           const GuestMemory& memory,
                                           std::span<const uint32_t> apic_ids) {
  const std::vector<config::MemoryZoneConfig> zones = config.memory.EffectiveZones();
  std::vector<acpi::NumaNode> nodes;
  for (const config::NumaConfig& numa : config.numa) {
    acpi::NumaNode node;
    node.proximity_domain = numa.guest_numa_id;
    for (const std::string& name : numa.memory_zones.value_or(std::vector<std::string>{})) {
      const auto zone = std::find_if(zones.begin(), zones.end(),
                                     [&](const config::MemoryZoneConfig& z) { return z.id == name; });
      if (zone == zones.end()) continue;
      const auto index = static_cast<uint32_t>(zone - zones.begin());
      for (const GuestRegion& r : memory.regions()) {
        if (r.zone == index) node.memory.push_back({r.gpa, r.size, r.hotplug});
      }
    }
    for (uint32_t cpu : numa.cpus.value_or(std::vector<uint32_t>{})) {
      if (cpu < apic_ids.size()) node.apic_ids.push_back(apic_ids[cpu]);
    }
    for (const config::NumaDistance& d : numa.distances.value_or(std::vector<config::NumaDistance>{})) {
      if (d.destination == numa.guest_numa_id) continue;  // always 10 (CH ignores it too)
      node.distances.emplace_back(d.destination, d.distance);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

}  // namespace petrel::vmm
