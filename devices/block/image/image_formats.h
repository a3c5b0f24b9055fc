// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The openers of each format, called by OpenDiskImage (open_image.cc) with
// the image's file already open and locked. Internal to devices/block/image.
#pragma once

#include <memory>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/disk_image.h"
#include "devices/block/image/open_image.h"

namespace petrel {

// `depth`: 0 for the disk itself, n for its n-th backing image.
Result<std::unique_ptr<DiskImage>> OpenQcow2Image(std::unique_ptr<DiskFile> file,
                                                  const ImageOptions& options, int depth);
Result<std::unique_ptr<DiskImage>> OpenVhdImage(std::unique_ptr<DiskFile> file,
                                                const ImageOptions& options);
Result<std::unique_ptr<DiskImage>> OpenVhdxImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions& options);
Result<std::unique_ptr<DiskImage>> OpenVmdkImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions& options);

}  // namespace petrel
