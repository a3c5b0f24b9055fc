// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Guest RAM from a VM config: its memory zones (--memory, or --memory-zone
// with --memory size=0) laid out by GuestMemory::CreateX86, each region
// backed, bound to its host NUMA node and advised as its zone says. The
// zones' order is the layout's: zone i of MemoryConfig::EffectiveZones() is
// GuestRegion::zone i.
#pragma once

#include <memory>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

// Each zone's RAM and hot-plug room, in MemoryConfig::EffectiveZones() order.
std::vector<X86Zone> ZoneExtents(const config::MemoryConfig& memory);

// Fresh guest RAM for `memory`: every region made as its zone's backing
// says (RamBacking), bound to its host_numa_node before anything touches it,
// then advised (THP, KSM, prefault) with its zone's options. An error names
// the zone.
Result<std::shared_ptr<GuestMemory>> CreateGuestRam(const config::MemoryConfig& memory);

// Memory brought from elsewhere (a snapshot's, a migration's) laid out as
// `memory`'s zones: WithX86Layout, or an error naming both shapes.
Result<std::shared_ptr<GuestMemory>> LayOutGuestRam(const GuestMemory& given,
                                                    const config::MemoryConfig& memory);

}  // namespace petrel::vmm
