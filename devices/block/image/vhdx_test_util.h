// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for VHDX: builds small VHDX images in memory (file
// identifier, headers, region tables, metadata, BAT, optional log entries
// and payload blocks), so tests can corrupt any field of a valid image.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/base/crc32c.h"
#include "core/base/bytes.h"
#include "devices/block/image/vhdx_header.h"

namespace petrel::image_test {

// Metadata items: file parameters, virtual disk size, logical and physical
// sector sizes, page 83 data (QEMU wants them all).
// Layout: header section [0, 1 MiB), log [1, 2) MiB, metadata [2, 3) MiB,
// BAT [3, 4) MiB, payload blocks from 4 MiB.
struct VhdxBuilder {
  static constexpr uint64_t kMiB = 1 << 20;
  static constexpr uint64_t kLogOffset = 1 * kMiB;
  static constexpr uint64_t kMetadataOffset = 2 * kMiB;
  static constexpr uint64_t kBatOffset = 3 * kMiB;
  static constexpr uint64_t kDataOffset = 4 * kMiB;

  uint32_t block_size = 1 << 20;
  uint64_t virtual_size = 8 << 20;
  uint32_t logical_sector_size = 512;
  uint32_t physical_sector_size = 4096;
  uint32_t file_parameter_flags = 0;
  VhdxHeader header{.sequence_number = 1, .log_length = 1 << 20, .log_offset = 1 << 20};
  uint64_t bat_region_length = kMiB;

  std::vector<uint8_t> bytes = std::vector<uint8_t>(kDataOffset, 0);

  static void Put32(std::vector<uint8_t>& b, uint64_t at, uint32_t v) {
    StoreLe<uint32_t>(b, at, v);
  }
  static void Put64(std::vector<uint8_t>& b, uint64_t at, uint64_t v) {
    StoreLe<uint64_t>(b, at, v);
  }
  static void PutGuid(std::vector<uint8_t>& b, uint64_t at, const VhdxGuid& g) {
    std::memcpy(b.data() + at, g.bytes.data(), 16);
  }
  static void SetCrc(std::vector<uint8_t>& b, uint64_t at, uint64_t length) {
    Put32(b, at + 4, 0);
    Put32(b, at + 4, Crc32c(std::span(b.data() + at, length)));
  }

  uint64_t chunk_ratio() const { return (uint64_t{1} << 23) * logical_sector_size / block_size; }
  uint64_t BatIndex(uint64_t block) const { return block + block / chunk_ratio(); }

  // Everything but the payload blocks and the log; call again after changes.
  void Build() {
    std::memcpy(bytes.data(), "vhdxfile", 8);
    WriteHeaders();
    // Region table (§2.2.3), both copies.
    for (uint64_t at : {uint64_t{192} << 10, uint64_t{256} << 10}) {
      std::memset(bytes.data() + at, 0, 64 << 10);
      std::memcpy(bytes.data() + at, "regi", 4);
      Put32(bytes, at + 8, 2);
      PutGuid(bytes, at + 16, kVhdxBatRegionGuid);
      Put64(bytes, at + 32, kBatOffset);
      Put32(bytes, at + 40, static_cast<uint32_t>(bat_region_length));
      Put32(bytes, at + 44, 1);
      PutGuid(bytes, at + 48, kVhdxMetadataRegionGuid);
      Put64(bytes, at + 64, kMetadataOffset);
      Put32(bytes, at + 72, static_cast<uint32_t>(kMiB));
      Put32(bytes, at + 76, 1);
      SetCrc(bytes, at, 64 << 10);
    }
    // Metadata table (§2.6) and items at 64 KiB, 64 KiB + 8, ...
    const uint64_t m = kMetadataOffset;
    std::memset(bytes.data() + m, 0, kMiB);
    std::memcpy(bytes.data() + m, "metadata", 8);
    Put32(bytes, m + 8, 0);
    bytes[m + 10] = 5;
    struct Item {
      VhdxGuid guid;
      uint32_t length;
    } items[] = {
        {MakeVhdxGuid(0xCAA16737, 0xFA36, 0x4D43, {0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B}),
         8},
        {MakeVhdxGuid(0x2FA54224, 0xCD1B, 0x4876, {0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8}),
         8},
        {MakeVhdxGuid(0x8141BF1D, 0xA96F, 0x4709, {0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F}),
         4},
        {MakeVhdxGuid(0xCDA348C7, 0x445D, 0x4471, {0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56}),
         4},
        {MakeVhdxGuid(0xBECA12AB, 0xB2E6, 0x4523, {0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46}),
         16},
    };
    for (int i = 0; i < 5; ++i) {
      const uint64_t e = m + 32 + 32 * i;
      PutGuid(bytes, e, items[i].guid);
      Put32(bytes, e + 16, (64 << 10) + 16 * i);
      Put32(bytes, e + 20, items[i].length);
      Put32(bytes, e + 24, 1 << 2);  // IsRequired
    }
    Put32(bytes, m + (64 << 10), block_size);
    Put32(bytes, m + (64 << 10) + 4, file_parameter_flags);
    Put64(bytes, m + (64 << 10) + 16, virtual_size);
    Put32(bytes, m + (64 << 10) + 32, logical_sector_size);
    Put32(bytes, m + (64 << 10) + 48, physical_sector_size);
    for (int i = 0; i < 16; ++i) bytes[m + (64 << 10) + 64 + i] = static_cast<uint8_t>(0x40 + i);
  }

