// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ImageType names and detection (see image_type.h).
#include "devices/block/image/image_type.h"

#include <cstring>
#include <string>

namespace petrel {
namespace {

bool StartsWith(std::span<const uint8_t> bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Result<ImageType> ParseImageType(std::string_view text) {
  std::string lower;
  for (char c : text) lower.push_back(Lower(c));
  if (lower == "raw") return ImageType::kRaw;
  if (lower == "qcow2") return ImageType::kQcow2;
  if (lower == "vhd") return ImageType::kVhd;
  if (lower == "vhdx") return ImageType::kVhdx;
  if (lower == "vmdk") return ImageType::kVmdk;
  return Error(ErrorCode::kInvalidArgument,
               "unknown image type '" + std::string(text) + "' (raw, qcow2, vhd, vhdx, vmdk)");
}

const char* ImageTypeName(ImageType type) {
  switch (type) {
    case ImageType::kUnknown: return "unknown";
    case ImageType::kRaw: return "raw";
    case ImageType::kQcow2: return "qcow2";
    case ImageType::kVhd: return "vhd";
    case ImageType::kVhdx: return "vhdx";
    case ImageType::kVmdk: return "vmdk";
  }
  return "?";
}

const char* ImageTypeJsonName(ImageType type) {
  switch (type) {
    case ImageType::kUnknown: return "Unknown";
    case ImageType::kRaw: return "Raw";
    case ImageType::kQcow2: return "Qcow2";
    case ImageType::kVhd: return "FixedVhd";
    case ImageType::kVhdx: return "Vhdx";
    case ImageType::kVmdk: return "FlatVmdk";
  }
  return "?";
}

Result<ImageType> ParseImageTypeJson(std::string_view text) {
  for (ImageType t : {ImageType::kUnknown, ImageType::kRaw, ImageType::kQcow2, ImageType::kVhd,
                      ImageType::kVhdx, ImageType::kVmdk})
    if (text == ImageTypeJsonName(t)) return t;
  return Error(ErrorCode::kInvalidArgument,
               "unknown image type '" + std::string(text) +
                   "' (Raw, Qcow2, FixedVhd, Vhdx, FlatVmdk, Unknown)");
}

ImageType DetectImageType(std::span<const uint8_t> head, std::span<const uint8_t> tail) {
  if (StartsWith(head, "QFI\xfb")) return ImageType::kQcow2;
  if (StartsWith(head, "vhdxfile")) return ImageType::kVhdx;
  if (StartsWith(head, "# Disk DescriptorFile") || StartsWith(head, "KDMV")) return ImageType::kVmdk;
  if (StartsWith(head, "conectix")) return ImageType::kVhd;  // dynamic VHD's footer copy
  if (tail.size() == 512 && StartsWith(tail, "conectix")) return ImageType::kVhd;
  return ImageType::kRaw;
}

}  // namespace petrel
