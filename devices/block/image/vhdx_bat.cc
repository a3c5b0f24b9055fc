// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX BAT geometry and checks (see vhdx_bat.h).
#include "devices/block/image/vhdx_bat.h"

#include <string>

#include "core/base/bytes.h"

namespace petrel {

VhdxBatGeometry VhdxBatGeometry::For(const VhdxMetadata& m) {
  VhdxBatGeometry g;
  // §2.5: chunk ratio = (2^23 * logical sector size) / block size. With the
  // limits ReadVhdxMetadata checks it lies in [16, 2^14].
  g.chunk_ratio = (uint64_t{1} << 23) * m.logical_sector_size / m.block_size;
  g.data_blocks = (m.virtual_size + m.block_size - 1) / m.block_size;
  // §2.5 "total BAT entries" for a disk without parent: the payload entries
  // plus one sector bitmap entry after each full chunk before the last block.
  g.total_entries = g.data_blocks == 0 ? 0 : g.data_blocks + (g.data_blocks - 1) / g.chunk_ratio;
  return g;
}

Result<void> CheckVhdxBat(const std::vector<uint64_t>& bat, const VhdxBatGeometry& geometry,
                          uint32_t block_size, uint64_t file_size,
                          const std::vector<VhdxReserved>& reserved) {
  for (uint64_t block = 0; block < geometry.data_blocks; ++block) {
    const uint64_t entry = bat[geometry.PayloadIndex(block)];
    const uint64_t state = entry & kVhdxBatStateMask;
    if (state == 4 || state == 5)
      return Error(ErrorCode::kMalformed, "VHDX BAT entry of block " + std::to_string(block) +
                                              " has the invalid state " + std::to_string(state));
    if (!VhdxBatPresent(entry)) continue;
    const uint64_t offset = entry & kVhdxBatOffsetMask;
    if (offset < kVhdxHeaderSectionSize || offset > file_size || block_size > file_size - offset)
      return Error(ErrorCode::kMalformed, "VHDX BAT entry of block " + std::to_string(block) +
                                              " points at offset " + std::to_string(offset) +
                                              ", outside the file (" + std::to_string(file_size) +
                                              " bytes); has the image been truncated?");
    for (const VhdxReserved& r : reserved)
      if (RangesOverlap(offset, block_size, r.offset, r.length))
        return Error(ErrorCode::kMalformed, "VHDX BAT entry of block " + std::to_string(block) +
                                                " overlaps the image's metadata");
  }
  return Ok();
}

}  // namespace petrel
