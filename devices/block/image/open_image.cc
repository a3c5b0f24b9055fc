// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OpenDiskImage: detection, locking and the format openers (see open_image.h).
#include "devices/block/image/open_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <vector>

#include "core/base/log.h"
#include "devices/block/image/image_formats.h"
#include "devices/block/image/raw_image.h"

namespace petrel {
namespace {

// The first and last bytes of the file, for DetectImageType.
Result<ImageType> Detect(const DiskFile& file) {
  std::vector<uint8_t> head(std::min<uint64_t>(kImageProbeHeadBytes, file.size()));
  std::vector<uint8_t> tail;
  if (PreadFull(file, 0, head) != 0)
    return Error(ErrorCode::kSystem, file.path() + ": reading the image header");
  if (file.size() >= kImageProbeTailBytes) {
    tail.resize(kImageProbeTailBytes);
    if (PreadFull(file, file.size() - kImageProbeTailBytes, tail) != 0)
      return Error(ErrorCode::kSystem, file.path() + ": reading the image footer");
  }
  return DetectImageType(head, tail);
}

Result<std::unique_ptr<DiskImage>> Open(const std::string& path, ImageType type,
                                        const ImageOptions& options, int depth) {
  if (depth > kMaxBackingChainDepth)
    return Error(ErrorCode::kInvalidArgument,
                 path + ": backing chain longer than " + std::to_string(kMaxBackingChainDepth) +
                     " images (is there a loop?)");
  const bool readonly = options.readonly || depth > 0;
  PETREL_ASSIGN_OR_RETURN(auto file, OpenImageFile(path, readonly, options));
  const bool probed = type == ImageType::kUnknown;
  if (probed) {
    PETREL_ASSIGN_OR_RETURN(type, Detect(*file));
  }
  ImageOptions own = options;
  own.path = path;
  own.readonly = readonly;
  own.type = type;
  Result<std::unique_ptr<DiskImage>> image = Error(ErrorCode::kInternal, "unreachable");
  switch (type) {
    case ImageType::kUnknown:
    case ImageType::kRaw: {
      const uint64_t size = file->size();
      if (!readonly && !options.sparse && !file->is_block_device() && size > 0 &&
          fallocate(file->fd(), 0, 0, static_cast<off_t>(size)) != 0) {
        PETREL_LOG(kWarn) << path << ": sparse=off: could not allocate the image ("
                          << std::strerror(errno) << ")";
      }
      image = std::unique_ptr<DiskImage>(
          new RawImage(path, std::move(file), size, probed && depth == 0));
      break;
    }
    case ImageType::kQcow2: image = OpenQcow2Image(std::move(file), own, depth); break;
    case ImageType::kVhd: image = OpenVhdImage(std::move(file), own); break;
    case ImageType::kVhdx: image = OpenVhdxImage(std::move(file), own); break;
    case ImageType::kVmdk: image = OpenVmdkImage(std::move(file), own); break;
  }
  if (!image.ok() && probed && type != ImageType::kRaw)
    return std::move(image).error().Wrap(path + " (detected as " + ImageTypeName(type) +
                                         "; image_type=raw opens it as raw)");
  // The disk locks its whole chain at once (backing images shared).
  if (image.ok() && depth == 0 && options.lock) PETREL_TRY((*image)->Lock(options.lock_granularity));
  return image;
}

}  // namespace

Result<std::unique_ptr<DiskImage>> OpenDiskImage(const ImageOptions& options) {
  return Open(options.path, options.type, options, 0);
}

Result<std::vector<ImageFileUse>> ListImageFiles(const ImageOptions& options) {
  ImageOptions readonly = options;
  readonly.readonly = true;
  readonly.lock = false;
  PETREL_ASSIGN_OR_RETURN(auto image, OpenDiskImage(readonly));
  std::vector<ImageFileUse> files;
  image->ListFiles(files);
  return files;
}

Result<std::unique_ptr<DiskImage>> OpenBackingImage(const std::string& path, ImageType type,
                                                    const ImageOptions& options, int depth) {
  return Open(path, type, options, depth);
}

Result<std::unique_ptr<DiskFile>> OpenImageFile(const std::string& path, bool readonly,
                                                const ImageOptions& options) {
  (void)options;
  return DiskFile::Open({.path = path, .readonly = readonly, .direct = options.direct});
}

std::string ResolveImageRelativePath(const std::string& image_path, const std::string& named) {
  if (named.empty() || named.front() == '/') return named;
  const size_t slash = image_path.rfind('/');
  if (slash == std::string::npos) return named;
  return image_path.substr(0, slash + 1) + named;
}

}  // namespace petrel
