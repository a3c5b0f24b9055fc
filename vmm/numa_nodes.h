// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The guest's NUMA nodes (--numa) as the ACPI SRAT/SLIT describe them: each
// node's memory is the RAM of the zones it names, and their hot-plug areas
// flagged hot-pluggable (so the guest puts virtio-mem blocks on that node);
// its processors are the APIC ids of the vCPU indices it names (hot-plugged
// ones included); its distances are given as they are (core/acpi/numa_tables.h
// fills in the rest).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/acpi/numa_tables.h"
#include "core/memory/guest_memory.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

// `memory` laid out from config.memory's zones (vmm/guest_ram.h);
// `apic_ids[i]` is vCPU i's. Names the config checked (zones that exist,
// cpus below max_vcpus) are taken as they are; one that is not is skipped.
// Empty without --numa.
std::vector<acpi::NumaNode> GuestNumaNodes(const config::VmConfig& config,
                                           const GuestMemory& memory,
                                           std::span<const uint32_t> apic_ids);

}  // namespace petrel::vmm
