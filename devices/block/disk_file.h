// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskFile: the host file or block device behind a virtio-blk disk.
//
// Opens a raw image (regular file) or a host block device, read-write or
// read-only, optionally with O_DIRECT, and answers what the I/O engines and
// the virtio-blk device need to know about it: its size in bytes, the logical
// block size O_DIRECT transfers must be aligned to, and whether discard and
// write-zeroes can use fallocate(2) (learnt lazily: an EOPNOTSUPP from the
// file system is recorded here so later requests skip the system call).
//
// Character devices (/dev/zero, /dev/full) are accepted too, with size 0:
// tests use /dev/full to see ENOSPC. Directories, FIFOs and sockets are not.
//
// Not thread-safe: the engines use it from the event-loop thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/result.h"

namespace petrel {

struct DiskFileOptions {
  std::string path;
  bool readonly = false;  // open O_RDONLY; engines refuse writes with -EROFS
  bool direct = false;    // open O_DIRECT (bypass the host page cache)
};

// What is known about one fallocate(2) mode on this file.
enum class FallocateSupport { kUnknown, kSupported, kUnsupported };

class DiskFile {
 public:
  // Clear errors: kNotFound for a missing path; kInvalidArgument for a
  // directory or another unusable file type; kSystem (with errnum) for
  // permission problems; kUnsupported when direct=true and the file system
  // refuses O_DIRECT (EINVAL from open, e.g. old tmpfs).
  static Result<std::unique_ptr<DiskFile>> Open(const DiskFileOptions& options);
  ~DiskFile();
  DiskFile(const DiskFile&) = delete;
  DiskFile& operator=(const DiskFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool readonly() const { return readonly_; }
  bool direct() const { return direct_; }
  bool is_block_device() const { return is_block_device_; }
  // Bytes, from fstat (regular files) or BLKGETSIZE64 (block devices), at Open().
  uint64_t size() const { return size_; }
  // BLKSSZGET for block devices; for files, statx's DIO offset alignment when
  // direct and the kernel reports it; else 512. Always a power of two >= 512.
  uint32_t logical_block_size() const { return logical_block_size_; }
  // The alignment of offsets, lengths and buffer addresses every transfer
  // must have: logical_block_size() with direct, 1 without.
  uint32_t required_alignment() const { return direct_ ? logical_block_size_ : 1; }

  // Discard uses fallocate(PUNCH_HOLE | KEEP_SIZE); write-zeroes uses
  // fallocate(ZERO_RANGE) and falls back to writing zeroes. For regular files
  // Open() probes punch-hole harmlessly (a hole past the end of file); the
  // rest is learnt from the first request. Read-only files support neither.
  FallocateSupport discard_support() const { return discard_.load(std::memory_order_relaxed); }
  FallocateSupport zero_range_support() const {
    return zero_range_.load(std::memory_order_relaxed);
  }
  // True unless discard is known not to work (what virtio-blk advertises).
  bool discard_supported() const {
    return !readonly_ && discard_support() != FallocateSupport::kUnsupported;
  }
  // Called by the engines with the outcome of a fallocate request. Several
  // engines (one per virtio-blk queue, each on its own worker) share a disk:
  // what they learn is kept in atomics.
  void RecordDiscard(bool supported);
  void RecordZeroRange(bool supported);

 private:
  DiskFile() = default;
  int fd_ = -1;
  std::string path_;
  bool readonly_ = false;
  bool direct_ = false;
  bool is_block_device_ = false;
  uint64_t size_ = 0;
  uint32_t logical_block_size_ = 512;
  std::atomic<FallocateSupport> discard_{FallocateSupport::kUnknown};
  std::atomic<FallocateSupport> zero_range_{FallocateSupport::kUnknown};
};

}  // namespace petrel
