// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX log search and replay (see vhdx_log.h).
#include "devices/block/image/vhdx_log.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "core/base/crc32c.h"
#include "core/base/bytes.h"
#include "devices/block/image/disk_image.h"

namespace petrel {
namespace {

// §2.3.1.1 "Entry Header".
constexpr char kEntrySignature[] = "loge";
constexpr size_t kEntryHeaderSize = 64;
constexpr size_t kEntryChecksum = 4;
constexpr size_t kEntryLengthField = 8;
constexpr size_t kEntryTail = 12;
constexpr size_t kEntrySequence = 16;
constexpr size_t kEntryDescriptorCount = 24;
constexpr size_t kEntryLogGuid = 32;
constexpr size_t kEntryFlushedFileOffset = 48;
constexpr size_t kEntryLastFileOffset = 56;
// §2.3.1.2 / §2.3.1.3: zero and data descriptors, 32 bytes.
constexpr size_t kDescriptorSize = 32;
constexpr char kZeroSignature[] = "zero";
constexpr char kDataSignature[] = "desc";
constexpr size_t kDescTrailingBytes = 4;  // data: the sector's last 4 bytes
constexpr size_t kDescLeadingBytes = 8;   // data: its first 8; zero: ZeroLength
constexpr size_t kDescFileOffset = 16;
constexpr size_t kDescSequence = 24;
// §2.3.1.4 "Data Sector": "data", SequenceHigh, 4084 data bytes, SequenceLow.
constexpr char kSectorSignature[] = "data";
constexpr size_t kSectorSequenceHigh = 4;
constexpr size_t kSectorData = 8;
constexpr size_t kSectorDataSize = 4084;
constexpr size_t kSectorSequenceLow = 4092;
// The checksum bytes a search may compute before giving up: a crafted log
// could otherwise make the search quadratic in the log's size.
constexpr uint64_t kSearchBudgetBytes = uint64_t{1} << 30;

// One valid entry, copied out of the circular log.
struct Entry {
  uint64_t sequence = 0;
  uint64_t sectors = 0;
  std::vector<uint8_t> bytes;
};

class LogSearch {
 public:
  LogSearch(std::vector<uint8_t> log, const VhdxGuid& guid) : log_(std::move(log)), guid_(guid) {}
  uint64_t sectors() const { return log_.size() / kVhdxLogSectorSize; }
  bool over_budget() const { return spent_ > kSearchBudgetBytes; }

  // The entry at log sector `at`, if it is valid (and has sequence number
  // `want` when `want` is not 0).
  std::optional<Entry> At(uint64_t at, uint64_t want) {
    const std::span<const uint8_t> head(log_.data() + at * kVhdxLogSectorSize, kEntryHeaderSize);
    if (std::memcmp(head.data(), kEntrySignature, 4) != 0) return std::nullopt;
    const uint32_t length = LoadLe<uint32_t>(head, kEntryLengthField);
    const uint64_t sequence = LoadLe<uint64_t>(head, kEntrySequence);
    const uint32_t count = LoadLe<uint32_t>(head, kEntryDescriptorCount);
    VhdxGuid guid;
    std::memcpy(guid.bytes.data(), head.data() + kEntryLogGuid, 16);
    if (length == 0 || length % kVhdxLogSectorSize != 0 || length > log_.size() || sequence == 0 ||
        (want != 0 && sequence != want) || guid != guid_)
      return std::nullopt;
    // The first sector holds the header and 126 descriptors, the next 128 each.
    const uint64_t desc_sectors = (uint64_t{count} + 2 + 127) / 128;
    const uint64_t entry_sectors = length / kVhdxLogSectorSize;
    if (desc_sectors > entry_sectors) return std::nullopt;
    Entry e{.sequence = sequence, .sectors = entry_sectors, .bytes = {}};
    e.bytes.resize(length);
    for (uint64_t s = 0; s < entry_sectors; ++s)
      std::memcpy(e.bytes.data() + s * kVhdxLogSectorSize,
                  log_.data() + ((at + s) % sectors()) * kVhdxLogSectorSize, kVhdxLogSectorSize);
    spent_ += length;
    static constexpr uint8_t kZero[4] = {};
    const std::span<const uint8_t> all(e.bytes);
    uint32_t crc = Crc32cExtend(0, all.first(kEntryChecksum));
    crc = Crc32cExtend(crc, kZero);
    crc = Crc32cExtend(crc, all.subspan(kEntryChecksum + 4));
    if (crc != LoadLe<uint32_t>(all, kEntryChecksum)) return std::nullopt;
    // Descriptors, and the data sector of each data descriptor.
    uint64_t data_sector = desc_sectors;
    for (uint32_t i = 0; i < count; ++i) {
      const auto d = all.subspan(kEntryHeaderSize + i * kDescriptorSize, kDescriptorSize);
      if (LoadLe<uint64_t>(d, kDescSequence) != sequence ||
          LoadLe<uint64_t>(d, kDescFileOffset) % kVhdxLogSectorSize != 0)
        return std::nullopt;
      if (std::memcmp(d.data(), kZeroSignature, 4) == 0) {
        if (LoadLe<uint64_t>(d, kDescLeadingBytes) % kVhdxLogSectorSize != 0) return std::nullopt;
      } else if (std::memcmp(d.data(), kDataSignature, 4) == 0) {
        if (data_sector >= entry_sectors) return std::nullopt;
        const auto s = all.subspan(data_sector * kVhdxLogSectorSize, kVhdxLogSectorSize);
        const uint64_t sector_sequence = uint64_t{LoadLe<uint32_t>(s, kSectorSequenceHigh)} << 32 |
                                         LoadLe<uint32_t>(s, kSectorSequenceLow);
        if (std::memcmp(s.data(), kSectorSignature, 4) != 0 || sector_sequence != sequence)
          return std::nullopt;
        ++data_sector;
      } else {
        return std::nullopt;
      }
    }
    return e;
  }

