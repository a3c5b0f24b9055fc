// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Guest memory to and from a sparse file (see memory_file.h).
#include "vmm/snapshot/memory_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/base/hex.h"
#include "core/base/unique_fd.h"
#include "vmm/snapshot/json_fields.h"

namespace petrel::vmm::snapshot {

using nlohmann::json;

template <>
struct JsonCodec<MemoryRange> {
  static Result<void> Decode(const json& j, const std::string& path, MemoryRange& r) {
    PETREL_ASSIGN_OR_RETURN(auto f, ObjectFields::Open(j, path));
    PETREL_TRY(f.Read("gpa", r.gpa));
    PETREL_TRY(f.Read("size", r.size));
    PETREL_TRY(f.Read("file_offset", r.file_offset));
    return f.Finish();
  }
};

namespace {

// Runs of non-zero pages are written this many bytes at a time at most.
constexpr uint64_t kMaxWriteRun = 1ULL << 20;

bool IsZeroPage(const uint8_t* page) {
  static const std::array<uint8_t, kMemoryFilePageSize> kZero{};
  return std::memcmp(page, kZero.data(), kMemoryFilePageSize) == 0;
}

bool Aligned(uint64_t value) {
  return value % kMemoryFilePageSize == 0;
}

// All of [data, data + size) at `offset`, across short writes and EINTR.
Result<void> WriteAll(int fd, const uint8_t* data, uint64_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("write at offset " + std::to_string(offset));
    }
    data += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Ok();
}

// One region's non-zero pages at `file_offset`; returns the bytes written.
Result<uint64_t> WriteRegion(int fd, const GuestRegion& region, uint64_t file_offset) {
  const uint8_t* data = region.host->data();
  uint64_t written = 0;
  uint64_t page = 0;
  while (page < region.size) {
    if (IsZeroPage(data + page)) {
      page += kMemoryFilePageSize;
      continue;
    }
    uint64_t end = page + kMemoryFilePageSize;
    while (end < region.size && end - page < kMaxWriteRun && !IsZeroPage(data + end)) {
      end += kMemoryFilePageSize;
    }
    PETREL_TRY(WriteAll(fd, data + page, end - page, file_offset + page));
    written += end - page;
    page = end;
  }
  return written;
}

Result<void> CheckRange(const MemoryRange& r, size_t i) {
  const std::string what = "memory range " + std::to_string(i) + " (gpa " + Hex(r.gpa) + ", size " +
                           Hex(r.size) + ", file offset " + Hex(r.file_offset) + ")";
  if (r.size == 0) return Error(ErrorCode::kInvalidArgument, what + ": empty");
  if (!Aligned(r.gpa) || !Aligned(r.size) || !Aligned(r.file_offset)) {
    return Error(ErrorCode::kInvalidArgument, what + ": not 4 KiB aligned");
  }
  if (r.gpa + r.size < r.gpa || r.file_offset + r.size < r.file_offset) {
    return Error(ErrorCode::kInvalidArgument, what + ": wraps past 2^64");
  }
  return Ok();
}

// No two ranges share a byte of [start(r), start(r) + size).
template <class Start>
Result<void> CheckDisjoint(std::vector<MemoryRange> ranges, Start start, const char* space) {
  std::sort(ranges.begin(), ranges.end(),
            [&](const MemoryRange& a, const MemoryRange& b) { return start(a) < start(b); });
  for (size_t i = 1; i < ranges.size(); ++i) {
    const MemoryRange& a = ranges[i - 1];
    if (start(a) + a.size > start(ranges[i])) {
      return Error(ErrorCode::kInvalidArgument, std::string("memory ranges overlap in ") + space +
                                                    " at " + Hex(start(ranges[i])));
    }
  }
  return Ok();
}

// The file size the ranges need; checks each range and that none overlap.
Result<uint64_t> CheckRanges(const std::vector<MemoryRange>& ranges) {
  uint64_t needed = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    PETREL_TRY(CheckRange(ranges[i], i));
    needed = std::max(needed, ranges[i].file_offset + ranges[i].size);
  }
  PETREL_TRY(CheckDisjoint(
      ranges, [](const MemoryRange& r) { return r.gpa; }, "guest memory"));
  PETREL_TRY(CheckDisjoint(
      ranges, [](const MemoryRange& r) { return r.file_offset; }, "the file"));
  return needed;
}

}  // namespace

json ToJson(const MemoryRange& range) {
  return json{{"gpa", range.gpa}, {"size", range.size}, {"file_offset", range.file_offset}};
}

Result<MemoryRange> MemoryRangeFromJson(const json& j, const std::string& path) {
  MemoryRange range;
  PETREL_TRY(JsonCodec<MemoryRange>::Decode(j, path, range));
  return range;
}

json ToJson(const std::vector<MemoryRange>& ranges) {
  json out = json::array();
  for (const auto& r : ranges) out.push_back(ToJson(r));
  return out;
}

