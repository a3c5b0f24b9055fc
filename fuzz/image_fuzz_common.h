// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Shared driver of the image format fuzz targets (vhd_image_fuzz,
// vhdx_image_fuzz, vmdk_image_fuzz): the input's first kOpsBytes describe
// up to kMaxOps operations and the open mode; the rest is the image, which
// each target turns into files. The image is opened with its type forced
// (OpenDiskImage), read-write unless the flags say read-only; then the
// operations run through DiskImage::Read/Write/WriteZeroes/Flush and,
// for one read, an engine.
//
// Oracles: no crash or sanitizer report; no unbounded allocation (the
// targets keep files small); a write that succeeded reads back as written.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "devices/block/block_test_util.h"
#include "devices/block/image/open_image.h"
#include "fuzz/fuzz_input.h"

namespace petrel::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

inline constexpr int kMaxOps = 8;
inline constexpr size_t kOpBytes = 8;  // kind, offset (u32, in 512-byte units), length (u16), fill
inline constexpr size_t kOpsBytes = 2 + kMaxOps * kOpBytes;
inline constexpr uint64_t kMaxOpLength = 128 << 10;

// A memfd holding `bytes`, as a path OpenDiskImage can open.
class MemFile {
 public:
  MemFile() : fd_(memfd_create("petrel-image-fuzz", MFD_CLOEXEC)) { Check(fd_ >= 0); }
  ~MemFile() { close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  int fd() const { return fd_; }
  void Set(uint64_t size, const std::vector<std::pair<uint64_t, std::vector<uint8_t>>>& pieces) {
    Check(ftruncate(fd_, 0) == 0 && ftruncate(fd_, static_cast<off_t>(size)) == 0);
    for (const auto& [offset, bytes] : pieces)
      Check(pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
            static_cast<ssize_t>(bytes.size()));
  }

 private:
  int fd_;
};

// Opens `options.path` (type forced) and runs the operations of `ops`
// (kOpsBytes, zero-padded).
inline void RunImageOps(ImageOptions options, const std::vector<uint8_t>& ops) {
  FuzzInput in(ops.data(), ops.size());
  const uint8_t flags = in.Byte();
  const int count = in.Byte() % (kMaxOps + 1);
  options.readonly = flags & 1;
  auto image = OpenDiskImage(options);
  if (!image.ok()) {
    Check(!image.error().message().empty());
    return;
  }
  DiskImage& disk = **image;
  const uint64_t size = disk.size();
  for (int i = 0; i < count; ++i) {
    const uint8_t kind = in.Byte();
    const uint64_t raw_offset = (uint64_t{in.U16()} | uint64_t{in.U16()} << 16) * 512 + (kind >> 4);
    uint64_t length = in.U16() % kMaxOpLength + (kind & 0x8 ? 65536 : 0);
    const uint8_t fill = in.Byte();
    // Mostly within the disk; sometimes past its end (must fail cleanly).
    const uint64_t offset = (flags & 2) ? raw_offset : (size == 0 ? 0 : raw_offset % size);
    if (!(flags & 2)) length = std::min(length, size - std::min(offset, size));
    std::vector<uint8_t> buf(length, fill);
    switch (kind & 0x7) {
      case 0:
      case 1: {
        const int rc = disk.Write(offset, buf);
        if (rc == 0) {
          std::vector<uint8_t> back(length, static_cast<uint8_t>(~fill));
          Check(disk.Read(offset, back) == 0);
          Check(back == buf);
        }
        break;
      }
      case 2:
      case 3: (void)disk.Read(offset, buf); break;
      case 4: (void)disk.Flush(); break;
      case 5: {
        const int rc = disk.WriteZeroes(offset, length);
        if (rc == 0) {
          Check(disk.Read(offset, buf) == 0);
          Check(std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; }));
        }
        break;
      }
      default: {  // one read through the synchronous engine
        auto engine = disk.MakeEngine(IoEngineKind::kSync, 4);
        if (!engine.ok() || length == 0) break;
        block_test::Run(**engine,
                        {block_test::Read(offset, {block_test::Iov(buf.data(), length)}, 1)});
        break;
      }
    }
  }
}

// The ops header and the rest of the input.
inline std::vector<uint8_t> SplitOps(const uint8_t* data, size_t size, const uint8_t** rest,
                                     size_t* rest_size) {
  FuzzInput in(data, size);
  std::vector<uint8_t> ops = in.PaddedBytes(kOpsBytes);
  *rest_size = in.Rest(rest);
  return ops;
}

}  // namespace petrel::fuzz
