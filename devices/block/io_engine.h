// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoEngine: the interface between the virtio-blk device and host disk I/O.
//
// The device translates a guest request into an IoRequest (host iovecs that
// point into mapped guest memory, a byte offset, a user_data tag), Submit()s
// it, and later Reap()s IoCompletions from the event-loop thread when
// completion_notifier() fires. Engines never see guest memory or virtio and
// own no thread: an engine does its work inside Submit() and Reap().
//
// Contract:
//  - The buffers an IoRequest's iovecs point to must stay valid until its
//    completion is reaped. The iovec array itself is copied by Submit().
//  - Submit() takes all the requests or none. kBusy: the queue is full, retry
//    after reaping. Per-request failures are completions with result -errno,
//    never Submit() errors.
//  - Read-only disks complete kWrite/kDiscard/kWriteZeroes with -EROFS
//    without touching the file.
//  - The engine checks only what keeps the host safe (no offset overflow,
//    at most kMaxIovecsPerRequest iovecs); the device checks sector ranges
//    against the disk size.
//  - With O_DIRECT, misaligned requests go through an aligned bounce buffer,
//    so any request works; aligned ones go to the file directly.
//  - Single-threaded: call everything from the thread that runs the loop.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/event/notifier.h"
#include "core/isolation/syscall_rules.h"

namespace petrel {

class DiskFile;

// IOV_MAX on Linux, and the limit of preadv/pwritev: more is -EINVAL.
inline constexpr size_t kMaxIovecsPerRequest = 1024;
// Largest request that may need an O_DIRECT bounce buffer (guest-controlled
// size); a larger misaligned request completes with -EINVAL. virtio-blk
// limits (seg_max * size_max) keep real requests far below this.
inline constexpr uint64_t kMaxBounceBytes = 64ull << 20;

struct IoRequest {
  enum class Op { kRead, kWrite, kFlush, kDiscard, kWriteZeroes };
  Op op = Op::kRead;
  uint64_t offset = 0;     // bytes from the start of the disk (not for kFlush)
  std::vector<iovec> iov;  // kRead / kWrite buffers
  uint64_t length = 0;     // kDiscard / kWriteZeroes byte count
  uint64_t user_data = 0;  // returned unchanged in the completion
};

struct IoCompletion {
  uint64_t user_data = 0;
  // kRead/kWrite: bytes transferred (a read past end of file returns fewer;
  // writes are all or an error); kFlush/kDiscard/kWriteZeroes: 0. Or -errno
  // (-EROFS, -ENOSPC, -EIO, -EOPNOTSUPP for an unsupported discard, -EINVAL).
  int64_t result = 0;
};

class IoEngine {
 public:
  virtual ~IoEngine() = default;
  // Queues `requests` (all or none); see the contract above.
  virtual Result<void> Submit(std::span<const IoRequest> requests) = 0;
  // Completions ready now, in no particular order; never blocks.
  virtual std::vector<IoCompletion> Reap() = 0;
  // Signalled whenever completions become ready; watch it with
  // EventLoop::WatchNotifier and Reap() in the handler.
  virtual std::shared_ptr<Notifier> completion_notifier() = 0;
  // Requests submitted and not yet reaped, and the most that may be.
  virtual size_t in_flight() const = 0;
  virtual size_t queue_depth() const = 0;
  virtual const char* name() const = 0;
};

enum class IoEngineKind { kAuto, kSync, kUring };

// "auto", "sync", "io_uring" (also "uring"); else kInvalidArgument.
// What executing requests asks of the kernel on a queue's worker thread, for
// either engine (the io_uring one falls back to the synchronous calls for
// what the ring cannot do): reads and writes, flushes, discard and write
// zeroes (fallocate), and io_uring_enter.
const isolation::SyscallRules& BlockIoSyscalls();

Result<IoEngineKind> ParseIoEngineKind(std::string_view text);
const char* IoEngineKindName(IoEngineKind kind);

inline constexpr uint32_t kDefaultQueueDepth = 128;
// Largest queue depth an engine accepts.
inline constexpr uint32_t kMaxQueueDepth = 4096;

// Makes the engine for `disk`, which must outlive it. kAuto tries io_uring and
// falls back to the synchronous engine, logging why; kUring fails instead.
Result<std::unique_ptr<IoEngine>> MakeIoEngine(IoEngineKind kind, DiskFile& disk,
                                               uint32_t queue_depth = kDefaultQueueDepth);

}  // namespace petrel
