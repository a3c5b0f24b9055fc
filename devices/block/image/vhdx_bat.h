// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The VHDX block allocation table (VHDX 1.0 §2.5): its geometry (payload
// blocks interleaved with sector bitmap blocks every chunk ratio), entry
// states, and the checks an opened BAT must pass.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/result.h"
#include "devices/block/image/vhdx_header.h"
#include "devices/block/image/vhdx_metadata.h"

namespace petrel {

// §2.5.1 "BAT Entry": State in bits 0-2, FileOffsetMB in bits 20-63.
inline constexpr uint64_t kVhdxBatStateMask = 0x7;
inline constexpr uint64_t kVhdxBatOffsetMask = ~uint64_t{0xFFFFF};
// §2.5.1.1 "Payload BAT Entry States".
enum class VhdxPayloadState : uint8_t {
  kNotPresent = 0,
  kUndefined = 1,
  kZero = 2,
  kUnmapped = 3,
  kFullyPresent = 6,
  kPartiallyPresent = 7,
};

struct VhdxBatGeometry {
  uint64_t chunk_ratio = 0;  // payload blocks per sector bitmap block (§2.5)
  uint64_t data_blocks = 0;  // payload blocks covering the virtual disk
  uint64_t total_entries = 0;

  static VhdxBatGeometry For(const VhdxMetadata& metadata);
  // The BAT index of payload block `block` (§2.5: one sector bitmap entry
  // follows every chunk_ratio payload entries).
  uint64_t PayloadIndex(uint64_t block) const { return block + block / chunk_ratio; }
};

// Whether a payload entry's data lives in the file.
inline bool VhdxBatPresent(uint64_t entry) {
  const auto state = static_cast<VhdxPayloadState>(entry & kVhdxBatStateMask);
  return state == VhdxPayloadState::kFullyPresent || state == VhdxPayloadState::kPartiallyPresent;
}

// The areas of the file that payload blocks must not overlap.
struct VhdxReserved {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Checks every payload entry of `bat`: a known state; a present block
// beyond the header section, within `file_size` (QEMU: "truncated image")
// and clear of `reserved` (log, BAT and metadata regions).
Result<void> CheckVhdxBat(const std::vector<uint64_t>& bat, const VhdxBatGeometry& geometry,
                          uint32_t block_size, uint64_t file_size,
                          const std::vector<VhdxReserved>& reserved);

}  // namespace petrel
