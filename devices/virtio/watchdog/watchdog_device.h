// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WatchdogDevice: Cloud Hypervisor's virtio-watchdog (`--watchdog`), which
// resets a guest that stopped "petting" it.
//
// The device is not in the virtio 1.2 spec; its protocol is Cloud
// Hypervisor's (device id 35, the id virtio reserves for a watchdog):
//   - one queue (size 8), no device feature bits, no configuration space;
//   - the driver pings by making one device-writable buffer available; the
//     device writes the byte 1 into it and hands it back (used length 1);
//   - the first ping arms the device. From then on it looks every
//     kWatchdogCheckIntervalNs; if more than kWatchdogTimeoutNs have passed
//     since the last ping, it asks for a VM reset (on_expired) and stops
//     looking (the reset builds the VM, and this device, afresh).
//   - It cannot be disarmed by the driver, except by resetting the device
//     (status 0), which Petrel takes as the driver going away.
// A chain that has a device-readable buffer or no writable one is a
// protocol error: the device fails (DEVICE_NEEDS_RESET) and the VM runs on;
// an armed device still resets the VM when the pings have stopped, so a
// malformed chain is no way out of the watchdog (Cloud Hypervisor's device
// stops looking once its queue handler fails).
//
// Time is the event loop's clock (virtual time on hv_sim). While the VM is
// paused the device does not look (QuiesceQueueGroup), and on resume the
// last ping counts as now, so time spent paused, snapshotted or migrating
// never expires it (as Cloud Hypervisor).
//
//   auto dog = std::make_shared<WatchdogDevice>([&](const std::string& why) { Reset(why); });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "core/base/result.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// Cloud Hypervisor's values (virtio-devices/src/watchdog.rs): one queue of 8.
inline constexpr uint16_t kWatchdogQueueCount = 1;
inline constexpr uint16_t kWatchdogMaxQueueSize = 8;
// How often an armed device looks, and how long without a ping expires it:
// a guest that stops pinging is reset 20 to 35 s after its last ping.
inline constexpr uint64_t kWatchdogCheckIntervalNs = 15'000'000'000;
inline constexpr uint64_t kWatchdogTimeoutNs = 20'000'000'000;

// Snapshot state: whether the guest armed the device (Cloud Hypervisor's
// `enabled`). A restored armed device counts its last ping as the moment
// it runs again.
struct WatchdogDeviceState {
  bool armed = false;
  bool operator==(const WatchdogDeviceState&) const = default;
};

class WatchdogDevice final : public VirtioDevice {
 public:
  // `on_expired(why)`: ask for a VM reset; called on the device's loop.
  using ExpiredHandler = std::function<void(const std::string& why)>;
  explicit WatchdogDevice(ExpiredHandler on_expired) : on_expired_(std::move(on_expired)) {}

  uint16_t device_type() const override { return kDeviceIdWatchdog; }
  // Timers are the event loop's own; pings only touch guest memory.
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return 0; }
  uint16_t queue_count() const override { return kWatchdogQueueCount; }
  uint16_t max_queue_size() const override { return kWatchdogMaxQueueSize; }
  // No configuration space: reads are 0, writes ignored.
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;
  // Pause: stop looking; resume: the last ping counts as now.
  void QuiesceQueueGroup(uint16_t group, std::function<void()> done) override;
  void ResumeQueueGroup(uint16_t group) override;

  bool armed() const { return armed_.load(std::memory_order_acquire); }
  // Pings answered since creation (tests, logs).
  uint64_t pings() const { return pings_.load(std::memory_order_relaxed); }

  WatchdogDeviceState Save() const { return {armed()}; }
  // Into a device that is not active (kBusy otherwise).
  Result<void> Restore(const WatchdogDeviceState& state);

 private:
  // Answers the pings waiting in the queue (at most kMaxChainsPerTurn).
  Result<void> Serve(SplitQueue& queue);
  // (Re)starts the periodic look, kWatchdogCheckIntervalNs from now.
  void ScheduleCheck();
  void CancelCheck();
  void Check();

  ExpiredHandler on_expired_;
  VirtioContext* context_ = nullptr;  // between Activate and Reset
  bool failed_ = false;
  std::atomic<bool> armed_{false};
  std::atomic<uint64_t> pings_{0};
  uint64_t last_ping_ns_ = 0;
  std::optional<WatchId> check_;  // the pending look, on context_->loop()
};

}  // namespace petrel::virtio