Result<std::vector<MemoryRange>> MemoryRangesFromJson(const json& j, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(const json* array, DecodeArray(j, path, kMaxMemoryRanges));
  std::vector<MemoryRange> ranges(array->size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    PETREL_TRY(JsonCodec<MemoryRange>::Decode((*array)[i], IndexPath(path, i), ranges[i]));
  }
  return ranges;
}

Result<std::vector<MemoryRange>> WriteMemoryFile(const GuestMemory& memory, const std::string& path,
                                                 uint64_t* written) {
  std::vector<MemoryRange> ranges;
  uint64_t offset = 0;
  for (const GuestRegion& region : memory.regions()) {
    MemoryRange range{region.gpa, region.size, offset};
    PETREL_TRY(CheckRange(range, ranges.size()));
    ranges.push_back(range);
    offset += region.size;
  }
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error::FromErrno("creating memory file " + path);
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto n = WriteRegion(fd.get(), memory.regions()[i], ranges[i].file_offset);
    if (!n.ok()) return std::move(n).error().Wrap("writing memory file " + path);
    total += *n;
  }
  // Trailing zero pages were skipped: the size still covers them.
  if (ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
    return Error::FromErrno("setting the size of memory file " + path);
  }
  if (fsync(fd.get()) != 0) return Error::FromErrno("fsync of memory file " + path);
  if (close(fd.release()) != 0) return Error::FromErrno("closing memory file " + path);
  if (written != nullptr) *written = total;
  return ranges;
}

namespace {

// The memory file, opened for reading once the ranges are checked and the
// file is a regular file long enough for them.
Result<UniqueFd> OpenMemoryFile(const std::string& path, const std::vector<MemoryRange>& ranges) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t needed, CheckRanges(ranges));
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::FromErrno("opening memory file " + path);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::FromErrno("stat of memory file " + path);
  if (!S_ISREG(st.st_mode)) {
    return Error(ErrorCode::kInvalidArgument, "memory file " + path + " is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) < needed) {
    return Error(ErrorCode::kMalformed, "memory file " + path + " is " +
                                            std::to_string(st.st_size) +
                                            " bytes, its ranges need " + std::to_string(needed));
  }
  return fd;
}

// Reads [from, to) of `fd` into `dst`.
Result<void> ReadFully(int fd, const std::string& path, uint8_t* dst, uint64_t from, uint64_t to) {
  while (from < to) {
    const ssize_t n = ::pread(fd, dst, to - from, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("reading memory file " + path);
    if (n == 0) return Error(ErrorCode::kMalformed, "memory file " + path + " ended early");
    dst += n;
    from += static_cast<uint64_t>(n);
  }
  return Ok();
}

}  // namespace

Result<std::shared_ptr<GuestMemory>> MapMemoryFile(const std::string& path,
                                                   const std::vector<MemoryRange>& ranges,
                                                   bool prefault) {
  PETREL_ASSIGN_OR_RETURN(UniqueFd fd, OpenMemoryFile(path, ranges));
  std::vector<GuestRegion> regions;
  for (const MemoryRange& r : ranges) {
    auto host = HostRegion::MapFile(fd.get(), r.file_offset, r.size, prefault);
    if (!host.ok()) return std::move(host).error().Wrap("mapping memory file " + path);
    regions.push_back({r.gpa, r.size, std::move(host).value()});
  }
  return GuestMemory::Create(std::move(regions));
}

Result<std::shared_ptr<GuestMemory>> ReadMemoryFile(const std::string& path,
                                                    const std::vector<MemoryRange>& ranges,
                                                    bool prefault, RamBacking backing) {
  PETREL_ASSIGN_OR_RETURN(UniqueFd fd, OpenMemoryFile(path, ranges));
  std::vector<GuestRegion> regions;
  for (const MemoryRange& r : ranges) {
    PETREL_ASSIGN_OR_RETURN(auto host, HostRegion::Create(backing, r.size));
    regions.push_back({r.gpa, r.size, std::move(host)});
  }
  PETREL_ASSIGN_OR_RETURN(auto memory, GuestMemory::Create(std::move(regions)));
  for (const MemoryRange& r : ranges) {
    uint8_t* dst = memory->HostPointer(r.gpa, r.size);
    const uint64_t end = r.file_offset + r.size;
    uint64_t pos = r.file_offset;
    while (pos < end) {
      uint64_t data = pos, stop = end;
      if (!prefault) {
        // Only the data extents: holes are zero pages, as new memory is.
        const off_t d = ::lseek(fd.get(), static_cast<off_t>(pos), SEEK_DATA);
        if (d < 0 && errno == ENXIO) break;  // only holes from here to the end of the file
        if (d < 0) return Error::FromErrno("seeking in memory file " + path);
        data = static_cast<uint64_t>(d);
        if (data >= end) break;
        const off_t h = ::lseek(fd.get(), d, SEEK_HOLE);
        if (h < 0) return Error::FromErrno("seeking in memory file " + path);
        stop = std::min<uint64_t>(static_cast<uint64_t>(h), end);
      }
      PETREL_TRY(ReadFully(fd.get(), path, dst + (data - r.file_offset), data, stop));
      pos = stop;
    }
  }
  return memory;
}

}  // namespace petrel::vmm::snapshot
