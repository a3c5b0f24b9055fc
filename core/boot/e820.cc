// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Builds the e820 / PVH memory map from GuestMemory's regions (see e820.h).
#include "core/boot/e820.h"

#include <algorithm>
#include <string>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::boot {

Result<std::vector<E820Entry>> BuildE820(const GuestMemory& memory) {
  std::vector<E820Entry> entries;
  for (const GuestRegion& r : memory.regions()) {
    if (r.hotplug) continue;  // the guest learns of it from the hot-plug mechanism
    // Conventional memory below the EBDA (the MP table lives in its last KiB).
    if (r.gpa < x86::kEbdaStart) {
      const uint64_t end = std::min(r.end(), x86::kEbdaStart);
      entries.push_back({r.gpa, end - r.gpa, kE820Ram});
    }
    // Everything from 1 MiB up; regions never cover the 32-bit hole.
    if (r.end() > x86::kHighRamStart) {
      const uint64_t start = std::max(r.gpa, x86::kHighRamStart);
      entries.push_back({start, r.end() - start, kE820Ram});
    }
  }
  const bool ecam_is_ram =
      std::any_of(memory.regions().begin(), memory.regions().end(), [](const GuestRegion& r) {
        return RangesOverlap(r.gpa, r.size, x86::kPciMmconfigStart, kPciMmconfigSize);
      });
  if (!ecam_is_ram) entries.push_back({x86::kPciMmconfigStart, kPciMmconfigSize, kE820Reserved});
  std::sort(entries.begin(), entries.end(),
            [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
  if (entries.size() > kMaxE820Entries) {
    return Error(ErrorCode::kOutOfRange, "memory map needs " + std::to_string(entries.size()) +
                                             " entries, more than the " +
                                             std::to_string(kMaxE820Entries) + " e820 allows");
  }
  return entries;
}

}  // namespace petrel::boot
