// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The text descriptor of a flat VMDK (VMware "Virtual Disk Format 5.0",
// "The Descriptor File"): its create type and its extents. Parsing only --
// no files are opened here (vmdk_image.cc does that).
//
// Accepted: createType monolithicFlat, twoGbMaxExtentFlat, vmfs; extents
// `RW|RDONLY <sectors> FLAT|VMFS "<file>" [<offset in sectors>]`. Refused,
// with an error naming what was found: sparse and stream-optimized disks,
// SPARSE/ZERO/VMFSSPARSE extents, NOACCESS extents, a parent (differencing
// disk), sizes that overflow or exceed kVmdkMaxDiskBytes, more than
// kVmdkMaxExtents extents, descriptors larger than kVmdkMaxDescriptorBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace petrel {

inline constexpr size_t kVmdkMaxDescriptorBytes = 64 << 10;
inline constexpr size_t kVmdkMaxExtents = 1024;
// 2^48 bytes (256 TiB): far above any flat disk QEMU or VMware creates.
inline constexpr uint64_t kVmdkMaxDiskBytes = uint64_t{1} << 48;
// VMDK 5.0 "Extent Descriptions": sizes and offsets count 512-byte sectors.
inline constexpr uint64_t kVmdkSectorSize = 512;

struct VmdkExtent {
  bool readonly = false;  // RDONLY
  uint64_t sectors = 0;
  std::string file;     // as named (relative to the descriptor's directory)
  uint64_t offset = 0;  // in sectors, into `file`
};

struct VmdkDescriptor {
  std::string create_type;
  std::vector<VmdkExtent> extents;
  uint64_t size() const;  // bytes: the sum of the extents
};

// Parses `text` (up to its first NUL, as QEMU); errors are kUnsupported (a valid VMDK Petrel does
// not open) or kMalformed.
Result<VmdkDescriptor> ParseVmdkDescriptor(std::string_view text);

}  // namespace petrel
