// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX file layout below the BAT and metadata (Microsoft "VHDX Format
// Specification" 1.0): GUIDs, the file type identifier, the two headers and
// the region table -- parsing with checksum checks, and serializing the
// headers Petrel rewrites.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace petrel {

// §2.1: structures are little-endian; GUIDs are stored as Data1 (u32 LE),
// Data2 (u16 LE), Data3 (u16 LE), Data4 (8 bytes).
struct VhdxGuid {
  std::array<uint8_t, 16> bytes{};
  bool zero() const {
    for (uint8_t b : bytes)
      if (b != 0) return false;
    return true;
  }
  bool operator==(const VhdxGuid&) const = default;
};

constexpr VhdxGuid MakeVhdxGuid(uint32_t d1, uint16_t d2, uint16_t d3, std::array<uint8_t, 8> d4) {
  VhdxGuid g;
  for (int i = 0; i < 4; ++i) g.bytes[i] = static_cast<uint8_t>(d1 >> (8 * i));
  for (int i = 0; i < 2; ++i) g.bytes[4 + i] = static_cast<uint8_t>(d2 >> (8 * i));
  for (int i = 0; i < 2; ++i) g.bytes[6 + i] = static_cast<uint8_t>(d3 >> (8 * i));
  for (int i = 0; i < 8; ++i) g.bytes[8 + i] = d4[i];
  return g;
}

// §2.1 "Layout": everything in the file is placed at 1 MiB multiples,
// except the structures of the first 1 MiB (the header section).
inline constexpr uint64_t kVhdxMiB = 1 << 20;
inline constexpr uint64_t kVhdxHeaderSectionSize = kVhdxMiB;
// No valid VHDX is this large (64 TiB of data plus its metadata): file
// offsets read from an image are checked against it before any arithmetic.
inline constexpr uint64_t kVhdxMaxFileSize = uint64_t{1} << 47;
// §2.2.1: the file type identifier, "vhdxfile" at offset 0, 64 KiB.
inline constexpr uint64_t kVhdxFileIdentifierSize = 64 << 10;
// §2.2.2: the headers at 64 KiB and 128 KiB; 4 KiB of each are checksummed.
inline constexpr uint64_t kVhdxHeaderOffsets[2] = {64 << 10, 128 << 10};
inline constexpr size_t kVhdxHeaderSize = 4096;
// §2.2.3: the region tables at 192 KiB and 256 KiB, 64 KiB each.
inline constexpr uint64_t kVhdxRegionTableOffsets[2] = {192 << 10, 256 << 10};
inline constexpr size_t kVhdxRegionTableSize = 64 << 10;
// §2.2.3.2: the regions Petrel knows.
inline constexpr VhdxGuid kVhdxBatRegionGuid =
    MakeVhdxGuid(0x2DC27766, 0xF623, 0x4200, {0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08});
inline constexpr VhdxGuid kVhdxMetadataRegionGuid =
    MakeVhdxGuid(0x8B7CA206, 0x4790, 0x4B9A, {0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E});

// §2.2.2 "Header" (the fields Petrel uses and rewrites).
struct VhdxHeader {
  uint64_t sequence_number = 0;
  VhdxGuid file_write_guid;
  VhdxGuid data_write_guid;
  VhdxGuid log_guid;
  uint16_t log_version = 0;
  uint16_t version = 1;
  uint32_t log_length = 0;
  uint64_t log_offset = 0;
};

// The header in `bytes` (kVhdxHeaderSize), or nullopt when its signature
// ("head") or CRC-32C is wrong: such a header is simply not valid (§2.2.2.1).
std::optional<VhdxHeader> ParseVhdxHeader(std::span<const uint8_t> bytes);
// kVhdxHeaderSize bytes with the checksum set.
std::vector<uint8_t> SerializeVhdxHeader(const VhdxHeader& header);

// §2.2.3.2: a region's place in the file.
struct VhdxRegion {
  uint64_t file_offset = 0;
  uint64_t length = 0;
};
struct VhdxRegions {
  VhdxRegion bat;
  VhdxRegion metadata;
};
// Parses a region table (kVhdxRegionTableSize bytes): signature "regi",
// CRC-32C, at most 2047 entries, BAT and metadata present once each, 1 MiB
// aligned, past the header section and within `file_size`, not overlapping;
// an unknown region marked required is refused (§2.2.3.2).
Result<VhdxRegions> ParseVhdxRegionTable(std::span<const uint8_t> bytes, uint64_t file_size);

// A new random GUID (for the file and data write GUIDs).
VhdxGuid NewVhdxGuid();

}  // namespace petrel
