// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WatchdogDevice: Cloud Hypervisor's virtio-watchdog (see the header).
#include "devices/virtio/watchdog/watchdog_device.h"

#include <algorithm>

#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {

void WatchdogDevice::ReadConfig(uint64_t /*offset*/, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
}

void WatchdogDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

Result<void> WatchdogDevice::Activate(VirtioContext& context) {
  context_ = &context;
  failed_ = false;
  // A restored armed device: its last ping is now.
  if (armed()) {
    last_ping_ns_ = context.loop().NowNs();
    ScheduleCheck();
  }
  return Ok();
}

void WatchdogDevice::Reset() {
  CancelCheck();
  context_ = nullptr;
  failed_ = false;
  armed_.store(false, std::memory_order_release);
}

void WatchdogDevice::QuiesceQueueGroup(uint16_t /*group*/, std::function<void()> done) {
  CancelCheck();
  done();
}

void WatchdogDevice::ResumeQueueGroup(uint16_t /*group*/) {
  if (context_ == nullptr || !armed()) return;
  last_ping_ns_ = context_->loop().NowNs();
  ScheduleCheck();
}

Result<void> WatchdogDevice::Restore(const WatchdogDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-watchdog: restore into an active device is unsupported");
  }
  armed_.store(state.armed, std::memory_order_release);
  return Ok();
}

void WatchdogDevice::QueueNotified(uint16_t index) {
  // On an error an armed device goes on looking: a guest that can no longer
  // ping is reset as one that stopped would be (until its driver resets it).
  ServeNotifiedQueue(context_, failed_, "virtio-watchdog", index, kWatchdogQueueCount,
                     [&](SplitQueue& queue) { return Serve(queue); });
}

Result<void> WatchdogDevice::Serve(SplitQueue& queue) {
  return ServeChains(*context_, 0, queue, [&](const DescriptorChain& chain) -> Result<void> {
    if (chain.readable_len != 0 || chain.writable_len == 0) {
      return Error(ErrorCode::kMalformed,
                   "a ping must be one device-writable buffer (readable " +
                       std::to_string(chain.readable_len) + " bytes, writable " +
                       std::to_string(chain.writable_len) + ")");
    }
    ChainWriter out(context_->memory(), chain);
    PETREL_TRY(out.WriteObj(uint8_t{1}));
    PETREL_TRY(queue.AddUsed(chain.head, out.written()));
    pings_.fetch_add(1, std::memory_order_relaxed);
    last_ping_ns_ = context_->loop().NowNs();
    if (!armed()) {
      armed_.store(true, std::memory_order_release);
      PETREL_LOG(kInfo) << "virtio-watchdog: first ping; the VM is reset "
                        << kWatchdogTimeoutNs / 1'000'000'000 << " s after the pings stop";
      ScheduleCheck();
    }
    return Ok();
  });
}

void WatchdogDevice::ScheduleCheck() {
  CancelCheck();
  EventLoop& loop = context_->loop();
  Result<WatchId> timer =
      loop.AddTimer(loop.NowNs() + kWatchdogCheckIntervalNs, [this] {
        check_.reset();
        Check();
      });
  if (!timer.ok()) {
    // A host problem: the guest keeps its device, unwatched.
    PETREL_LOG(kError) << "virtio-watchdog: cannot start its timer: " << timer.error().message();
    return;
  }
  check_ = *timer;
}

void WatchdogDevice::CancelCheck() {
  if (check_ && context_ != nullptr) context_->loop().Remove(*check_);
  check_.reset();
}

void WatchdogDevice::Check() {
  if (context_ == nullptr || !armed()) return;
  const uint64_t since = context_->loop().NowNs() - last_ping_ns_;
  if (since <= kWatchdogTimeoutNs) {
    ScheduleCheck();
    return;
  }
  const std::string why = "virtio-watchdog: " + std::to_string(since / 1'000'000) +
                          " ms since the last ping; resetting the VM";
  PETREL_LOG(kError) << why;
  if (on_expired_) on_expired_(why);
}

}  // namespace petrel::virtio
