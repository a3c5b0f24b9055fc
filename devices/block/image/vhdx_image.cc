// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX images, dynamic and fixed (VHDX 1.0): opening (file identifier,
// headers, log replay, region table, metadata, BAT) and the data path.
//
// Map: payload blocks FULLY_PRESENT or PARTIALLY_PRESENT are kFile; the
// other states read as zeros and are kFormat for writes. WriteFormat
// allocates a block at the end of the file (1 MiB aligned), writes the data
// and makes it durable, then points the BAT entry at it: data first, then
// the metadata that refers to it.
//
// Metadata updates go through the log (§2.3), as QEMU does: the BAT sector
// as it will be is written to the log as an entry and made durable, then
// written in place. The headers get a new log GUID before the first entry;
// Flush and close sync the file and clear it again (an empty log), so a
// clean image never needs a replay. A crash leaves at most the entries of
// updates since the last flush, all safe to replay (the next read-write open
// does it; a read-only open is refused until then, as with QEMU's own
// crashes). Unlike QEMU, Petrel keeps the log GUID between allocations up to
// the next flush rather than clearing it after each one (four header writes
// saved per allocated block). An image without a log region (log length 0)
// gets its BAT entries written in place.
//
// The first write after open gives the headers new file and data write
// GUIDs (§2.2.2: a parent's data write GUID tells its children it changed),
// writing the non-current header with sequence + 1, then the other one, as
// QEMU does. Map(kWrite) does it, since writes to allocated blocks reach the
// file through the engines without WriteFormat.
//
// Thread-safety: one mutex guards the BAT, the file's end, the headers and
// the log.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/base/log.h"
#include "core/base/bytes.h"
#include "devices/block/image/image_formats.h"
#include "devices/block/image/vhdx_bat.h"
#include "devices/block/image/vhdx_header.h"
#include "devices/block/image/vhdx_log.h"
#include "devices/block/image/vhdx_metadata.h"

namespace petrel {
namespace {

// §2.2.1 "File Type Identifier".
constexpr char kFileSignature[] = "vhdxfile";

struct Headers {
  VhdxHeader current;
  int slot = 0;  // which of the two header locations holds `current`
};

// Reads both headers and picks the valid one with the higher sequence
// number (§2.2.2.1).
Result<Headers> ReadHeaders(const DiskFile& file) {
  std::optional<VhdxHeader> h[2];
  std::vector<uint8_t> bytes(kVhdxHeaderSize);
  for (int i = 0; i < 2; ++i) {
    if (PreadFull(file, kVhdxHeaderOffsets[i], bytes) != 0)
      return Error(ErrorCode::kSystem, "reading the VHDX headers");
    h[i] = ParseVhdxHeader(bytes);
  }
  if (!h[0] && !h[1])
    return Error(ErrorCode::kMalformed, "no valid VHDX header (bad signature or checksum)");
  Headers out;
  if (h[0] && h[1] && h[0]->sequence_number == h[1]->sequence_number)
    return Error(ErrorCode::kMalformed, "both VHDX headers have the same sequence number");
  out.slot = !h[0] || (h[1] && h[1]->sequence_number > h[0]->sequence_number) ? 1 : 0;
  out.current = *h[out.slot];
  if (out.current.version != 1)
    return Error(ErrorCode::kUnsupported,
                 "VHDX version " + std::to_string(out.current.version) + " (only 1 is known)");
  return out;
}

// Writes `h` to both header locations, the non-current one first, each
// with the next sequence number (§2.2.2.1 "Updating the Headers").
int WriteHeaders(const DiskFile& file, Headers& headers, VhdxHeader h) {
  for (int i = 0; i < 2; ++i) {
    h.sequence_number = headers.current.sequence_number + 1;
    const int slot = 1 - headers.slot;
    if (int rc = PwriteFull(file, kVhdxHeaderOffsets[slot], SerializeVhdxHeader(h)); rc != 0)
      return rc;
    if (fdatasync(file.fd()) != 0) return -errno;
    headers.current = h;
    headers.slot = slot;
  }
  return 0;
}

class VhdxImage final : public DiskImage {
 public:
  VhdxImage(std::string path, std::unique_ptr<DiskFile> file, Headers headers,
            VhdxMetadata metadata, VhdxBatGeometry geometry, VhdxRegion bat_region,
            std::vector<uint64_t> bat, uint64_t file_size)
      : DiskImage(std::move(path), std::move(file)),
        headers_(headers),
        metadata_(metadata),
        geometry_(geometry),
        bat_region_(bat_region),
        bat_(std::move(bat)),
        file_end_(file_size),
        log_(headers.current.log_offset, headers.current.log_length) {}

