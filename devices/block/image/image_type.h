// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ImageType: the disk image formats Petrel opens, their names as the
// command line and the REST API spell them (Cloud Hypervisor's
// `image_type=raw|qcow2|vhd|vhdx|vmdk`), and detection by magic.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/base/result.h"

namespace petrel {

enum class ImageType : uint8_t {
  kUnknown,  // detect from the file's contents (the default)
  kRaw,
  kQcow2,
  kVhd,   // fixed VHD (a raw image with a 512-byte footer)
  kVhdx,
  kVmdk,  // flat VMDK: a text descriptor naming raw extent files
};

// "raw", "qcow2", "vhd", "vhdx", "vmdk" (case-insensitive, as CH); else
// kInvalidArgument listing them.
Result<ImageType> ParseImageType(std::string_view text);
// The name ParseImageType accepts; "unknown" for kUnknown.
const char* ImageTypeName(ImageType type);
// The REST API's names (Cloud Hypervisor's ImageType schema): "Raw",
// "Qcow2", "FixedVhd", "Vhdx", "FlatVmdk", "Unknown".
const char* ImageTypeJsonName(ImageType type);
Result<ImageType> ParseImageTypeJson(std::string_view text);

// How many bytes detection reads from the start of the file, and from its end.
inline constexpr size_t kImageProbeHeadBytes = 4096;
inline constexpr size_t kImageProbeTailBytes = 512;

// The format `head` (the file's first bytes) and `tail` (its last 512
// bytes, empty if the file is shorter) show, or kRaw when none matches:
//  - qcow2: "QFI\xfb" at 0 (qcow2 spec, header offset 0);
//  - VHDX: "vhdxfile" at 0 (VHDX 1.0 §2.2.1, the file type identifier);
//  - VHD: "conectix" in the footer, the last 512 bytes (VHD spec "Hard Disk
//    Footer Format");
//  - VMDK: a text descriptor starting "# Disk DescriptorFile" (VMDK 5.0
//    "The Descriptor File"), or a hosted sparse extent's "KDMV" (which the
//    VMDK opener refuses with a clear error);
//  - a dynamic VHD's footer copy, "conectix" at 0 (refused the same way).
ImageType DetectImageType(std::span<const uint8_t> head, std::span<const uint8_t> tail);

}  // namespace petrel
