// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskImage's defaults and synchronous helpers (see disk_image.h).
#include "devices/block/image/disk_image.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "devices/block/image/mapped_engine.h"
#include "devices/block/io_request_util.h"

namespace petrel {

namespace {

// O_DIRECT needs block-aligned offsets, lengths and buffers; metadata I/O is
// byte-granular, so it goes through an aligned buffer covering whole blocks.
bool Misaligned(const DiskFile& file, uint64_t offset, const void* buf, size_t n) {
  const uint64_t a = file.required_alignment();
  return a > 1 && (offset % a != 0 || n % a != 0 || reinterpret_cast<uintptr_t>(buf) % a != 0);
}

struct AlignedRange {
  uint64_t offset;
  uint64_t length;
};

AlignedRange Enclosing(const DiskFile& file, uint64_t offset, size_t n) {
  const uint64_t a = file.required_alignment();
  const uint64_t start = offset / a * a;
  const uint64_t end = (offset + n + a - 1) / a * a;
  return {start, end - start};
}

}  // namespace

int PreadFull(const DiskFile& file, uint64_t offset, std::span<uint8_t> out) {
  if (Misaligned(file, offset, out.data(), out.size())) {
    const AlignedRange r = Enclosing(file, offset, out.size());
    AlignedBuffer buf(r.length, file.required_alignment());
    if (buf.data() == nullptr) return -ENOMEM;
    if (int rc = PreadFull(file, r.offset, std::span(buf.data(), r.length)); rc != 0) return rc;
    std::memcpy(out.data(), buf.data() + (offset - r.offset), out.size());
    return 0;
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(file.fd(), out.data() + done, out.size() - done,
                            static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) {  // past the end of the file: reads as a hole
      std::memset(out.data() + done, 0, out.size() - done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

int PwriteFull(const DiskFile& file, uint64_t offset, std::span<const uint8_t> data) {
  if (file.readonly()) return -EROFS;
  if (Misaligned(file, offset, data.data(), data.size())) {
    // Read-modify-write of the enclosing blocks (callers hold the image's
    // lock, and metadata never shares a block with guest data).
    const AlignedRange r = Enclosing(file, offset, data.size());
    AlignedBuffer buf(r.length, file.required_alignment());
    if (buf.data() == nullptr) return -ENOMEM;
    if (int rc = PreadFull(file, r.offset, std::span(buf.data(), r.length)); rc != 0) return rc;
    std::memcpy(buf.data() + (offset - r.offset), data.data(), data.size());
    return PwriteFull(file, r.offset, std::span<const uint8_t>(buf.data(), r.length));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(file.fd(), data.data() + done, data.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) return -EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

void DiskImage::ForEachFile(const std::function<void(const DiskFile&, bool)>& fn) const {
  fn(data_file(), false);
}

void DiskImage::ListFiles(std::vector<ImageFileUse>& out) const {
  out.push_back({path(), false});
  ForEachFile([&](const DiskFile& file, bool backing) {
    ImageFileUse use{file.path(), backing};
    if (std::find(out.begin(), out.end(), use) == out.end()) out.push_back(std::move(use));
  });
}

Result<void> DiskImage::Lock(LockGranularity granularity) {
  Result<void> result = Ok();
  ForEachFile([&](const DiskFile& file, bool backing) {
    if (!result.ok()) return;
    const bool exclusive = !backing && !file.readonly();
    result = LockImage(file.fd(), file.path(), exclusive, file.size(), granularity);
  });
  if (!result.ok()) {
    Unlock();
    return result;
  }
  locked_ = true;
  return Ok();
}

void DiskImage::Unlock() {
  ForEachFile([](const DiskFile& file, bool) { UnlockImage(file.fd()); });
  locked_ = false;
}

void AppendExtent(std::vector<ImageExtent>& out, const ImageExtent& e) {
  if (!out.empty() && out.back().kind == e.kind &&
      (e.kind != ImageExtent::Kind::kFile ||
       out.back().file_offset + out.back().length == e.file_offset)) {
    out.back().length += e.length;
  } else {
    out.push_back(e);
  }
}

int DiskImage::CheckRange(uint64_t offset, uint64_t length) const {
  if (offset > size() || length > size() - offset) return -EINVAL;
  return 0;
}

int DiskImage::ReadFormat(uint64_t, std::span<uint8_t>) { return -EIO; }
int DiskImage::WriteFormat(uint64_t, std::span<const uint8_t>) { return -EIO; }
int DiskImage::Discard(uint64_t, uint64_t) { return -EOPNOTSUPP; }

int DiskImage::WriteZeroes(uint64_t offset, uint64_t length) {
  if (int rc = CheckRange(offset, length); rc != 0) return rc;
  constexpr uint64_t kChunk = 1 << 20;
  const std::vector<uint8_t> zeros(std::min(length, kChunk), 0);
  for (uint64_t done = 0; done < length;) {
    const uint64_t n = std::min(length - done, kChunk);
    if (int rc = Write(offset + done, std::span(zeros.data(), n)); rc != 0) return rc;
    done += n;
  }
  return 0;
}

int DiskImage::Flush() {
  if (readonly()) return 0;
  return fdatasync(data_file().fd()) == 0 ? 0 : -errno;
}

Result<void> DiskImage::Grow(uint64_t) {
  return Error(ErrorCode::kUnsupported, path_ + ": resizing a " + ImageTypeName(type()) +
                                            " image is not supported by Petrel yet (raw only)");
}

Result<std::unique_ptr<IoEngine>> DiskImage::MakeEngine(IoEngineKind kind, uint32_t queue_depth) {
  return MakeMappedEngine(*this, kind, queue_depth);
}

int DiskImage::Read(uint64_t offset, std::span<uint8_t> out) {
  if (int rc = CheckRange(offset, out.size()); rc != 0) return rc;
  std::vector<ImageExtent> extents;
  if (int rc = Map(MapPurpose::kRead, offset, out.size(), extents); rc != 0) return rc;
  for (const ImageExtent& e : extents) {
    std::span<uint8_t> part = out.subspan(e.offset - offset, e.length);
    int rc = 0;
    switch (e.kind) {
      case ImageExtent::Kind::kFile: rc = PreadFull(data_file(), e.file_offset, part); break;
      case ImageExtent::Kind::kZero: std::fill(part.begin(), part.end(), 0); break;
      case ImageExtent::Kind::kFormat: rc = ReadFormat(e.offset, part); break;
    }
    if (rc != 0) return rc;
  }
  return 0;
}

int DiskImage::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (readonly()) return -EROFS;
  if (int rc = CheckRange(offset, data.size()); rc != 0) return rc;
  std::vector<ImageExtent> extents;
  if (int rc = Map(MapPurpose::kWrite, offset, data.size(), extents); rc != 0) return rc;
  for (const ImageExtent& e : extents) {
    std::span<const uint8_t> part = data.subspan(e.offset - offset, e.length);
    const int rc = e.kind == ImageExtent::Kind::kFile ? PwriteFull(data_file(), e.file_offset, part)
                                                      : WriteFormat(e.offset, part);
    if (rc != 0) return rc;
  }
  return 0;
}

}  // namespace petrel
