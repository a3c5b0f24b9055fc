// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioMemConfig checks (see mem_config.h).
#include "devices/virtio/mem/mem_config.h"

#include <bit>

#include "core/base/field_error.h"
#include "core/base/hex.h"

namespace petrel::virtio {
Result<void> Validate(const VirtioMemConfig& mem) {
  const uint64_t bs = mem.block_size;
  if (!std::has_single_bit(bs) || bs < kVirtioMemMinBlockSize || bs > kVirtioMemMaxBlockSize) {
    return FieldError("block_size", std::to_string(bs),
                      "must be a power of two from 2 MiB to 1 GiB");
  }
  if (mem.addr % bs != 0) {
    return FieldError("addr", Hex(mem.addr), "must be a multiple of block_size (" + Hex(bs) + ")");
  }
  if (mem.size == 0) return FieldError("size", "0", "must not be 0");
  if (mem.size % kVirtioMemRegionAlign != 0) {
    return FieldError("size", std::to_string(mem.size), "must be a multiple of 128 MiB");
  }
  if (mem.size % bs != 0) {
    return FieldError("size", std::to_string(mem.size),
                      "must be a multiple of block_size (" + std::to_string(bs) + ")");
  }
  if (mem.size > kVirtioMemMaxRegionSize) {
    return FieldError("size", std::to_string(mem.size), "is above 64 TiB");
  }
  if (mem.addr > kVirtioMemMaxAddressEnd || mem.size > kVirtioMemMaxAddressEnd - mem.addr) {
    return FieldError("size", std::to_string(mem.size),
                      "puts the region's end past 2^52 (from addr " + Hex(mem.addr) + ")");
  }
  if (mem.requested_size % bs != 0) {
    return FieldError("requested_size", std::to_string(mem.requested_size),
                      "must be a multiple of block_size (" + std::to_string(bs) + ")");
  }
  if (mem.requested_size > mem.size) {
    return FieldError("requested_size", std::to_string(mem.requested_size),
                      "is above the region's size (" + std::to_string(mem.size) + ")");
  }
  return Ok();
}

}  // namespace petrel::virtio
