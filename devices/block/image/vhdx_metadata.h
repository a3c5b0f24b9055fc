// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The VHDX metadata region (VHDX 1.0 §2.6): its table and the system items
// Petrel needs -- file parameters, virtual disk size, logical and physical
// sector sizes -- each checked against the spec's limits.
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/vhdx_header.h"

namespace petrel {

// §2.6.2.1: block sizes are powers of two from 1 MiB to 256 MiB.
inline constexpr uint32_t kVhdxMinBlockSize = 1 << 20;
inline constexpr uint32_t kVhdxMaxBlockSize = 256 << 20;
// §2.6.2.2: the virtual disk is at most 64 TiB.
inline constexpr uint64_t kVhdxMaxVirtualSize = uint64_t{64} << 40;

struct VhdxMetadata {
  uint32_t block_size = 0;
  bool leave_blocks_allocated = false;
  bool has_parent = false;
  uint64_t virtual_size = 0;
  uint32_t logical_sector_size = 0;   // 512 or 4096 (§2.6.2.4)
  uint32_t physical_sector_size = 0;  // 512 or 4096 (§2.6.2.5)
};

// Reads and checks the metadata table and items of `region`. kMalformed for
// a broken table or an out-of-range value; kUnsupported for an unknown item
// marked required.
Result<VhdxMetadata> ReadVhdxMetadata(const DiskFile& file, const VhdxRegion& region);

}  // namespace petrel