 private:
  std::vector<uint8_t> log_;
  VhdxGuid guid_;
  uint64_t spent_ = 0;
};

// The active sequence: the chain of consecutive valid entries whose last
// sequence number is highest (empty if the log holds none).
Result<std::vector<Entry>> FindSequence(LogSearch& search) {
  std::vector<Entry> best;
  const uint64_t n = search.sectors();
  for (uint64_t at = 0; at < n;) {
    std::optional<Entry> first = search.At(at, 0);
    if (search.over_budget())
      return Error(ErrorCode::kMalformed, "VHDX log: too costly to search (crafted log?)");
    if (!first) {
      ++at;
      continue;
    }
    std::vector<Entry> chain;
    uint64_t used = first->sectors;
    chain.push_back(std::move(*first));
    while (used < n) {
      std::optional<Entry> next = search.At((at + used) % n, chain.back().sequence + 1);
      if (search.over_budget())
        return Error(ErrorCode::kMalformed, "VHDX log: too costly to search (crafted log?)");
      if (!next || next->sectors > n - used) break;
      used += next->sectors;
      chain.push_back(std::move(*next));
    }
    if (best.empty() || chain.back().sequence > best.back().sequence) best = std::move(chain);
    if (at + used >= n) break;  // the chain wrapped around: everything has been seen
    at += used;
  }
  return best;
}

// Writes zeros over [offset, offset + length) of the file as it is (the
// part past its end is left to the file's growth).
int WriteZeros(const DiskFile& file, uint64_t offset, uint64_t length, uint64_t file_size) {
  if (offset >= file_size) return 0;
  length = std::min(length, file_size - offset);
  const std::vector<uint8_t> zeros(std::min<uint64_t>(length, kVhdxMiB), 0);
  for (uint64_t done = 0; done < length;) {
    const uint64_t n = std::min<uint64_t>(length - done, zeros.size());
    if (int rc = PwriteFull(file, offset + done, std::span(zeros.data(), n)); rc != 0) return rc;
    done += n;
  }
  return 0;
}

Result<void> Grow(const DiskFile& file, uint64_t to, uint64_t& file_size) {
  if (to <= file_size) return Ok();
  if (ftruncate(file.fd(), static_cast<off_t>(to)) != 0)
    return Error::FromErrno("VHDX log replay: growing the file");
  file_size = to;
  return Ok();
}

Result<void> ReplayEntry(const DiskFile& file, const VhdxHeader& header, const Entry& e,
                         uint64_t& file_size) {
  const std::span<const uint8_t> all(e.bytes);
  const uint64_t flushed = LoadLe<uint64_t>(all, kEntryFlushedFileOffset);
  const uint64_t last = LoadLe<uint64_t>(all, kEntryLastFileOffset);
  // §2.3.1.1 / QEMU: a FlushedFileOffset past the end means a truncated file.
  if (flushed > file_size)
    return Error(ErrorCode::kMalformed,
                 "VHDX log: the file is shorter than the log's FlushedFileOffset "
                 "(truncated image?)");
  if (last > kVhdxMaxFileSize)
    return Error(ErrorCode::kMalformed, "VHDX log: LastFileOffset is absurdly large");
  const uint64_t limit = std::max(file_size, last);
  const uint32_t count = LoadLe<uint32_t>(all, kEntryDescriptorCount);
  uint64_t data_sector = (uint64_t{count} + 2 + 127) / 128;
  std::vector<uint8_t> sector(kVhdxLogSectorSize);
  for (uint32_t i = 0; i < count; ++i) {
    const auto d = all.subspan(kEntryHeaderSize + i * kDescriptorSize, kDescriptorSize);
    const uint64_t offset = LoadLe<uint64_t>(d, kDescFileOffset);
    const bool data = std::memcmp(d.data(), kDataSignature, 4) == 0;
    const uint64_t length = data ? kVhdxLogSectorSize : LoadLe<uint64_t>(d, kDescLeadingBytes);
    // The log may not write the file identifier and headers (they are never
    // logged, §2.3) nor itself, nor past the entry's LastFileOffset.
    if (offset < kVhdxRegionTableOffsets[0] || offset > limit || length > limit - offset ||
        RangesOverlap(offset, length, header.log_offset, header.log_length))
      return Error(ErrorCode::kMalformed,
                   "VHDX log: a descriptor writes outside the metadata (offset " +
                       std::to_string(offset) + ")");
    if (data) {
      const auto s = all.subspan(data_sector++ * kVhdxLogSectorSize, kVhdxLogSectorSize);
      std::memcpy(sector.data(), d.data() + kDescLeadingBytes, 8);
      std::memcpy(sector.data() + 8, s.data() + kSectorData, kSectorDataSize);
      std::memcpy(sector.data() + 8 + kSectorDataSize, d.data() + kDescTrailingBytes, 4);
      if (int rc = PwriteFull(file, offset, sector); rc != 0)
        return Error(ErrorCode::kSystem, "VHDX log replay: writing", -rc);
      file_size = std::max(file_size, offset + kVhdxLogSectorSize);
    } else {
      if (int rc = WriteZeros(file, offset, length, file_size); rc != 0)
        return Error(ErrorCode::kSystem, "VHDX log replay: writing zeros", -rc);
      PETREL_TRY(Grow(file, offset + length, file_size));
    }
  }
  // QEMU: grow the file to LastFileOffset, rounded up to 1 MiB.
  if (last > file_size)
    PETREL_TRY(Grow(file, (last + kVhdxMiB - 1) / kVhdxMiB * kVhdxMiB, file_size));
  return Ok();
}

}  // namespace

int VhdxLogWriter::Append(const DiskFile& file, const VhdxGuid& guid, uint64_t file_offset,
                          std::span<const uint8_t> sector, uint64_t file_size) {
  constexpr uint64_t kEntryLength = 2 * kVhdxLogSectorSize;
  if (!usable() || sector.size() != kVhdxLogSectorSize || file_offset % kVhdxLogSectorSize != 0)
    return -EINVAL;
  if (position_ + kEntryLength > log_length_) {
    // Wrapping: what the entries about to be overwritten describe must be
    // durable in place first.
    if (fdatasync(file.fd()) != 0) return -errno;
    position_ = 0;
  }
  std::vector<uint8_t> e(kEntryLength, 0);
  const std::span<uint8_t> entry(e);
  // §2.3.1.1 entry header; Tail names the entry itself: each entry is
  // complete on its own (replaying older ones again is harmless).
  std::memcpy(e.data(), kEntrySignature, 4);
  StoreLe<uint32_t>(entry, kEntryLengthField, static_cast<uint32_t>(kEntryLength));
  StoreLe<uint32_t>(entry, kEntryTail, static_cast<uint32_t>(position_));
  StoreLe<uint64_t>(entry, kEntrySequence, sequence_);
  StoreLe<uint32_t>(entry, kEntryDescriptorCount, 1);
  std::memcpy(e.data() + kEntryLogGuid, guid.bytes.data(), 16);
  StoreLe<uint64_t>(entry, kEntryFlushedFileOffset, file_size);
  StoreLe<uint64_t>(entry, kEntryLastFileOffset, file_size);
  // §2.3.1.3 data descriptor: the sector's first 8 and last 4 bytes.
  const auto d = entry.subspan(kEntryHeaderSize, kDescriptorSize);
  std::memcpy(d.data(), kDataSignature, 4);
  std::memcpy(d.data() + kDescTrailingBytes, sector.data() + 8 + kSectorDataSize, 4);
  std::memcpy(d.data() + kDescLeadingBytes, sector.data(), 8);
  StoreLe<uint64_t>(d, kDescFileOffset, file_offset);
  StoreLe<uint64_t>(d, kDescSequence, sequence_);
  // §2.3.1.4 data sector: the middle 4084 bytes between the sequence halves.
  const auto s = entry.subspan(kVhdxLogSectorSize, kVhdxLogSectorSize);
  std::memcpy(s.data(), kSectorSignature, 4);
  StoreLe<uint32_t>(s, kSectorSequenceHigh, static_cast<uint32_t>(sequence_ >> 32));
  std::memcpy(s.data() + kSectorData, sector.data() + 8, kSectorDataSize);
  StoreLe<uint32_t>(s, kSectorSequenceLow, static_cast<uint32_t>(sequence_));
  StoreLe<uint32_t>(entry, kEntryChecksum, Crc32c(entry));  // checksum field still 0
  if (int rc = PwriteFull(file, log_offset_ + position_, entry); rc != 0) return rc;
  if (fdatasync(file.fd()) != 0) return -errno;
  position_ += kEntryLength;
  ++sequence_;
  return 0;
}

Result<void> CheckVhdxLogRegion(const VhdxHeader& header, uint64_t file_size) {
  if (header.log_version != 0)
    return Error(ErrorCode::kUnsupported,
                 "VHDX log version " + std::to_string(header.log_version) + " (only 0 is known)");
  if (header.log_length == 0) return Ok();
  if (header.log_offset % kVhdxMiB != 0 || header.log_length % kVhdxMiB != 0 ||
      header.log_offset < kVhdxHeaderSectionSize || header.log_offset > file_size ||
      header.log_length > file_size - header.log_offset)
    return Error(ErrorCode::kMalformed, "VHDX log region (offset " +
                                            std::to_string(header.log_offset) + ", length " +
                                            std::to_string(header.log_length) +
                                            ") is not 1 MiB aligned or not within the file");
  return Ok();
}

Result<bool> ReplayVhdxLog(const DiskFile& file, const VhdxHeader& header, uint64_t& file_size) {
  if (header.log_guid.zero() || header.log_length == 0) return false;
  if (header.log_length > kVhdxMaxLogLength)
    return Error(ErrorCode::kUnsupported,
                 "VHDX log larger than " + std::to_string(kVhdxMaxLogLength >> 20) + " MiB");
  std::vector<uint8_t> log(header.log_length);
  if (PreadFull(file, header.log_offset, log) != 0)
    return Error(ErrorCode::kSystem, "reading the VHDX log");
  LogSearch search(std::move(log), header.log_guid);
  PETREL_ASSIGN_OR_RETURN(std::vector<Entry> sequence, FindSequence(search));
  if (sequence.empty()) return false;
  if (file.readonly())
    return Error(ErrorCode::kFailedPrecondition,
                 "the VHDX image holds a log that must be replayed, and it is opened read-only; "
                 "open it read-write once (or run 'qemu-img check -r all' on it)");
  for (const Entry& e : sequence) PETREL_TRY(ReplayEntry(file, header, e, file_size));
  if (fdatasync(file.fd()) != 0) return Error::FromErrno("VHDX log replay: fdatasync");
  return true;
}

}  // namespace petrel
