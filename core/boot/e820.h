// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The x86 memory map given to Linux: the e820 table of a bzImage boot and the
// hvm_memmap_table of a PVH boot, built from GuestMemory's regions.
//
// Follows Cloud Hypervisor's x86_64 layout: RAM [0, EBDA), RAM from
// 1 MiB to the end of low RAM, RAM from 4 GiB; the PCI ECAM window is marked
// reserved so Linux accepts the MCFG table later. The legacy hole
// [0xA0000, 1 MiB) and the 32-bit device hole are left out (not RAM).
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

// ACPI 6.5 table 15.4 (Address Range Types), shared by e820 and the PVH memmap
// (xen/include/public/arch-x86/hvm/start_info.h XEN_HVM_MEMMAP_TYPE_*).
inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;

// Cloud Hypervisor arch/src/x86_64/layout.rs PCI_MMCONFIG_SIZE: 256 buses x 1 MiB.
inline constexpr uint64_t kPciMmconfigSize = 256ULL << 20;

// bootparam.h E820_MAX_ENTRIES_ZEROPAGE; also our cap for the PVH memmap.
inline constexpr size_t kMaxE820Entries = 128;

struct E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
  bool operator==(const E820Entry&) const = default;
};

// The memory map for `memory`, sorted by address. Fails (kOutOfRange) only if
// the regions would need more than kMaxE820Entries entries.
Result<std::vector<E820Entry>> BuildE820(const GuestMemory& memory);

}  // namespace petrel::boot
