// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// UringEngine: the IoEngine on Linux io_uring (liburing).
//
// Reads and writes are IORING_OP_READV/WRITEV, flush is IORING_OP_FSYNC with
// IORING_FSYNC_DATASYNC, discard and write-zeroes are IORING_OP_FALLOCATE
// (PUNCH_HOLE / ZERO_RANGE, both KEEP_SIZE). The ring has an eventfd
// registered (io_uring_register_eventfd), which is completion_notifier(): the
// kernel signals it for every completion, so no thread waits on the ring.
//
// Done synchronously inside Submit()/Reap() instead, as SyncEngine would:
// fallocate when the kernel lacks IORING_OP_FALLOCATE (before 5.6), the
// write-zeroes fallback when the file system has no ZERO_RANGE, and O_DIRECT
// writes whose ends are not block aligned (read-modify-write). Short
// transfers are resubmitted for the rest, like SyncEngine's loop.
//
// Destroying the engine waits for the requests still in the kernel.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/event/notifier.h"
#include "devices/block/io_engine.h"
#include "devices/block/io_request_util.h"

namespace petrel {

class DiskFile;

struct UringEngineOptions {
  uint32_t queue_depth = kDefaultQueueDepth;  // 1..kMaxQueueDepth
  // Test knob: behave as on a kernel without IORING_OP_FALLOCATE.
  bool emulate_fallocate = false;
};

class UringEngine final : public IoEngine {
 public:
  // `disk` must outlive the engine. kUnsupported (with errnum) when io_uring
  // cannot be used here: ENOSYS (no io_uring in the kernel or blocked by
  // seccomp), EPERM (kernel.io_uring_disabled, container policy), ENOMEM
  // (RLIMIT_MEMLOCK on old kernels).
  static Result<std::unique_ptr<UringEngine>> Create(DiskFile& disk,
                                                     const UringEngineOptions& options = {});
  ~UringEngine() override;
  UringEngine(const UringEngine&) = delete;
  UringEngine& operator=(const UringEngine&) = delete;

  Result<void> Submit(std::span<const IoRequest> requests) override;
  std::vector<IoCompletion> Reap() override;
  std::shared_ptr<Notifier> completion_notifier() override { return notifier_; }
  size_t in_flight() const override { return used_slots_ + ready_.size(); }
  size_t queue_depth() const override { return slots_.size(); }
  const char* name() const override { return "io_uring"; }

  // True when discard/write-zeroes run synchronously (no IORING_OP_FALLOCATE).
  bool fallocate_emulated() const { return !has_fallocate_; }

 private:
  // One request in the kernel. `iov`/`offset` describe what is left to
  // transfer (advanced on short transfers); with a bounce buffer they point
  // into it and `user_iov` keeps the caller's iovecs for the copy-out.
  struct Slot {
    bool in_use = false;
    uint64_t user_data = 0;
    IoRequest::Op op = IoRequest::Op::kRead;
    uint64_t offset = 0;
    uint64_t length = 0;  // kDiscard / kWriteZeroes
    std::vector<iovec> iov;
    uint64_t want = 0;  // bytes the transfer needs in all
    uint64_t done = 0;  // bytes transferred so far
    bool bounced = false;
    BouncePlan plan;
    AlignedBuffer bounce;
    std::vector<iovec> user_iov;
  };

  UringEngine(DiskFile& disk, std::shared_ptr<EventFdNotifier> notifier, bool has_fallocate,
              uint32_t queue_depth);
  // Starts `request` in a free slot, or completes it at once into ready_.
  void Start(const IoRequest& request);
  // Fills an SQE for the slot's current state; false if the SQ is full.
  bool Queue(uint32_t index);
  void OnCqe(uint32_t index, int32_t res);
  void Finish(uint32_t index, int64_t result);
  void SubmitQueued();

  DiskFile& disk_;
  io_uring ring_{};
  std::shared_ptr<EventFdNotifier> notifier_;
  bool has_fallocate_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t used_slots_ = 0;
  std::vector<IoCompletion> ready_;
};

}  // namespace petrel
