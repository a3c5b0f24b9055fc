// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes qcow2 images: the header, tables and refcounts of a malformed image,
// then reads, writes, discards and write-zeroes at fuzzed offsets through
// the image and its engine. Nothing may crash, hang or touch memory it does
// not own; errors are fine.
//
// Input: one flags byte (bit 0: open read-only; bit 1: v2-style sparse off),
// kOps operation records (kind byte, offset u32 in 512-byte units, length
// u16 in bytes), then the image file's bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "devices/block/image/open_image.h"
#include "fuzz/fuzz_input.h"

namespace {

constexpr int kOps = 8;
constexpr size_t kMaxImageBytes = 4 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  struct Op {
    uint8_t kind;
    uint64_t offset;
    uint32_t length;
  } ops[kOps];
  for (Op& op : ops) {
    op.kind = in.Byte();
    op.offset = (static_cast<uint64_t>(in.U16()) | static_cast<uint64_t>(in.U16()) << 16) * 512;
    op.length = in.U16();
  }
  const uint8_t* image_bytes;
  const size_t image_size = std::min(in.Rest(&image_bytes), kMaxImageBytes);

  const int fd = memfd_create("qcow2-fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write(fd, image_bytes, image_size) != static_cast<ssize_t>(image_size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto image = petrel::OpenDiskImage({.path = path,
                                      .readonly = (flags & 1) != 0,
                                      .type = petrel::ImageType::kQcow2,
                                      .sparse = (flags & 2) == 0});
  if (image.ok()) {
    petrel::DiskImage& disk = **image;
    std::vector<uint8_t> buf;
    for (const Op& op : ops) {
      if (disk.size() == 0) break;
      const uint64_t offset = op.offset % disk.size();
      const uint64_t length = std::min<uint64_t>(op.length, disk.size() - offset);
      buf.assign(length, static_cast<uint8_t>(op.kind));
      switch (op.kind % 5) {
        case 0: (void)disk.Read(offset, buf); break;
        case 1: (void)disk.Write(offset, buf); break;
        case 2: (void)disk.Discard(offset, length); break;
        case 3: (void)disk.WriteZeroes(offset, length); break;
        case 4: (void)disk.Flush(); break;
      }
    }
  }
  image = petrel::Error(petrel::ErrorCode::kInternal, "closed");
  close(fd);
  return 0;
}
