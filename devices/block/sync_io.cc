// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Synchronous request execution with preadv/pwritev, fdatasync and fallocate
// (see sync_io.h).
#include "devices/block/sync_io.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "devices/block/disk_file.h"
#include "devices/block/io_request_util.h"

namespace petrel {
namespace {

// The chunk WriteZeroesByWriting writes at a time.
constexpr size_t kZeroChunkBytes = 1 << 20;

// preadv/pwritev until `iov` is done, end of file (reads) or an error.
int64_t FullTransfer(int fd, bool write, std::vector<iovec> iov, uint64_t offset) {
  int64_t total = 0;
  AdvanceIovecs(iov, 0);  // drops leading empty entries
  while (!iov.empty()) {
    int count = static_cast<int>(std::min(iov.size(), kMaxIovecsPerRequest));
    off_t at = static_cast<off_t>(offset + static_cast<uint64_t>(total));
    ssize_t n = write ? pwritev(fd, iov.data(), count, at) : preadv(fd, iov.data(), count, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) {
      if (write) return -EIO;  // no progress and no error: do not spin
      break;                   // end of file
    }
    total += n;
    AdvanceIovecs(iov, static_cast<size_t>(n));
  }
  return total;
}

int64_t FullTransferFlat(int fd, bool write, uint8_t* data, uint64_t length, uint64_t offset) {
  return FullTransfer(fd, write, {iovec{data, static_cast<size_t>(length)}}, offset);
}

// An O_DIRECT read or write whose offset, lengths or addresses are not aligned.
int64_t BouncedReadWrite(DiskFile& disk, const IoRequest& request, uint64_t length) {
  if (length > kMaxBounceBytes) return -EINVAL;
  uint32_t align = disk.required_alignment();
  BouncePlan plan = MakeBouncePlan(request.op, request.offset, length, align);
  AlignedBuffer buffer(plan.aligned_length, align);
  if (buffer.data() == nullptr) return -ENOMEM;
  int fd = disk.fd();
  if (request.op == IoRequest::Op::kRead) {
    int64_t got =
        FullTransferFlat(fd, false, buffer.data(), plan.aligned_length, plan.aligned_offset);
    if (got < 0) return got;
    uint64_t avail = static_cast<uint64_t>(got) > plan.head
                         ? std::min(length, static_cast<uint64_t>(got) - plan.head)
                         : 0;
    CopyToIovecs(request.iov, buffer.data() + plan.head, avail);
    return static_cast<int64_t>(avail);
  }
  if (plan.read_modify_write) {
    // Past end of file the buffer keeps its zeroes.
    int64_t got =
        FullTransferFlat(fd, false, buffer.data(), plan.aligned_length, plan.aligned_offset);
    if (got < 0) return got;
  }
  CopyFromIovecs(request.iov, buffer.data() + plan.head, length);
  int64_t put = FullTransferFlat(fd, true, buffer.data(), plan.aligned_length, plan.aligned_offset);
  if (put < 0) return put;
  return static_cast<int64_t>(length);
}

int64_t ReadWrite(DiskFile& disk, const IoRequest& request) {
  uint64_t length = static_cast<uint64_t>(TotalIovLength(request.iov));
  if (length == 0) return 0;
  if (NeedsBounce(request.offset, request.iov, disk.required_alignment()))
    return BouncedReadWrite(disk, request, length);
  return FullTransfer(disk.fd(), request.op == IoRequest::Op::kWrite, request.iov, request.offset);
}

int Fallocate(DiskFile& disk, int mode, uint64_t offset, uint64_t length) {
  while (fallocate(disk.fd(), mode, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
    if (errno != EINTR) return -errno;
  }
  return 0;
}

int64_t Discard(DiskFile& disk, const IoRequest& request) {
  if (disk.discard_support() == FallocateSupport::kUnsupported) return -EOPNOTSUPP;
  if (request.length == 0) return 0;
  int rc =
      Fallocate(disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, request.offset, request.length);
  if (rc == 0 || rc == -EOPNOTSUPP) disk.RecordDiscard(rc == 0);
  return rc;
}

int64_t WriteZeroes(DiskFile& disk, const IoRequest& request) {
  if (request.length == 0) return 0;
  if (disk.zero_range_support() != FallocateSupport::kUnsupported) {
    int rc =
        Fallocate(disk, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, request.offset, request.length);
    if (rc == 0 || rc == -EOPNOTSUPP) disk.RecordZeroRange(rc == 0);
    // EINVAL: e.g. a block device and an unaligned range; writing works.
    if (rc != -EOPNOTSUPP && rc != -EINVAL) return rc;
  }
  return WriteZeroesByWriting(disk, request.offset, request.length);
}

}  // namespace

int64_t WriteZeroesByWriting(DiskFile& disk, uint64_t offset, uint64_t length) {
  if (disk.readonly()) return -EROFS;
  size_t chunk = static_cast<size_t>(std::min<uint64_t>(length, kZeroChunkBytes));
  uint32_t align = std::max<uint32_t>(disk.logical_block_size(), 4096);
  // Round the buffer up so an O_DIRECT chunk stays aligned in length.
  AlignedBuffer zeroes((chunk + align - 1) / align * align, align);
  if (zeroes.data() == nullptr) return -ENOMEM;
  uint64_t done = 0;
  while (done < length) {
    uint64_t n = std::min<uint64_t>(length - done, chunk);
    IoRequest write;
    write.op = IoRequest::Op::kWrite;
    write.offset = offset + done;
    write.iov = {iovec{zeroes.data(), static_cast<size_t>(n)}};
    int64_t rc = ReadWrite(disk, write);
    if (rc < 0) return rc;
    done += n;
  }
  return 0;
}

int64_t ExecuteSync(DiskFile& disk, const IoRequest& request) {
  if (int rc = CheckRequest(disk, request); rc != 0) return rc;
  switch (request.op) {
    case IoRequest::Op::kRead:
    case IoRequest::Op::kWrite: return ReadWrite(disk, request);
    case IoRequest::Op::kFlush: return fdatasync(disk.fd()) == 0 ? 0 : -errno;
    case IoRequest::Op::kDiscard: return Discard(disk, request);
    case IoRequest::Op::kWriteZeroes: return WriteZeroes(disk, request);
  }
  return -EINVAL;
}

}  // namespace petrel
