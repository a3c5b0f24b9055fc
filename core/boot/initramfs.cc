// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Initramfs placement at the top of low RAM (see initramfs.h).
#include "core/boot/initramfs.h"

#include <algorithm>
#include <sstream>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::boot {
namespace {
constexpr uint64_t kPageSize = 4096;
}  // namespace

uint64_t LowRamEnd(const GuestMemory& memory) {
  uint64_t end = 0;
  uint64_t cursor = x86::kHighRamStart;
  // Regions are sorted; follow adjacent ones from 1 MiB.
  for (const GuestRegion& r : memory.regions()) {
    if (r.gpa <= cursor && cursor < r.end()) {
      cursor = r.end();
      end = cursor;
    }
  }
  return std::min(end, x86::kMem32BitReservedStart);
}

Result<InitramfsPlacement> PlaceInitramfs(GuestMemory& memory, std::span<const uint8_t> initramfs,
                                          uint64_t kernel_end, uint64_t limit) {
  if (initramfs.empty()) return InitramfsPlacement{};
  const uint64_t top = std::min(LowRamEnd(memory), limit);
  const uint64_t size = initramfs.size();
  const uint64_t floor = std::max(kernel_end, x86::kHighRamStart);
  if (size > top || AlignDown(top - size, kPageSize) < floor) {
    std::ostringstream msg;
    msg << "initramfs too big for low RAM: " << size
        << " bytes do not fit between the kernel end 0x" << std::hex << floor << " and 0x" << top;
    return Error(ErrorCode::kOutOfRange, msg.str());
  }
  const uint64_t addr = AlignDown(top - size, kPageSize);
  PETREL_TRY(memory.Write(addr, initramfs).Wrap("writing initramfs"));
  return InitramfsPlacement{addr, size};
}

}  // namespace petrel::boot
