// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RangeAllocator: hands out naturally aligned ranges of one address window
// (a PCI BAR window) and takes them back, so a hot-unplugged device's BARs
// can go to the next device.
//
// First fit in address order: the lowest aligned gap that holds the size.
// A window that only ever allocates therefore hands out exactly what a bump
// allocator would, which keeps a booting VM's BAR addresses the same as
// before hot-plug existed. Reserve() records a range someone else chose (a
// restored device's BARs, as the snapshot's config space has them).
//
// Not thread-safe: the owner locks.
#pragma once

#include <cstdint>
#include <map>

#include "core/base/result.h"

namespace petrel::vmm {

class RangeAllocator {
 public:
  // The window [first, last] (inclusive, so it may end at 2^64 - 1).
  RangeAllocator(uint64_t first, uint64_t last) : first_(first), last_(last) {}

  // `size` bytes aligned to `align` (a power of two). kOutOfRange if no gap
  // holds it; kInvalidArgument for size 0 or an alignment not a power of 2.
  Result<uint64_t> Allocate(uint64_t size, uint64_t align);
  // Marks [addr, addr + size) taken. kAlreadyExists if it overlaps a range
  // already taken, kOutOfRange if it leaves the window.
  Result<void> Reserve(uint64_t addr, uint64_t size);
  // Gives back the range that starts at `addr`; false if none does.
  bool Free(uint64_t addr);
  void Clear() { taken_.clear(); }
  size_t taken_count() const { return taken_.size(); }

 private:
  uint64_t first_, last_;
  std::map<uint64_t, uint64_t> taken_;  // start -> size
};

}  // namespace petrel::vmm
