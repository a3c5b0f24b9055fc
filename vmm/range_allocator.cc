// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RangeAllocator (see range_allocator.h).
#include "vmm/range_allocator.h"

#include <string>

namespace petrel::vmm {

namespace {

// The first multiple of `align` at or above `v`; false on overflow.
bool AlignUp(uint64_t v, uint64_t align, uint64_t& out) {
  const uint64_t mask = align - 1;
  if (v > UINT64_MAX - mask) return false;
  out = (v + mask) & ~mask;
  return true;
}

}  // namespace

Result<uint64_t> RangeAllocator::Allocate(uint64_t size, uint64_t align) {
  if (size == 0 || align == 0 || (align & (align - 1)) != 0) {
    return Error(ErrorCode::kInvalidArgument, "allocation of " + std::to_string(size) +
                                                  " bytes aligned to " + std::to_string(align));
  }
  uint64_t cursor = first_;  // the lowest address not known to be taken
  auto fits_before = [&](uint64_t limit_inclusive, uint64_t& at) {
    if (!AlignUp(cursor, align, at)) return false;
    return at <= limit_inclusive && size - 1 <= limit_inclusive - at;
  };
  uint64_t at = 0;
  for (const auto& [start, len] : taken_) {
    if (start > cursor && fits_before(start - 1, at)) {
      taken_.emplace(at, size);
      return at;
    }
    const uint64_t last_taken = start + (len - 1);
    if (last_taken >= cursor) {
      if (last_taken >= last_) return Error(ErrorCode::kOutOfRange, "no room for " + std::to_string(size) + " bytes");
      cursor = last_taken + 1;
    }
  }
  if (fits_before(last_, at)) {
    taken_.emplace(at, size);
    return at;
  }
  return Error(ErrorCode::kOutOfRange, "no room for " + std::to_string(size) + " bytes");
}

Result<void> RangeAllocator::Reserve(uint64_t addr, uint64_t size) {
  if (size == 0 || addr < first_ || addr > last_ || size - 1 > last_ - addr) {
    return Error(ErrorCode::kOutOfRange, "range outside the window");
  }
  auto next = taken_.lower_bound(addr);
  if (next != taken_.end() && next->first <= addr + (size - 1)) {
    return Error(ErrorCode::kAlreadyExists, "range overlaps another");
  }
  if (next != taken_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + (prev->second - 1) >= addr) {
      return Error(ErrorCode::kAlreadyExists, "range overlaps another");
    }
  }
  taken_.emplace(addr, size);
  return Ok();
}

bool RangeAllocator::Free(uint64_t addr) { return taken_.erase(addr) == 1; }

}  // namespace petrel::vmm
