// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "vmm/guest_ram.h"

#include <string>

namespace petrel::vmm {

std::vector<X86Zone> ZoneExtents(const config::MemoryConfig& memory) {
  std::vector<X86Zone> extents;
  for (const config::MemoryZoneConfig& zone : memory.EffectiveZones()) {
    extents.push_back({zone.size, zone.hotplug_size.value_or(0)});
  }
  return extents;
}

Result<std::shared_ptr<GuestMemory>> CreateGuestRam(const config::MemoryConfig& memory) {
  const std::vector<config::MemoryZoneConfig> zones = memory.EffectiveZones();
  const std::vector<X86Zone> extents = ZoneExtents(memory);
  const std::vector<GuestRegion> layout = GuestMemory::X86Layout(extents);
  auto zone_name = [&](uint32_t zone) {
    return memory.user_zones() ? "memory zone " + zones[zone].id : std::string("guest memory");
  };
  PETREL_ASSIGN_OR_RETURN(
      auto ram,
      GuestMemory::CreateX86(
          extents, [&](size_t slot, uint64_t size) -> Result<std::shared_ptr<HostRegion>> {
            const config::MemoryZoneConfig& zone = zones[layout[slot].zone];
            PETREL_ASSIGN_OR_RETURN(auto host, HostRegion::Create(zone.backing(), size)
                                                   .Wrap(zone_name(layout[slot].zone)));
            if (zone.host_numa_node) {
              PETREL_TRY(host->BindToNode(*zone.host_numa_node).Wrap(zone_name(layout[slot].zone)));
            }
            return host;
          }));
  for (uint32_t i = 0; i < zones.size(); ++i) {
    // The global thp applies to every zone (CH has no per-zone thp).
    const MemoryAdvice advice{
        .thp = memory.thp, .mergeable = zones[i].mergeable, .prefault = zones[i].prefault};
    PETREL_TRY(ram->Advise(advice, i).Wrap(zone_name(i)));
  }
  return ram;
}

Result<std::shared_ptr<GuestMemory>> LayOutGuestRam(const GuestMemory& given,
                                                    const config::MemoryConfig& memory) {
  return given.WithX86Layout(ZoneExtents(memory));
}

}  // namespace petrel::vmm
