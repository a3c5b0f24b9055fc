// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Where the initramfs goes: the top of low RAM (below the 3 GiB hole), page
// aligned, below the kernel's limit and above everything the kernel occupies.
// Cloud Hypervisor does the same.
#pragma once

#include <cstdint>
#include <span>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

struct InitramfsPlacement {
  uint64_t addr = 0;
  uint64_t size = 0;
};

// End (exclusive) of the RAM that is contiguous from 1 MiB, capped at the
// 32-bit hole; 0 if there is no RAM at 1 MiB.
uint64_t LowRamEnd(const GuestMemory& memory);

// Copies `initramfs` to the highest page-aligned address whose end is at most
// min(LowRamEnd, limit) and whose start is at least `kernel_end`. `limit` is an
// exclusive end (bzImage: initrd_addr_max + 1). An empty initramfs places
// nothing and returns {0, 0}.
Result<InitramfsPlacement> PlaceInitramfs(GuestMemory& memory, std::span<const uint8_t> initramfs,
                                          uint64_t kernel_end, uint64_t limit);

}  // namespace petrel::boot
