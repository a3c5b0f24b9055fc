// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Shared request checks, iovec helpers and bounce planning (see io_request_util.h).
#include "devices/block/io_request_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "devices/block/disk_file.h"

namespace petrel {

int64_t TotalIovLength(std::span<const iovec> iov) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  for (const iovec& v : iov) {
    if (v.iov_len > kMax - total) return -1;
    total += v.iov_len;
  }
  return static_cast<int64_t>(total);
}

int CheckRequest(const DiskFile& disk, const IoRequest& request) {
  using Op = IoRequest::Op;
  constexpr uint64_t kMaxOffset = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t length = 0;
  switch (request.op) {
    case Op::kFlush: return 0;
    case Op::kWrite:
    case Op::kRead: {
      if (request.op == Op::kWrite && disk.readonly()) return -EROFS;
      if (request.iov.size() > kMaxIovecsPerRequest) return -EINVAL;
      int64_t total = TotalIovLength(request.iov);
      if (total < 0) return -EINVAL;
      length = static_cast<uint64_t>(total);
      break;
    }
    case Op::kDiscard:
    case Op::kWriteZeroes:
      if (disk.readonly()) return -EROFS;
      length = request.length;
      break;
    default: return -EINVAL;
  }
  if (request.offset > kMaxOffset || length > kMaxOffset - request.offset) return -EINVAL;
  return 0;
}

void AdvanceIovecs(std::vector<iovec>& iov, size_t bytes) {
  size_t drop = 0;
  while (drop < iov.size() && bytes >= iov[drop].iov_len) {
    bytes -= iov[drop].iov_len;
    ++drop;
  }
  iov.erase(iov.begin(), iov.begin() + static_cast<std::ptrdiff_t>(drop));
  if (bytes > 0 && !iov.empty()) {
    iov[0].iov_base = static_cast<uint8_t*>(iov[0].iov_base) + bytes;
    iov[0].iov_len -= bytes;
  }
}

size_t CopyToIovecs(std::span<const iovec> iov, const uint8_t* src, size_t size) {
  size_t done = 0;
  for (const iovec& v : iov) {
    if (done == size) break;
    size_t n = std::min(v.iov_len, size - done);
    if (n > 0) std::memcpy(v.iov_base, src + done, n);
    done += n;
  }
  return done;
}

size_t CopyFromIovecs(std::span<const iovec> iov, uint8_t* dst, size_t size) {
  size_t done = 0;
  for (const iovec& v : iov) {
    if (done == size) break;
    size_t n = std::min(v.iov_len, size - done);
    if (n > 0) std::memcpy(dst + done, v.iov_base, n);
    done += n;
  }
  return done;
}

AlignedBuffer::AlignedBuffer(size_t size, size_t alignment) {
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  // A zero-byte request still gets a valid aligned pointer.
  if (posix_memalign(&p, alignment, size == 0 ? alignment : size) != 0) return;
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
  std::memset(data_, 0, size);
}

AlignedBuffer::~AlignedBuffer() {
  std::free(data_);
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

bool NeedsBounce(uint64_t offset, std::span<const iovec> iov, uint32_t alignment) {
  if (alignment <= 1) return false;
  uint64_t mask = alignment - 1;
  if ((offset & mask) != 0) return true;
  for (const iovec& v : iov) {
    if ((reinterpret_cast<uintptr_t>(v.iov_base) & mask) != 0 || (v.iov_len & mask) != 0)
      return true;
  }
  return false;
}

BouncePlan MakeBouncePlan(IoRequest::Op op, uint64_t offset, uint64_t length, uint32_t alignment) {
  // The caller has checked offset + length <= INT64_MAX, so rounding up
  // cannot overflow.
  uint64_t mask = alignment - 1;
  BouncePlan plan;
  plan.length = length;
  plan.aligned_offset = offset & ~mask;
  uint64_t end = (offset + length + mask) & ~mask;
  plan.aligned_length = end - plan.aligned_offset;
  plan.head = offset - plan.aligned_offset;
  plan.read_modify_write =
      op == IoRequest::Op::kWrite && (plan.head != 0 || ((offset + length) & mask) != 0);
  return plan;
}

}  // namespace petrel
