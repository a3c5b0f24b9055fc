// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RawImage: a raw disk -- the file's bytes are the disk's -- optionally
// shorter than the file (a fixed VHD's footer follows the data). Its engines
// are the plain file engines: no mapping on the data path.
//
// A raw image found by detection (not forced with image_type=raw) is
// `probed`: its engines refuse (-EPERM) a write to the first sector that
// would make the disk detect as another format, as QEMU does for probed raw
// images.
#pragma once

#include <atomic>

#include <memory>
#include <string>

#include "devices/block/image/disk_image.h"

namespace petrel {

class RawImage final : public DiskImage {
 public:
  // `size`: the disk's bytes, at most the file's size.
  RawImage(std::string path, std::unique_ptr<DiskFile> file, uint64_t size, bool probed,
           ImageType type = ImageType::kRaw);

  ImageType type() const override { return type_; }
  uint64_t size() const override { return size_.load(std::memory_order_acquire); }
  bool discard_supported() const override { return data_file().discard_supported(); }
  bool probed() const { return probed_; }
  int Map(MapPurpose purpose, uint64_t offset, uint64_t length,
          std::vector<ImageExtent>& out) override;
  int Discard(uint64_t offset, uint64_t length) override;
  int WriteZeroes(uint64_t offset, uint64_t length) override;
  Result<std::unique_ptr<IoEngine>> MakeEngine(IoEngineKind kind, uint32_t queue_depth) override;
  // A raw file grows with ftruncate(2); a block device is resized outside
  // Petrel (LVM, losetup), so its size must already be `new_size`. Formats
  // kept as RawImage (fixed VHD, flat VMDK) cannot grow.
  Result<void> Grow(uint64_t new_size) override;

 private:
  int RangedSync(IoRequest::Op op, uint64_t offset, uint64_t length);
  ImageType type_;
  std::atomic<uint64_t> size_;
  bool probed_;
};

}  // namespace petrel
