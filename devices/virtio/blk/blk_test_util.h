// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for BlkDevice: request headers and discard/write-zeroes
// segments, Harness (a guest, a FakeVirtioContext and a loop around one
// device) and ScriptedEngine (an IoEngine that holds requests until the test
// completes them).
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "core/event/event_loop.h"
#include "core/event/notifier.h"
#include "devices/block/io_engine.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio::blk_test {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

inline std::vector<uint8_t> Header(uint32_t type, uint64_t sector) {
  BlkReqHeader h{type, 0, sector};
  std::vector<uint8_t> v(sizeof h);
  std::memcpy(v.data(), &h, sizeof h);
  return v;
}

inline std::vector<uint8_t> Segment(uint64_t sector, uint32_t n, uint32_t flags = 0) {
  BlkDiscardSegment s{sector, n, flags};
  std::vector<uint8_t> v(sizeof s);
  std::memcpy(v.data(), &s, sizeof s);
  return v;
}

// A guest, a transport and an event loop around one BlkDevice.
class Harness {
 public:
  // `queue_loops`: queue i served on queue_loops[i] (default: all on `loop`).
  Harness(EventLoop& loop, BlkDevice& dev, uint16_t queues = 1, uint64_t features = 0,
          const std::vector<EventLoop*>& queue_loops = {})
      : loop_(loop), dev_(dev) {
    mem_ = *GuestMemory::CreateX86(8 << 20);
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, queues, features);
    for (size_t q = 0; q < queue_loops.size(); ++q) {
      ctx_->set_queue_loop(static_cast<uint16_t>(q), *queue_loops[q]);
    }
    for (uint16_t q = 0; q < queues; ++q) {
      drv_.push_back(*VirtqDriver::Create(mem_, {.size = 64,
                                                 .ring_gpa = 0x1'0000 + q * 0x1'0000ull,
                                                 .data_gpa = 0x10'0000 + q * 0x20'0000ull,
                                                 .data_size = 0x20'0000}));
      EXPECT_TRUE(ctx_->ActivateQueue(q, drv_[q].QueueConfig()).ok());
    }
    EXPECT_TRUE(dev_.Activate(*ctx_).ok());
  }

  // Adds a request, kicks, notifies the device.
  VirtqDriver::Request Send(const std::vector<std::vector<uint8_t>>& readable,
                            const std::vector<uint32_t>& writable, uint16_t q = 0) {
    auto req = *drv_[q].AddRequest(readable, writable);
    EXPECT_TRUE(drv_[q].Kick().ok());
    dev_.QueueNotified(q);
    return req;
  }
  // Runs the loop until a used element appears (or ~5 s pass).
  std::optional<VirtqDriver::UsedElem> Wait(uint16_t q = 0) {
    for (int i = 0; i < 500; ++i) {
      auto used = *drv_[q].PopUsed();
      if (used) return used;
      (void)loop_.RunOnce(10'000'000);
    }
    return std::nullopt;
  }
  // The status byte: the last byte of the request's last writable segment.
  uint8_t Status(const VirtqDriver::Request& r, uint16_t q = 0) {
    const auto& s = r.segments.back();
    return (*drv_[q].ReadBytes(s.gpa + s.len - 1, 1))[0];
  }
  // Sends, waits, returns the status (0xff if nothing came back).
  uint8_t Do(const std::vector<std::vector<uint8_t>>& readable,
             const std::vector<uint32_t>& writable, VirtqDriver::Request* out = nullptr,
             uint32_t* used_len = nullptr) {
    auto r = Send(readable, writable);
    auto used = Wait();
    if (out) *out = r;
    if (!used) return 0xff;
    EXPECT_EQ(used->id, r.head);
    if (used_len) *used_len = used->len;
    return Status(r);
  }

  VirtqDriver& drv(uint16_t q = 0) { return drv_[q]; }
  FakeVirtioContext& ctx() { return *ctx_; }
  GuestMemory& memory() { return *mem_; }

 private:
  EventLoop& loop_;
  BlkDevice& dev_;
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  std::vector<VirtqDriver> drv_;
};

// An engine that holds requests until the test completes them.
class ScriptedEngine final : public IoEngine {
 public:
  explicit ScriptedEngine(size_t depth) : depth_(depth) {}
  Result<void> Submit(std::span<const IoRequest> requests) override {
    if (pending_.size() + ready_.size() + requests.size() > depth_) {
      return Error(ErrorCode::kBusy, "full");
    }
    for (const IoRequest& r : requests) pending_.push_back(r);
    return Ok();
  }
  std::vector<IoCompletion> Reap() override {
    if (complete_on_reap_) Finish(pending_.size(), -EIO);
    std::vector<IoCompletion> out;
    out.swap(ready_);
    return out;
  }
  std::shared_ptr<Notifier> completion_notifier() override { return notifier_; }
  size_t in_flight() const override { return pending_.size() + ready_.size(); }
  size_t queue_depth() const override { return depth_; }
  const char* name() const override { return "scripted"; }

  // Completes the oldest `n` pending requests with `result` (reads/writes
  // with a non-negative result transfer their full length).
  void Finish(size_t n, int64_t result) {
    for (size_t i = 0; i < n && !pending_.empty(); ++i) {
      IoRequest r = pending_.front();
      pending_.pop_front();
      int64_t res = result;
      if (res >= 0) {
        res = 0;
        for (const iovec& v : r.iov) res += static_cast<int64_t>(v.iov_len);
      }
      ready_.push_back({r.user_data, res});
    }
    notifier_->Signal();
  }
  size_t pending() const { return pending_.size(); }
  IoRequest::Op front_op() const { return pending_.front().op; }
  const IoRequest& front() const { return pending_.front(); }
  bool complete_on_reap_ = false;

 private:
  size_t depth_;
  std::deque<IoRequest> pending_;
  std::vector<IoCompletion> ready_;
  std::shared_ptr<InProcessNotifier> notifier_ = std::make_shared<InProcessNotifier>();
};

}  // namespace petrel::virtio::blk_test