  ~VhdxImage() override {
    std::lock_guard lock(mu_);
    if (int rc = CloseLogLocked(); rc != 0) {
      PETREL_LOG(kError) << path()
                         << ": emptying the VHDX log on close failed: " << std::strerror(-rc)
                         << " (it is replayed on the next open)";
    }
  }

  ImageType type() const override { return ImageType::kVhdx; }
  uint64_t size() const override { return metadata_.virtual_size; }

  int Flush() override {
    if (readonly()) return 0;
    std::lock_guard lock(mu_);
    if (int rc = CloseLogLocked(); rc != 0) return rc;
    return fdatasync(data_file().fd()) == 0 ? 0 : -errno;
  }

  int Map(MapPurpose purpose, uint64_t offset, uint64_t length,
          std::vector<ImageExtent>& out) override {
    out.clear();
    if (int rc = CheckRange(offset, length); rc != 0) return rc;
    std::lock_guard lock(mu_);
    if (purpose == MapPurpose::kWrite) {
      if (readonly()) return -EROFS;
      if (int rc = MarkWrittenLocked(); rc != 0) return rc;
    }
    const uint64_t block_size = metadata_.block_size;
    while (length > 0) {
      const uint64_t block = offset / block_size;
      const uint64_t in = offset % block_size;
      const uint64_t n = std::min(length, block_size - in);
      const uint64_t entry = bat_[geometry_.PayloadIndex(block)];
      ImageExtent e{.offset = offset, .length = n};
      if (VhdxBatPresent(entry)) {
        e.kind = ImageExtent::Kind::kFile;
        e.file_offset = (entry & kVhdxBatOffsetMask) + in;
      } else {
        e.kind =
            purpose == MapPurpose::kWrite ? ImageExtent::Kind::kFormat : ImageExtent::Kind::kZero;
      }
      ImageExtent* last = out.empty() ? nullptr : &out.back();
      if (last != nullptr && last->kind == e.kind &&
          (e.kind != ImageExtent::Kind::kFile ||
           last->file_offset + last->length == e.file_offset)) {
        last->length += n;
      } else {
        out.push_back(e);
      }
      offset += n;
      length -= n;
    }
    return 0;
  }

  // Reached only for blocks that read as zeros when mapped; another thread
  // may have allocated one since: read what the BAT says now.
  int ReadFormat(uint64_t offset, std::span<uint8_t> out) override {
    std::vector<ImageExtent> extents;
    if (int rc = Map(MapPurpose::kRead, offset, out.size(), extents); rc != 0) return rc;
    for (const ImageExtent& e : extents) {
      auto part = out.subspan(e.offset - offset, e.length);
      if (e.kind == ImageExtent::Kind::kFile) {
        if (int rc = PreadFull(data_file(), e.file_offset, part); rc != 0) return rc;
      } else {
        std::fill(part.begin(), part.end(), 0);
      }
    }
    return 0;
  }

  int WriteFormat(uint64_t offset, std::span<const uint8_t> data) override {
    if (readonly()) return -EROFS;
    if (int rc = CheckRange(offset, data.size()); rc != 0) return rc;
    const uint64_t block_size = metadata_.block_size;
    std::lock_guard lock(mu_);
    if (int rc = MarkWrittenLocked(); rc != 0) return rc;
    for (size_t done = 0; done < data.size();) {
      const uint64_t at = offset + done;
      const uint64_t block = at / block_size;
      const uint64_t in = at % block_size;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size() - done, block_size - in));
      const auto piece = data.subspan(done, n);
      uint64_t& entry = bat_[geometry_.PayloadIndex(block)];
      if (VhdxBatPresent(entry)) {  // allocated meanwhile by another thread
        if (int rc = PwriteFull(data_file(), (entry & kVhdxBatOffsetMask) + in, piece); rc != 0)
          return rc;
      } else if (int rc = AllocateLocked(block, in, piece); rc != 0) {
        return rc;
      }
      done += n;
    }
    return 0;
  }

