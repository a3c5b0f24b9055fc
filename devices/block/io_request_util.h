// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Helpers the I/O engines share: request checks, iovec arithmetic and the
// O_DIRECT bounce plan. Internal to devices/block.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "devices/block/io_engine.h"

namespace petrel {

class DiskFile;

// Sum of iov_len, or -1 if it overflows int64 (preadv's own limit is SSIZE_MAX).
int64_t TotalIovLength(std::span<const iovec> iov);

// 0 if `request` may go to the file, else the -errno to complete it with:
// -EROFS for a modifying request on a read-only disk; -EINVAL for too many
// iovecs, a total length that overflows, or offset + length past INT64_MAX.
int CheckRequest(const DiskFile& disk, const IoRequest& request);

// Drops `bytes` from the front of `iov` (which must hold at least that many):
// whole entries are erased, a partial one is advanced.
void AdvanceIovecs(std::vector<iovec>& iov, size_t bytes);

// Copies between a flat buffer and the iovecs, up to `size` bytes; returns
// the bytes copied.
size_t CopyToIovecs(std::span<const iovec> iov, const uint8_t* src, size_t size);
size_t CopyFromIovecs(std::span<const iovec> iov, uint8_t* dst, size_t size);

// A memory block aligned for O_DIRECT (posix_memalign), zero-initialised.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // Empty (data() == nullptr) if the allocation fails.
  AlignedBuffer(size_t size, size_t alignment);
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// How one read or write reaches an O_DIRECT file through a bounce buffer: the
// aligned byte range [aligned_offset, aligned_offset + aligned_length) that
// encloses the request, and where the request starts inside it (`head`).
// read_modify_write: a write whose ends are not block aligned, so the
// enclosing blocks must be read first.
struct BouncePlan {
  uint64_t aligned_offset = 0;
  uint64_t aligned_length = 0;
  uint64_t head = 0;
  uint64_t length = 0;  // the request's own byte count
  bool read_modify_write = false;
};

// True if a read/write of `iov` at `offset` breaks `alignment` (offset, any
// iov_base or any iov_len not a multiple). Alignment 1 never needs bouncing.
bool NeedsBounce(uint64_t offset, std::span<const iovec> iov, uint32_t alignment);
BouncePlan MakeBouncePlan(IoRequest::Op op, uint64_t offset, uint64_t length, uint32_t alignment);

}  // namespace petrel
