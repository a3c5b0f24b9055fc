// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// UringEngine (see uring_engine.h).
#include "devices/block/uring_engine.h"

#include <linux/falloc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/base/log.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_io.h"

namespace petrel {

Result<std::unique_ptr<UringEngine>> UringEngine::Create(DiskFile& disk,
                                                         const UringEngineOptions& options) {
  uint32_t depth = options.queue_depth;
  if (depth == 0 || depth > kMaxQueueDepth)
    return Error(ErrorCode::kInvalidArgument, "io_uring engine: queue depth " +
                                                  std::to_string(depth) + " not in 1.." +
                                                  std::to_string(kMaxQueueDepth));
  PETREL_ASSIGN_OR_RETURN(auto notifier, EventFdNotifier::Create());
  std::unique_ptr<UringEngine> engine(new UringEngine(disk, std::move(notifier), false, depth));
  // liburing returns -errno.
  int rc = io_uring_queue_init(depth, &engine->ring_, 0);
  if (rc < 0) {
    engine->ring_.ring_fd = -1;  // nothing for the destructor to tear down
    return Error(ErrorCode::kUnsupported, std::string("io_uring_setup: ") + strerror(-rc), -rc);
  }
  rc = io_uring_register_eventfd(&engine->ring_, engine->notifier_->fd());
  if (rc < 0)
    return Error(ErrorCode::kUnsupported,
                 std::string("io_uring_register_eventfd: ") + strerror(-rc), -rc);
  // The probe opcode arrived with IORING_OP_FALLOCATE (5.6): no probe, no fallocate.
  if (io_uring_probe* probe = io_uring_get_probe_ring(&engine->ring_)) {
    bool ok = io_uring_opcode_supported(probe, IORING_OP_READV) &&
              io_uring_opcode_supported(probe, IORING_OP_WRITEV) &&
              io_uring_opcode_supported(probe, IORING_OP_FSYNC);
    engine->has_fallocate_ = io_uring_opcode_supported(probe, IORING_OP_FALLOCATE) != 0;
    io_uring_free_probe(probe);
    if (!ok) return Error(ErrorCode::kUnsupported, "io_uring lacks READV/WRITEV/FSYNC");
  }
  if (options.emulate_fallocate) engine->has_fallocate_ = false;
  return engine;
}

UringEngine::UringEngine(DiskFile& disk, std::shared_ptr<EventFdNotifier> notifier,
                         bool has_fallocate, uint32_t queue_depth)
    : disk_(disk),
      notifier_(std::move(notifier)),
      has_fallocate_(has_fallocate),
      slots_(queue_depth) {
  ring_.ring_fd = -1;
  free_slots_.reserve(queue_depth);
  for (uint32_t i = queue_depth; i > 0; --i) free_slots_.push_back(i - 1);
}

UringEngine::~UringEngine() {
  if (ring_.ring_fd < 0) return;
  // The kernel may still write into bounce buffers and caller memory: wait.
  while (used_slots_ > 0) {
    SubmitQueued();
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(&ring_, &cqe);
    if (rc == -EINTR) continue;
    if (rc < 0) {
      PETREL_LOG(kError) << "io_uring engine: waiting for " << used_slots_
                         << " requests at exit: " << strerror(-rc);
      break;
    }
    auto index = static_cast<uint32_t>(io_uring_cqe_get_data64(cqe));
    int32_t res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    OnCqe(index, res);
  }
  io_uring_queue_exit(&ring_);
}

Result<void> UringEngine::Submit(std::span<const IoRequest> requests) {
  if (requests.empty()) return Ok();
  if (requests.size() > slots_.size())
    return Error(ErrorCode::kInvalidArgument, "more requests than the queue depth");
  if (in_flight() + requests.size() > slots_.size())
    return Error(ErrorCode::kBusy, "io_uring engine: queue full");
  size_t ready_before = ready_.size();
  for (const IoRequest& request : requests) Start(request);
  SubmitQueued();
  if (ready_.size() > ready_before) notifier_->Signal();
  return Ok();
}

void UringEngine::Start(const IoRequest& request) {
  using Op = IoRequest::Op;
  auto complete_now = [&](int64_t result) { ready_.push_back({request.user_data, result}); };
  if (int rc = CheckRequest(disk_, request); rc != 0) return complete_now(rc);

  Slot slot;
  slot.user_data = request.user_data;
  slot.op = request.op;
  slot.offset = request.offset;
  switch (request.op) {
    case Op::kFlush: break;
    case Op::kDiscard:
      if (disk_.discard_support() == FallocateSupport::kUnsupported)
        return complete_now(-EOPNOTSUPP);
      if (!has_fallocate_ || request.length == 0) return complete_now(ExecuteSync(disk_, request));
      slot.length = request.length;
      break;
    case Op::kWriteZeroes:
      if (!has_fallocate_ || request.length == 0 ||
          disk_.zero_range_support() == FallocateSupport::kUnsupported)
        return complete_now(ExecuteSync(disk_, request));
      slot.length = request.length;
      break;
    case Op::kRead:
    case Op::kWrite: {
      auto length = static_cast<uint64_t>(TotalIovLength(request.iov));
      if (length == 0) return complete_now(0);
      slot.want = length;
      uint32_t align = disk_.required_alignment();
      if (!NeedsBounce(request.offset, request.iov, align)) {
        slot.iov = request.iov;
        break;
      }
      if (length > kMaxBounceBytes) return complete_now(-EINVAL);
      slot.plan = MakeBouncePlan(request.op, request.offset, length, align);
      // Two dependent steps (read, then write): done synchronously; rare
      // when the device advertises the logical block size to the guest.
      if (slot.plan.read_modify_write) return complete_now(ExecuteSync(disk_, request));
      slot.bounce = AlignedBuffer(slot.plan.aligned_length, align);
      if (slot.bounce.data() == nullptr) return complete_now(-ENOMEM);
      if (request.op == Op::kWrite)
        CopyFromIovecs(request.iov, slot.bounce.data() + slot.plan.head, length);
      slot.bounced = true;
      slot.user_iov = request.iov;
      slot.iov = {iovec{slot.bounce.data(), static_cast<size_t>(slot.plan.aligned_length)}};
      slot.offset = slot.plan.aligned_offset;
      slot.want = slot.plan.aligned_length;
      break;
    }
  }

  // Submit() checked capacity, so a slot is free.
  uint32_t index = free_slots_.back();
  free_slots_.pop_back();
  ++used_slots_;
  slot.in_use = true;
  slots_[index] = std::move(slot);
  if (!Queue(index)) {
    SubmitQueued();
    if (!Queue(index)) Finish(index, -EAGAIN);
  }
}

bool UringEngine::Queue(uint32_t index) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return false;
  Slot& slot = slots_[index];
  int fd = disk_.fd();
  switch (slot.op) {
    case IoRequest::Op::kRead:
      io_uring_prep_readv(sqe, fd, slot.iov.data(), static_cast<unsigned>(slot.iov.size()),
                          slot.offset);
      break;
    case IoRequest::Op::kWrite:
      io_uring_prep_writev(sqe, fd, slot.iov.data(), static_cast<unsigned>(slot.iov.size()),
                           slot.offset);
      break;
    case IoRequest::Op::kFlush: io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC); break;
    case IoRequest::Op::kDiscard:
      io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                              static_cast<off_t>(slot.offset), static_cast<off_t>(slot.length));
      break;
    case IoRequest::Op::kWriteZeroes:
      io_uring_prep_fallocate(sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                              static_cast<off_t>(slot.offset), static_cast<off_t>(slot.length));
      break;
  }
  io_uring_sqe_set_data64(sqe, index);
  return true;
}

