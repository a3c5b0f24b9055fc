// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for devices/block/image: a scripted mapped image, and running
// requests through an image's engines.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "devices/block/block_test_util.h"
#include "devices/block/image/disk_image.h"
#include "devices/block/image/open_image.h"

namespace petrel::image_test {

// A disk of kBlocks blocks of kBlock bytes over a file, mapped by a table the
// test sets: a block is in the file (at a chosen file block), zero, or
// "format" (kept in memory by ReadFormat/WriteFormat). Writes to zero
// blocks go to the format. Counts the format calls.
class ScriptedImage final : public DiskImage {
 public:
  static constexpr uint64_t kBlock = 4096;
  static constexpr uint64_t kBlocks = 16;
  struct Block {
    ImageExtent::Kind kind = ImageExtent::Kind::kZero;
    uint64_t file_block = 0;
  };

  static std::unique_ptr<ScriptedImage> Open(const std::string& path) {
    auto file = DiskFile::Open({.path = path});
    if (!file.ok()) return nullptr;
    return std::unique_ptr<ScriptedImage>(new ScriptedImage(path, std::move(file).value()));
  }

  std::vector<Block> blocks = std::vector<Block>(kBlocks);
  std::map<uint64_t, uint8_t> format_bytes;  // offset -> byte written through the format
  int format_reads = 0;
  int format_writes = 0;
  int map_error = 0;  // returned by Map when set

  ImageType type() const override { return ImageType::kQcow2; }
  uint64_t size() const override { return kBlock * kBlocks; }
  int Map(MapPurpose purpose, uint64_t offset, uint64_t length,
          std::vector<ImageExtent>& out) override {
    out.clear();
    if (map_error != 0) return map_error;
    if (int rc = CheckRange(offset, length); rc != 0) return rc;
    while (length > 0) {
      const Block& b = blocks[offset / kBlock];
      const uint64_t in = offset % kBlock;
      const uint64_t n = std::min(length, kBlock - in);
      ImageExtent e{.kind = b.kind, .offset = offset, .length = n,
                    .file_offset = b.file_block * kBlock + in};
      if (purpose == MapPurpose::kWrite && e.kind == ImageExtent::Kind::kZero)
        e.kind = ImageExtent::Kind::kFormat;
      if (e.kind != ImageExtent::Kind::kFile) e.file_offset = 0;
      AppendExtent(out, e);
      offset += n;
      length -= n;
    }
    return 0;
  }
  int ReadFormat(uint64_t offset, std::span<uint8_t> out) override {
    ++format_reads;
    for (size_t i = 0; i < out.size(); ++i) {
      auto it = format_bytes.find(offset + i);
      out[i] = it == format_bytes.end() ? 0xf0 : it->second;
    }
    return 0;
  }
  int WriteFormat(uint64_t offset, std::span<const uint8_t> data) override {
    ++format_writes;
    for (size_t i = 0; i < data.size(); ++i) format_bytes[offset + i] = data[i];
    return 0;
  }

 private:
  ScriptedImage(std::string path, std::unique_ptr<DiskFile> file)
      : DiskImage(std::move(path), std::move(file)) {}
};

}  // namespace petrel::image_test
