// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OpenDiskImage: opens a disk image of any supported format -- detected by
// magic, or forced with image_type -- and locks its files.
//
// Detection follows the file's contents (image_type.h); a file that looks
// like no format is raw. A raw disk whose first bytes happen to look like
// another format (a guest wrote a qcow2 header into its raw disk, say) is
// opened as raw only when the user says image_type=raw. A disk detected as
// raw additionally refuses guest writes that would make its first sector
// look like another format (RawImage), so a guest cannot turn its raw disk
// into, say, a qcow2 image with a host file as backing for the next boot.
#pragma once

#include <memory>
#include <string>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/disk_image.h"
#include "devices/block/image/image_lock.h"
#include "devices/block/image/image_type.h"

namespace petrel {

struct ImageOptions {
  std::string path;
  bool readonly = false;
  bool direct = false;                    // O_DIRECT for the image's files
  ImageType type = ImageType::kUnknown;  // kUnknown: detect
  // Cloud Hypervisor's backing_files=on: open a qcow2 image's backing file
  // (and theirs, read-only). Off: an image that has one is refused.
  bool backing_files = false;
  // Off: a writable raw image is fully allocated when opened (fallocate),
  // and qcow2 keeps the space of freed clusters in the file.
  bool sparse = true;
  LockGranularity lock_granularity = LockGranularity::kByteRange;
  // Take the OFD locks (DiskImage::Lock) once open. Off: for a look at the
  // image's files only (ListImageFiles).
  bool lock = true;
};

// The files the image at options.path uses (itself, a VMDK's extents, its
// backing chain), found by opening it read-only, unlocked, for a moment.
Result<std::vector<ImageFileUse>> ListImageFiles(const ImageOptions& options);

// The longest backing chain followed (a loop shows as one too long).
inline constexpr int kMaxBackingChainDepth = 64;

Result<std::unique_ptr<DiskImage>> OpenDiskImage(const ImageOptions& options);

// Opens a backing image `depth` levels below the disk, read-only: its type
// `type` (kUnknown: detect; a backing file detected as raw is not `probed`:
// it is never written). kInvalidArgument past kMaxBackingChainDepth.
Result<std::unique_ptr<DiskImage>> OpenBackingImage(const std::string& path, ImageType type,
                                                    const ImageOptions& options, int depth);

// Opens one file of an image (the image itself, a VMDK extent, a backing
// file) as `options` say (O_DIRECT). Not locked: OpenDiskImage locks every
// file the finished image reports (DiskImage::ForEachFile).
Result<std::unique_ptr<DiskFile>> OpenImageFile(const std::string& path, bool readonly,
                                                const ImageOptions& options);

// A path named inside an image (a backing file, a VMDK extent): absolute
// paths as they are, relative ones relative to the directory of `image_path`.
std::string ResolveImageRelativePath(const std::string& image_path, const std::string& named);

}  // namespace petrel