 private:
  // A new block at the end of the file holding `piece` at `in` and zeros
  // elsewhere; durable before the BAT entry points at it.
  int AllocateLocked(uint64_t block, uint64_t in, std::span<const uint8_t> piece) {
    const uint64_t block_size = metadata_.block_size;
    const uint64_t start = (file_end_ + kVhdxMiB - 1) / kVhdxMiB * kVhdxMiB;
    if (start > kVhdxMaxFileSize) return -ENOSPC;
    // Growing the file makes the block read as zeros; then the data.
    if (ftruncate(data_file().fd(), static_cast<off_t>(start + block_size)) != 0) return -errno;
    file_end_ = start + block_size;
    if (int rc = PwriteFull(data_file(), start + in, piece); rc != 0) return rc;
    if (fdatasync(data_file().fd()) != 0) return -errno;
    const uint64_t index = geometry_.PayloadIndex(block);
    const uint64_t entry = start | static_cast<uint64_t>(VhdxPayloadState::kFullyPresent);
    if (int rc = UpdateBatLocked(index, entry); rc != 0) return rc;
    bat_[index] = entry;
    return 0;
  }

  // Writes BAT entry `index`: through the log when the image has one.
  int UpdateBatLocked(uint64_t index, uint64_t entry) {
    const uint64_t at = bat_region_.file_offset + index * 8;
    if (!log_.usable()) {
      uint8_t bytes[8];
      StoreLe<uint64_t>(bytes, 0, entry);
      return PwriteFull(data_file(), at, bytes);
    }
    // The whole 4 KiB BAT sector, as the log replays it (inside the region:
    // regions are 1 MiB multiples).
    const uint64_t sector_at = at / kVhdxLogSectorSize * kVhdxLogSectorSize;
    std::vector<uint8_t> sector(kVhdxLogSectorSize);
    if (int rc = PreadFull(data_file(), sector_at, sector); rc != 0) return rc;
    StoreLe<uint64_t>(sector, at - sector_at, entry);
    if (!log_open_) {
      VhdxHeader h = headers_.current;
      h.log_guid = NewVhdxGuid();
      if (int rc = WriteHeaders(data_file(), headers_, h); rc != 0) return rc;
      log_.Reset();
      log_open_ = true;
    }
    if (int rc = log_.Append(data_file(), headers_.current.log_guid, sector_at, sector, file_end_);
        rc != 0)
      return rc;
    return PwriteFull(data_file(), sector_at, sector);
  }

  // Makes what the log holds durable in place, then empties the log (a zero
  // log GUID in the headers).
  int CloseLogLocked() {
    if (!log_open_) return 0;
    if (fdatasync(data_file().fd()) != 0) return -errno;
    VhdxHeader h = headers_.current;
    h.log_guid = VhdxGuid{};
    if (int rc = WriteHeaders(data_file(), headers_, h); rc != 0) return rc;
    log_open_ = false;
    return 0;
  }

  // §2.2.2: new file and data write GUIDs before the first change.
  int MarkWrittenLocked() {
    if (written_) return 0;
    VhdxHeader h = headers_.current;
    h.file_write_guid = NewVhdxGuid();
    h.data_write_guid = NewVhdxGuid();
    if (int rc = WriteHeaders(data_file(), headers_, h); rc != 0) {
      PETREL_LOG_ONCE(kError, "vhdx-headers:" + path())
          << path() << ": updating the VHDX headers failed: " << std::strerror(-rc);
      return rc;
    }
    written_ = true;
    return 0;
  }

  std::mutex mu_;
  Headers headers_;
  const VhdxMetadata metadata_;
  const VhdxBatGeometry geometry_;
  const VhdxRegion bat_region_;
  std::vector<uint64_t> bat_;
  uint64_t file_end_;
  bool written_ = false;
  VhdxLogWriter log_;
  bool log_open_ = false;  // the headers name a log GUID (entries may follow)
};

