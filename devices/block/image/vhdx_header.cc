// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX headers and region table (see vhdx_header.h).
#include "devices/block/image/vhdx_header.h"

#include <cstring>

#include "core/base/crc32c.h"
#include "core/base/random.h"
#include "core/base/bytes.h"

namespace petrel {
namespace {

// §2.2.2 "Header" field offsets.
constexpr char kHeaderSignature[] = "head";
constexpr size_t kHeaderChecksum = 4;
constexpr size_t kHeaderSequence = 8;
constexpr size_t kHeaderFileWriteGuid = 16;
constexpr size_t kHeaderDataWriteGuid = 32;
constexpr size_t kHeaderLogGuid = 48;
constexpr size_t kHeaderLogVersion = 64;
constexpr size_t kHeaderVersion = 66;
constexpr size_t kHeaderLogLength = 68;
constexpr size_t kHeaderLogOffset = 72;
// §2.2.3.1 "Region Table Header" and §2.2.3.2 "Region Table Entry".
constexpr char kRegionSignature[] = "regi";
constexpr size_t kRegionChecksum = 4;
constexpr size_t kRegionEntryCount = 8;
constexpr size_t kRegionEntries = 16;
constexpr size_t kRegionEntrySize = 32;
constexpr uint32_t kRegionMaxEntries = 2047;
constexpr uint32_t kRegionRequired = 1;  // bitfield bit 0

VhdxGuid LoadGuid(std::span<const uint8_t> bytes, size_t offset) {
  VhdxGuid g;
  std::memcpy(g.bytes.data(), bytes.data() + offset, 16);
  return g;
}

// CRC-32C of `bytes` with the 4-byte checksum field at `at` taken as zero.
uint32_t ChecksumWithoutField(std::span<const uint8_t> bytes, size_t at) {
  static constexpr uint8_t kZero[4] = {};
  uint32_t crc = Crc32cExtend(0, bytes.first(at));
  crc = Crc32cExtend(crc, kZero);
  return Crc32cExtend(crc, bytes.subspan(at + 4));
}

}  // namespace

std::optional<VhdxHeader> ParseVhdxHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kVhdxHeaderSize || std::memcmp(bytes.data(), kHeaderSignature, 4) != 0)
    return std::nullopt;
  bytes = bytes.first(kVhdxHeaderSize);
  if (LoadLe<uint32_t>(bytes, kHeaderChecksum) != ChecksumWithoutField(bytes, kHeaderChecksum))
    return std::nullopt;
  VhdxHeader h;
  h.sequence_number = LoadLe<uint64_t>(bytes, kHeaderSequence);
  h.file_write_guid = LoadGuid(bytes, kHeaderFileWriteGuid);
  h.data_write_guid = LoadGuid(bytes, kHeaderDataWriteGuid);
  h.log_guid = LoadGuid(bytes, kHeaderLogGuid);
  h.log_version = LoadLe<uint16_t>(bytes, kHeaderLogVersion);
  h.version = LoadLe<uint16_t>(bytes, kHeaderVersion);
  h.log_length = LoadLe<uint32_t>(bytes, kHeaderLogLength);
  h.log_offset = LoadLe<uint64_t>(bytes, kHeaderLogOffset);
  return h;
}

std::vector<uint8_t> SerializeVhdxHeader(const VhdxHeader& h) {
  std::vector<uint8_t> bytes(kVhdxHeaderSize, 0);
  std::memcpy(bytes.data(), kHeaderSignature, 4);
  StoreLe<uint64_t>(bytes, kHeaderSequence, h.sequence_number);
  std::memcpy(bytes.data() + kHeaderFileWriteGuid, h.file_write_guid.bytes.data(), 16);
  std::memcpy(bytes.data() + kHeaderDataWriteGuid, h.data_write_guid.bytes.data(), 16);
  std::memcpy(bytes.data() + kHeaderLogGuid, h.log_guid.bytes.data(), 16);
  StoreLe<uint16_t>(bytes, kHeaderLogVersion, h.log_version);
  StoreLe<uint16_t>(bytes, kHeaderVersion, h.version);
  StoreLe<uint32_t>(bytes, kHeaderLogLength, h.log_length);
  StoreLe<uint64_t>(bytes, kHeaderLogOffset, h.log_offset);
  StoreLe<uint32_t>(bytes, kHeaderChecksum, ChecksumWithoutField(bytes, kHeaderChecksum));
  return bytes;
}

Result<VhdxRegions> ParseVhdxRegionTable(std::span<const uint8_t> bytes, uint64_t file_size) {
  if (bytes.size() < kVhdxRegionTableSize || std::memcmp(bytes.data(), kRegionSignature, 4) != 0)
    return Error(ErrorCode::kMalformed, "VHDX region table signature is not \"regi\"");
  bytes = bytes.first(kVhdxRegionTableSize);
  if (LoadLe<uint32_t>(bytes, kRegionChecksum) != ChecksumWithoutField(bytes, kRegionChecksum))
    return Error(ErrorCode::kMalformed, "VHDX region table checksum mismatch");
  const uint32_t count = LoadLe<uint32_t>(bytes, kRegionEntryCount);
  if (count > kRegionMaxEntries)
    return Error(ErrorCode::kMalformed,
                 "VHDX region table with " + std::to_string(count) + " entries (at most 2047)");
  VhdxRegions regions;
  bool have_bat = false, have_metadata = false;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = kRegionEntries + i * kRegionEntrySize;
    const VhdxGuid guid = LoadGuid(bytes, at);
    const VhdxRegion region{LoadLe<uint64_t>(bytes, at + 16), LoadLe<uint32_t>(bytes, at + 24)};
    const uint32_t flags = LoadLe<uint32_t>(bytes, at + 28);
    bool* seen = guid == kVhdxBatRegionGuid        ? &have_bat
                 : guid == kVhdxMetadataRegionGuid ? &have_metadata
                                                   : nullptr;
    if (seen == nullptr) {
      if (flags & kRegionRequired)
        return Error(ErrorCode::kUnsupported, "VHDX region table names an unknown required region");
      continue;
    }
    if (*seen) return Error(ErrorCode::kMalformed, "VHDX region table names a region twice");
    *seen = true;
    const char* name = seen == &have_bat ? "BAT" : "metadata";
    if (region.file_offset % kVhdxMiB != 0 || region.length % kVhdxMiB != 0 || region.length == 0 ||
        region.file_offset < kVhdxHeaderSectionSize || region.file_offset > file_size ||
        region.length > file_size - region.file_offset)
      return Error(ErrorCode::kMalformed, std::string("VHDX ") + name + " region (offset " +
                                              std::to_string(region.file_offset) + ", length " +
                                              std::to_string(region.length) +
                                              ") is not 1 MiB aligned or not within the file (" +
                                              std::to_string(file_size) + " bytes)");
    (seen == &have_bat ? regions.bat : regions.metadata) = region;
  }
  if (!have_bat || !have_metadata)
    return Error(ErrorCode::kMalformed, "VHDX region table lacks the BAT or metadata region");
  if (RangesOverlap(regions.bat.file_offset, regions.bat.length, regions.metadata.file_offset,
                          regions.metadata.length))
    return Error(ErrorCode::kMalformed, "VHDX BAT and metadata regions overlap");
  return regions;
}

VhdxGuid NewVhdxGuid() {
  SystemRandom random;
  VhdxGuid g;
  random.Fill(g.bytes);
  g.bytes[7] = static_cast<uint8_t>((g.bytes[7] & 0x0f) | 0x40);  // version 4 (Data3's high nibble)
  g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return g;
}

}  // namespace petrel
