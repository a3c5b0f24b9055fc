// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX metadata table and system items (see vhdx_metadata.h).
#include "devices/block/image/vhdx_metadata.h"

#include <cstring>
#include <vector>

#include "core/base/bytes.h"
#include "devices/block/image/disk_image.h"

namespace petrel {
namespace {

// §2.6.1.1 "Metadata Table Header": signature "metadata", entry count at 10.
constexpr size_t kTableSize = 64 << 10;
constexpr char kTableSignature[] = "metadata";
constexpr size_t kTableEntryCount = 10;
constexpr size_t kTableEntries = 32;
constexpr size_t kTableEntrySize = 32;
constexpr uint16_t kTableMaxEntries = 2047;
// §2.6.1.2 "Metadata Table Entry": IsRequired is bit 2 of the flags.
constexpr uint32_t kEntryIsRequired = 1 << 2;
// §2.6.2: the known system metadata items.
constexpr VhdxGuid kFileParameters =
    MakeVhdxGuid(0xCAA16737, 0xFA36, 0x4D43, {0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B});
constexpr VhdxGuid kVirtualDiskSize =
    MakeVhdxGuid(0x2FA54224, 0xCD1B, 0x4876, {0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8});
constexpr VhdxGuid kPage83Data =
    MakeVhdxGuid(0xBECA12AB, 0xB2E6, 0x4523, {0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46});
constexpr VhdxGuid kLogicalSectorSize =
    MakeVhdxGuid(0x8141BF1D, 0xA96F, 0x4709, {0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F});
constexpr VhdxGuid kPhysicalSectorSize =
    MakeVhdxGuid(0xCDA348C7, 0x445D, 0x4471, {0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56});
constexpr VhdxGuid kParentLocator =
    MakeVhdxGuid(0xA8D35F2D, 0xB30B, 0x454D, {0xAB, 0xD7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C});
// §2.6.2.1 "File Parameters" flags.
constexpr uint32_t kLeaveBlocksAllocated = 1 << 0;
constexpr uint32_t kHasParent = 1 << 1;

Error Malformed(const std::string& what) {
  return Error(ErrorCode::kMalformed, "VHDX metadata: " + what);
}

}  // namespace

Result<VhdxMetadata> ReadVhdxMetadata(const DiskFile& file, const VhdxRegion& region) {
  if (region.length < kTableSize) return Malformed("region smaller than its table");
  std::vector<uint8_t> table(kTableSize);
  if (PreadFull(file, region.file_offset, table) != 0)
    return Error(ErrorCode::kSystem, "reading the VHDX metadata table");
  if (std::memcmp(table.data(), kTableSignature, 8) != 0)
    return Malformed("table signature is not \"metadata\"");
  const uint16_t count = LoadLe<uint16_t>(table, kTableEntryCount);
  if (count > kTableMaxEntries) return Malformed("more than 2047 table entries");

  // The items wanted, as (guid, minimum length, where the bytes go).
  struct Item {
    VhdxGuid guid;
    uint32_t length;
    std::vector<uint8_t> bytes;
  };
  Item items[] = {{kFileParameters, 8, {}},
                  {kVirtualDiskSize, 8, {}},
                  {kLogicalSectorSize, 4, {}},
                  {kPhysicalSectorSize, 4, {}}};
  for (uint16_t i = 0; i < count; ++i) {
    const size_t at = kTableEntries + i * kTableEntrySize;
    VhdxGuid guid;
    std::memcpy(guid.bytes.data(), table.data() + at, 16);
    const uint32_t offset = LoadLe<uint32_t>(table, at + 16);
    const uint32_t length = LoadLe<uint32_t>(table, at + 20);
    const uint32_t flags = LoadLe<uint32_t>(table, at + 24);
    Item* item = nullptr;
    for (Item& candidate : items)
      if (candidate.guid == guid) item = &candidate;
    if (item == nullptr) {
      if (guid == kParentLocator)
        return Error(ErrorCode::kUnsupported,
                     "a differencing VHDX (parent locator): backing VHDX files are not supported");
      if ((flags & kEntryIsRequired) && guid != kPage83Data)
        return Error(ErrorCode::kUnsupported, "VHDX metadata: an unknown required item");
      continue;
    }
    if (!item->bytes.empty()) return Malformed("an item appears twice in the table");
    // §2.6.1.2: items lie past the table, within the region.
    if (length < item->length || offset < kTableSize || offset > region.length ||
        length > region.length - offset)
      return Malformed("an item's offset or length is out of the region");
    item->bytes.resize(item->length);
    if (PreadFull(file, region.file_offset + offset, item->bytes) != 0)
      return Error(ErrorCode::kSystem, "reading VHDX metadata");
  }
  for (const Item& item : items)
    if (item.bytes.empty()) return Malformed("a required system item is missing");

  VhdxMetadata m;
  m.block_size = LoadLe<uint32_t>(items[0].bytes, 0);
  const uint32_t flags = LoadLe<uint32_t>(items[0].bytes, 4);
  m.leave_blocks_allocated = flags & kLeaveBlocksAllocated;
  m.has_parent = flags & kHasParent;
  m.virtual_size = LoadLe<uint64_t>(items[1].bytes, 0);
  m.logical_sector_size = LoadLe<uint32_t>(items[2].bytes, 0);
  m.physical_sector_size = LoadLe<uint32_t>(items[3].bytes, 0);

  if (m.has_parent)
    return Error(ErrorCode::kUnsupported,
                 "a differencing VHDX (has parent): backing VHDX files are not supported");
  if (m.block_size < kVhdxMinBlockSize || m.block_size > kVhdxMaxBlockSize ||
      (m.block_size & (m.block_size - 1)) != 0)
    return Malformed("block size " + std::to_string(m.block_size) +
                     " is not a power of two from 1 MiB to 256 MiB");
  if (m.logical_sector_size != 512 && m.logical_sector_size != 4096)
    return Malformed("logical sector size " + std::to_string(m.logical_sector_size) +
                     " is not 512 or 4096");
  if (m.physical_sector_size != 512 && m.physical_sector_size != 4096)
    return Malformed("physical sector size " + std::to_string(m.physical_sector_size) +
                     " is not 512 or 4096");
  if (m.virtual_size > kVhdxMaxVirtualSize || m.virtual_size % m.logical_sector_size != 0)
    return Malformed("virtual disk size " + std::to_string(m.virtual_size) +
                     " is over 64 TiB or not a multiple of the logical sector size");
  return m;
}

}  // namespace petrel