void UringEngine::SubmitQueued() {
  if (io_uring_sq_ready(&ring_) == 0) return;
  int rc = io_uring_submit(&ring_);
  // -EAGAIN/-EBUSY: the kernel is short of resources or the CQ is full; the
  // SQEs stay queued and the next Reap() (or Submit()) retries.
  if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR) {
    PETREL_LOG_ONCE(kWarn, "io_uring_submit") << "io_uring_submit: " << strerror(-rc);
  }
}

std::vector<IoCompletion> UringEngine::Reap() {
  SubmitQueued();
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe != nullptr) {
    auto index = static_cast<uint32_t>(io_uring_cqe_get_data64(cqe));
    int32_t res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    OnCqe(index, res);
  }
  SubmitQueued();  // resubmitted short transfers
  return std::exchange(ready_, {});
}

void UringEngine::OnCqe(uint32_t index, int32_t res) {
  if (index >= slots_.size() || !slots_[index].in_use) {
    PETREL_LOG(kError) << "io_uring engine: completion for unknown slot " << index;
    return;
  }
  Slot& slot = slots_[index];
  auto retry = [&] {
    if (!Queue(index)) Finish(index, -EAGAIN);
  };
  switch (slot.op) {
    case IoRequest::Op::kRead:
    case IoRequest::Op::kWrite:
      if (res == -EINTR || res == -EAGAIN) return retry();
      if (res < 0) return Finish(index, res);
      if (res == 0) {
        // End of file for a read; a write that makes no progress is an error.
        return Finish(index,
                      slot.op == IoRequest::Op::kRead ? static_cast<int64_t>(slot.done) : -EIO);
      }
      slot.done += static_cast<uint64_t>(res);
      if (slot.done >= slot.want) return Finish(index, static_cast<int64_t>(slot.done));
      AdvanceIovecs(slot.iov, static_cast<size_t>(res));
      slot.offset += static_cast<uint64_t>(res);
      return retry();
    case IoRequest::Op::kFlush: return Finish(index, res);
    case IoRequest::Op::kDiscard:
      if (res == 0 || res == -EOPNOTSUPP) disk_.RecordDiscard(res == 0);
      return Finish(index, res);
    case IoRequest::Op::kWriteZeroes:
      if (res == 0 || res == -EOPNOTSUPP) disk_.RecordZeroRange(res == 0);
      if (res == -EOPNOTSUPP || res == -EINVAL)
        return Finish(index, WriteZeroesByWriting(disk_, slot.offset, slot.length));
      return Finish(index, res);
  }
}

void UringEngine::Finish(uint32_t index, int64_t result) {
  Slot& slot = slots_[index];
  if (slot.bounced && result >= 0) {
    if (slot.op == IoRequest::Op::kRead) {
      uint64_t got = static_cast<uint64_t>(result);
      uint64_t avail = got > slot.plan.head ? std::min(slot.plan.length, got - slot.plan.head) : 0;
      CopyToIovecs(slot.user_iov, slot.bounce.data() + slot.plan.head, avail);
      result = static_cast<int64_t>(avail);
    } else {
      result = static_cast<int64_t>(slot.plan.length);
    }
  }
  ready_.push_back({slot.user_data, result});
  slots_[index] = Slot();
  free_slots_.push_back(index);
  --used_slots_;
}

}  // namespace petrel
