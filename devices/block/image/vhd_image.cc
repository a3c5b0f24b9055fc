// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fixed VHD images: a raw disk followed by a 512-byte footer (Microsoft
// "Virtual Hard Disk Image Format Specification" 1.0, "Hard Disk Footer
// Format"). Opened as a RawImage of the footer's current size, as Cloud
// Hypervisor does. Dynamic and differencing VHDs are refused: their block
// allocation table is not implemented (convert them to fixed VHD or raw).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "devices/block/image/image_formats.h"
#include "devices/block/image/raw_image.h"

namespace petrel {
namespace {

// VHD spec "Hard Disk Footer Format": the footer's size and its fields'
// offsets. All fields are big-endian.
constexpr size_t kFooterSize = 512;
constexpr char kCookie[] = "conectix";     // "Cookie", offset 0, 8 bytes
constexpr size_t kCurrentSizeOffset = 48;  // "Current Size", u64
constexpr size_t kDiskTypeOffset = 60;     // "Disk Type", u32
constexpr size_t kChecksumOffset = 64;     // "Checksum", u32
// "Disk Type" values.
constexpr uint32_t kDiskTypeFixed = 2;
constexpr uint32_t kDiskTypeDynamic = 3;
constexpr uint32_t kDiskTypeDifferencing = 4;

constexpr char kConvertHint[] =
    "only fixed VHD is supported (convert with 'qemu-img convert -O vpc -o subformat=fixed' "
    "or to raw)";

uint64_t LoadBe(std::span<const uint8_t> bytes, size_t offset, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = value << 8 | bytes[offset + i];
  return value;
}

// "Checksum": the one's complement of the sum of the footer's bytes, the
// checksum field itself excluded.
uint32_t FooterChecksum(std::span<const uint8_t> footer) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kFooterSize; ++i)
    if (i < kChecksumOffset || i >= kChecksumOffset + 4) sum += footer[i];
  return ~sum;
}

bool HasCookie(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kCookie, 8) == 0;
}

}  // namespace

Result<std::unique_ptr<DiskImage>> OpenVhdImage(std::unique_ptr<DiskFile> file,
                                                const ImageOptions& options) {
  const std::string& path = options.path;
  const uint64_t file_size = file->size();
  std::vector<uint8_t> footer(kFooterSize, 0), head(kFooterSize, 0);
  if (file_size >= kFooterSize) {
    if (PreadFull(*file, file_size - kFooterSize, footer) != 0 || PreadFull(*file, 0, head) != 0)
      return Error(ErrorCode::kSystem, path + ": reading the VHD footer");
  }
  if (!HasCookie(footer)) {
    // A dynamic or differencing VHD starts with a copy of its footer (VHD
    // spec "Dynamic Disk Header Format"); its last 512 bytes hold the other.
    if (HasCookie(head))
      return Error(
          ErrorCode::kUnsupported,
          path + ": a dynamic or differencing VHD (footer copy at offset 0); " + kConvertHint);
    return Error(ErrorCode::kMalformed, path +
                                            ": no VHD footer (\"conectix\") in the last 512 "
                                            "bytes of the file");
  }
  const uint32_t stored = static_cast<uint32_t>(LoadBe(footer, kChecksumOffset, 4));
  const uint32_t computed = FooterChecksum(footer);
  if (stored != computed) {
    char detail[64];
    std::snprintf(detail, sizeof(detail), "0x%08x, computed 0x%08x", stored, computed);
    return Error(ErrorCode::kMalformed,
                 path + ": VHD footer checksum mismatch (stored " + detail + ")");
  }
  const uint32_t disk_type = static_cast<uint32_t>(LoadBe(footer, kDiskTypeOffset, 4));
  if (disk_type == kDiskTypeDynamic || disk_type == kDiskTypeDifferencing)
    return Error(
        ErrorCode::kUnsupported,
        path + (disk_type == kDiskTypeDynamic ? ": a dynamic VHD; " : ": a differencing VHD; ") +
            kConvertHint);
  if (disk_type != kDiskTypeFixed)
    return Error(ErrorCode::kMalformed,
                 path + ": VHD disk type " + std::to_string(disk_type) + " is not a known type");
  const uint64_t size = LoadBe(footer, kCurrentSizeOffset, 8);
  if (size > file_size - kFooterSize)
    return Error(ErrorCode::kMalformed, path + ": VHD current size " + std::to_string(size) +
                                            " is larger than the data before the footer (" +
                                            std::to_string(file_size - kFooterSize) +
                                            " bytes); truncated image?");
  return std::unique_ptr<DiskImage>(
      new RawImage(path, std::move(file), size, /*probed=*/false, ImageType::kVhd));
}

}  // namespace petrel
