// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RngDevice: the virtio entropy device (virtio 1.2 §5.4). One request queue;
// each chain's writable part is filled with entropy (up to a cap per chain)
// and returned with the number of bytes written. No features, no config.
//
//   PETREL_ASSIGN_OR_RETURN(auto rng, RngDevice::Create({.src = "/dev/urandom"}));
//   auto rng = std::make_unique<RngDevice>(RandomEntropySource(sim_random));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/base/result.h"
#include "devices/virtio/rng/entropy_source.h"
#include "devices/virtio/rng/rng_config.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// §5.4.2: one queue, "requestq".
inline constexpr uint16_t kRngQueueCount = 1;
inline constexpr uint16_t kRngMaxQueueSize = 256;
// Bytes of entropy given to one chain at most (the guest chooses the
// writable length, up to 4 GiB); the used length tells the driver how many.
inline constexpr uint32_t kRngMaxBytesPerChain = 64 * 1024;

// Plain snapshot state. The entropy device has nothing the guest can change
// and nothing that must survive a restore (no features, no config space; the
// queue is the transport's), so this is empty: it exists so that every virtio
// device has the same Save()/Restore() shape.
struct RngDeviceState {
  bool operator==(const RngDeviceState&) const = default;
};

class RngDevice final : public VirtioDevice {
 public:
  // Opens config.src now; an error if it cannot be opened.
  static Result<std::unique_ptr<RngDevice>> Create(const RngConfig& config);
  explicit RngDevice(EntropySource source) : source_(std::move(source)) {}

  uint16_t device_type() const override { return kDeviceIdEntropy; }
  // Reading the entropy source: read(2), which every thread may.
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return 0; }  // §5.4.3: none
  uint16_t queue_count() const override { return kRngQueueCount; }
  uint16_t max_queue_size() const override { return kRngMaxQueueSize; }
  // §5.4.4: no configuration space: reads are 0, writes ignored.
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;

  RngDeviceState Save() const { return {}; }
  // Into a device that is not active (freshly created, before the
  // transport's Restore posts Activate): kBusy otherwise.
  Result<void> Restore(const RngDeviceState& state);

 private:
  // Fills one chain; an Error means the chain or ring is malformed.
  // At most kMaxChainsPerTurn chains of queue `index`, then NotifyAgain().
  Result<void> Serve(uint16_t index, SplitQueue& queue);

  EntropySource source_;
  VirtioContext* context_ = nullptr;
  bool failed_ = false;
};

}  // namespace petrel::virtio