  // Both headers: slot 0 with header.sequence_number, slot 1 with one less.
  void WriteHeaders() {
    VhdxHeader h = header;
    const std::vector<uint8_t> a = SerializeVhdxHeader(h);
    h.sequence_number -= 1;
    const std::vector<uint8_t> b = SerializeVhdxHeader(h);
    std::memcpy(bytes.data() + (64 << 10), a.data(), a.size());
    std::memcpy(bytes.data() + (128 << 10), b.data(), b.size());
  }

  // Allocates payload block `block` at the end of the file, filled with `fill`.
  void AddBlock(uint64_t block, uint8_t fill, uint64_t state = 6) {
    const uint64_t at = bytes.size();
    bytes.resize(at + block_size, fill);
    Put64(bytes, kBatOffset + BatIndex(block) * 8, at | state);
  }

  // A log entry at log sector `sector` with data descriptors writing each
  // (file_offset, 4 KiB sector) of `writes`.
  void AddLogEntry(uint64_t sector, uint64_t sequence,
                   const std::vector<std::pair<uint64_t, std::vector<uint8_t>>>& writes,
                   uint64_t flushed_file_offset = 0) {
    const uint64_t count = writes.size();
    const uint64_t length = (1 + count) * 4096;
    std::vector<uint8_t> e(length, 0);
    std::memcpy(e.data(), "loge", 4);
    Put32(e, 8, static_cast<uint32_t>(length));
    Put64(e, 16, sequence);
    Put32(e, 24, static_cast<uint32_t>(count));
    PutGuid(e, 32, header.log_guid);
    Put64(e, 48, flushed_file_offset);
    Put64(e, 56, bytes.size());
    for (uint64_t i = 0; i < count; ++i) {
      const auto& [offset, data] = writes[i];
      const uint64_t d = 64 + 32 * i;
      std::memcpy(e.data() + d, "desc", 4);
      std::memcpy(e.data() + d + 4, data.data() + 4092, 4);
      std::memcpy(e.data() + d + 8, data.data(), 8);
      Put64(e, d + 16, offset);
      Put64(e, d + 24, sequence);
      const uint64_t s = (1 + i) * 4096;
      std::memcpy(e.data() + s, "data", 4);
      Put32(e, s + 4, static_cast<uint32_t>(sequence >> 32));
      std::memcpy(e.data() + s + 8, data.data() + 8, 4084);
      Put32(e, s + 4092, static_cast<uint32_t>(sequence));
    }
    SetCrc(e, 0, length);
    std::memcpy(bytes.data() + kLogOffset + sector * 4096, e.data(), e.size());
  }
};

}  // namespace petrel::image_test