Result<std::unique_ptr<DiskImage>> Open(std::unique_ptr<DiskFile> file,
                                        const ImageOptions& options) {
  struct stat st;
  if (fstat(file->fd(), &st) != 0) return Error::FromErrno("fstat");
  uint64_t file_size = file->is_block_device() ? file->size() : static_cast<uint64_t>(st.st_size);
  if (file_size < kVhdxHeaderSectionSize)
    return Error(ErrorCode::kMalformed,
                 "too short for a VHDX image (" + std::to_string(file_size) + " bytes)");
  uint8_t signature[8];
  if (PreadFull(*file, 0, signature) != 0)
    return Error(ErrorCode::kSystem, "reading the VHDX file identifier");
  if (std::memcmp(signature, kFileSignature, 8) != 0)
    return Error(ErrorCode::kMalformed, "no VHDX file identifier (\"vhdxfile\") at offset 0");
  PETREL_ASSIGN_OR_RETURN(Headers headers, ReadHeaders(*file));
  PETREL_TRY(CheckVhdxLogRegion(headers.current, file_size));

  // §2.3.3: the log is replayed before anything else is read.
  PETREL_ASSIGN_OR_RETURN(const bool replayed, ReplayVhdxLog(*file, headers.current, file_size));
  if (replayed) {
    VhdxHeader h = headers.current;
    h.log_guid = VhdxGuid{};
    h.file_write_guid = NewVhdxGuid();
    if (int rc = WriteHeaders(*file, headers, h); rc != 0)
      return Error(ErrorCode::kSystem, "VHDX: emptying the log after its replay", -rc);
  }

  // §2.2.3: the two region tables are identical; the second is a fallback.
  std::vector<uint8_t> table(kVhdxRegionTableSize);
  Result<VhdxRegions> regions = Error(ErrorCode::kInternal, "unread");
  for (uint64_t at : kVhdxRegionTableOffsets) {
    if (PreadFull(*file, at, table) != 0)
      return Error(ErrorCode::kSystem, "reading the VHDX region table");
    Result<VhdxRegions> parsed = ParseVhdxRegionTable(table, file_size);
    if (parsed.ok() || at == kVhdxRegionTableOffsets[0]) regions = std::move(parsed);
    if (regions.ok()) break;
  }
  if (!regions.ok()) return std::move(regions).error();
  const VhdxHeader& h = headers.current;
  if (h.log_length != 0 &&
      (RangesOverlap(h.log_offset, h.log_length, regions->bat.file_offset,
                           regions->bat.length) ||
       RangesOverlap(h.log_offset, h.log_length, regions->metadata.file_offset,
                           regions->metadata.length)))
    return Error(ErrorCode::kMalformed, "the VHDX log overlaps the BAT or metadata region");

  PETREL_ASSIGN_OR_RETURN(const VhdxMetadata metadata, ReadVhdxMetadata(*file, regions->metadata));
  const VhdxBatGeometry geometry = VhdxBatGeometry::For(metadata);
  if (geometry.total_entries * 8 > regions->bat.length)
    return Error(ErrorCode::kMalformed, "the VHDX BAT region (" +
                                            std::to_string(regions->bat.length) +
                                            " bytes) is too small for " +
                                            std::to_string(geometry.total_entries) + " entries");
  // Bounded by the region's length, which lies within the file; read in
  // 1 MiB pieces so only the table itself is held.
  std::vector<uint64_t> bat(geometry.total_entries);
  std::vector<uint8_t> bytes(std::min<uint64_t>(bat.size() * 8, kVhdxMiB));
  for (uint64_t i = 0; i < bat.size();) {
    const uint64_t n = std::min<uint64_t>(bat.size() - i, bytes.size() / 8);
    if (PreadFull(*file, regions->bat.file_offset + i * 8, std::span(bytes.data(), n * 8)) != 0)
      return Error(ErrorCode::kSystem, "reading the VHDX BAT");
    for (uint64_t j = 0; j < n; ++j) bat[i + j] = LoadLe<uint64_t>(bytes, j * 8);
    i += n;
  }
  std::vector<VhdxReserved> reserved = {{regions->bat.file_offset, regions->bat.length},
                                        {regions->metadata.file_offset, regions->metadata.length}};
  if (h.log_length != 0) reserved.push_back({h.log_offset, h.log_length});
  PETREL_TRY(CheckVhdxBat(bat, geometry, metadata.block_size, file_size, reserved));

  std::string path = options.path;
  return std::unique_ptr<DiskImage>(new VhdxImage(std::move(path), std::move(file), headers,
                                                  metadata, geometry, regions->bat, std::move(bat),
                                                  file_size));
}

}  // namespace

Result<std::unique_ptr<DiskImage>> OpenVhdxImage(std::unique_ptr<DiskFile> file,
                                                 const ImageOptions& options) {
  const std::string path = options.path;
  auto image = Open(std::move(file), options);
  if (!image.ok()) return std::move(image).error().Wrap(path);
  return image;
}

}  // namespace petrel
