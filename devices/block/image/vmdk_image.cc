// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Flat VMDK images: a text descriptor naming raw extent files (see
// vmdk_descriptor.h for what is accepted). One extent at offset 0 is a
// RawImage over the extent file; anything else is a VmdkImage, whose first
// extent is the data file (mapped kFile) and whose other extents are read
// and written by ReadFormat/WriteFormat.
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cerrno>
#include <string>
#include <vector>

#include "devices/block/image/image_formats.h"
#include "devices/block/image/raw_image.h"
#include "devices/block/image/vmdk_descriptor.h"

namespace petrel {
namespace {

struct OpenExtent {
  uint64_t start = 0;              // in the virtual disk, bytes
  uint64_t length = 0;             // bytes
  uint64_t file_offset = 0;        // bytes
  std::unique_ptr<DiskFile> file;  // null for extent 0 (the DiskImage's data file)
};

// Several extents, or one at a non-zero offset. Immutable after open: the
// data path needs no lock.
class VmdkImage final : public DiskImage {
 public:
  VmdkImage(std::string path, std::unique_ptr<DiskFile> first, std::vector<OpenExtent> extents,
            uint64_t size)
      : DiskImage(std::move(path), std::move(first)), extents_(std::move(extents)), size_(size) {}

  ImageType type() const override { return ImageType::kVmdk; }
  // The first extent (the data file), then the others: all locked alike.
  void ForEachFile(const std::function<void(const DiskFile&, bool)>& fn) const override {
    DiskImage::ForEachFile(fn);
    for (const OpenExtent& e : extents_)
      if (e.file) fn(*e.file, false);
  }
  uint64_t size() const override { return size_; }

  int Map(MapPurpose, uint64_t offset, uint64_t length, std::vector<ImageExtent>& out) override {
    out.clear();
    if (int rc = CheckRange(offset, length); rc != 0) return rc;
    const OpenExtent& first = extents_.front();
    if (offset < first.length && length > 0) {
      const uint64_t n = std::min(length, first.length - offset);
      out.push_back({.kind = ImageExtent::Kind::kFile,
                     .offset = offset,
                     .length = n,
                     .file_offset = first.file_offset + offset});
      offset += n;
      length -= n;
    }
    if (length > 0)
      out.push_back({.kind = ImageExtent::Kind::kFormat, .offset = offset, .length = length});
    return 0;
  }

  int ReadFormat(uint64_t offset, std::span<uint8_t> out) override {
    return ForEachPiece(offset, out.size(),
                        [&](const DiskFile& file, uint64_t at, size_t done, size_t n) {
                          return PreadFull(file, at, out.subspan(done, n));
                        });
  }

  int WriteFormat(uint64_t offset, std::span<const uint8_t> data) override {
    return ForEachPiece(
        offset, data.size(), [&](const DiskFile& file, uint64_t at, size_t done, size_t n) {
          return PwriteFull(file, at, data.subspan(done, n));  // -EROFS on an RDONLY extent
        });
  }

  int Flush() override {
    for (const OpenExtent& e : extents_) {
      const DiskFile& file = e.file ? *e.file : data_file();
      if (file.readonly()) continue;
      if (fdatasync(file.fd()) != 0) return -errno;
    }
    return 0;
  }

 private:
  // Calls fn(file, file offset, bytes done so far, n) for each extent piece
  // of [offset, offset + length).
  template <class Fn>
  int ForEachPiece(uint64_t offset, uint64_t length, Fn fn) {
    if (int rc = CheckRange(offset, length); rc != 0) return rc;
    // The extent holding `offset`: the last one starting at or before it.
    auto it = std::upper_bound(extents_.begin(), extents_.end(), offset,
                               [](uint64_t o, const OpenExtent& e) { return o < e.start; });
    size_t done = 0;
    for (--it; done < length; ++it) {
      const uint64_t in = offset + done - it->start;
      const uint64_t n = std::min<uint64_t>(length - done, it->length - in);
      const DiskFile& file = it->file ? *it->file : data_file();
      if (int rc = fn(file, it->file_offset + in, done, n); rc != 0) return rc;
      done += n;
    }
    return 0;
  }

  std::vector<OpenExtent> extents_;
  uint64_t size_;
};

}  // namespace

Result<std::unique_ptr<DiskImage>> OpenVmdkImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions& options) {
  const std::string& path = options.path;
  if (file->size() > kVmdkMaxDescriptorBytes) {
    std::vector<uint8_t> magic(4);
    if (PreadFull(*file, 0, magic) == 0 && std::string(magic.begin(), magic.end()) == "KDMV")
      return Error(ErrorCode::kUnsupported,
                   path +
                       ": a hosted sparse VMDK (\"KDMV\"); only flat VMDK is supported "
                       "(convert with 'qemu-img convert -O vmdk -o subformat=monolithicFlat')");
    return Error(ErrorCode::kMalformed, path + ": not a flat VMDK descriptor (larger than " +
                                            std::to_string(kVmdkMaxDescriptorBytes) + " bytes)");
  }
  std::vector<uint8_t> bytes(file->size());
  if (PreadFull(*file, 0, bytes) != 0)
    return Error(ErrorCode::kSystem, path + ": reading the VMDK descriptor");
  auto parsed = ParseVmdkDescriptor(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!parsed.ok()) return std::move(parsed).error().Wrap(path);
  VmdkDescriptor descriptor = std::move(parsed).value();

  std::vector<OpenExtent> extents;
  std::unique_ptr<DiskFile> first;
  uint64_t start = 0;
  for (const VmdkExtent& e : descriptor.extents) {
    const std::string extent_path = ResolveImageRelativePath(path, e.file);
    auto opened = OpenImageFile(extent_path, options.readonly || e.readonly, options);
    if (!opened.ok()) return std::move(opened).error().Wrap(path + ": VMDK extent");
    OpenExtent x{.start = start,
                 .length = e.sectors * kVmdkSectorSize,
                 .file_offset = e.offset * kVmdkSectorSize,
                 .file = std::move(opened).value()};
    const uint64_t file_size = x.file->size();
    if (!x.file->is_block_device() &&
        (x.file_offset > file_size || x.length > file_size - x.file_offset))
      return Error(ErrorCode::kMalformed, path + ": VMDK extent " + extent_path + " holds " +
                                              std::to_string(file_size) +
                                              " bytes, less than the descriptor's offset + size (" +
                                              std::to_string(x.file_offset + x.length) + ")");
    start += x.length;
    if (!first) {
      first = std::move(x.file);
      x.file = nullptr;
    }
    extents.push_back(std::move(x));
  }
  // The descriptor file is closed here (its lock released): the extents'
  // locks are what keeps two writers apart.
  file.reset();
  if (extents.size() == 1 && extents.front().file_offset == 0)
    return std::unique_ptr<DiskImage>(
        new RawImage(path, std::move(first), start, /*probed=*/false, ImageType::kVmdk));
  return std::unique_ptr<DiskImage>(
      new VmdkImage(path, std::move(first), std::move(extents), start));
}

}  // namespace petrel
