// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeVirtioContext: the transport side of VirtioDevice (virtio_device.h) for
// device unit tests and fuzz targets (rng, blk, console, net, the state
// round trip): guest memory, an event loop, the negotiated features, one
// SplitQueue per queue (started from VirtqDriver::QueueConfig() with
// ActivateQueue, as the transport does when the driver enables a queue), and
// a record of SignalUsed / SignalConfigChange / NotifyAgain / Fail calls.
// With set_device(), NotifyAgain posts the device's next QueueNotified() to
// the loop, as the transport does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio::testing {

class FakeVirtioContext final : public VirtioContext {
 public:
  // `queues` SplitQueues over `memory`, none ready; `features` is what
  // features() reports (the negotiated set).
  FakeVirtioContext(std::shared_ptr<GuestMemory> memory, EventLoop& loop, uint16_t queues,
                    uint64_t features = 0)
      : memory_(std::move(memory)),
        loop_(loop),
        features_(features),
        signals_(queues, 0),
        again_(queues, 0),
        queue_loops_(queues, &loop) {
    for (uint16_t i = 0; i < queues; ++i) queues_.push_back(std::make_unique<SplitQueue>(memory_));
  }

  // Starts queue `index` as the transport would when the driver enables it.
  Result<void> ActivateQueue(uint16_t index, const SplitQueue::Config& config) {
    return queues_.at(index)->Activate(config);
  }
  // Stops every queue, as a transport reset does.
  void ResetQueues() {
    for (auto& q : queues_) q->Reset();
  }
  uint16_t queue_count() const { return static_cast<uint16_t>(queues_.size()); }
  // The device NotifyAgain() calls back (nullptr: only count the calls).
  void set_device(VirtioDevice* device) { device_ = device; }
  // Serves queue `index` on `loop` (queue_loop()); by default every queue is
  // on the context's loop.
  void set_queue_loop(uint16_t index, EventLoop& loop) { queue_loops_.at(index) = &loop; }

  // VirtioContext.
  GuestMemory& memory() override { return *memory_; }
  EventLoop& loop() override { return loop_; }
  EventLoop& queue_loop(uint16_t index) override { return *queue_loops_.at(index); }
  uint64_t features() const override { return features_; }
  SplitQueue& queue(uint16_t index) override { return *queues_.at(index); }
  void SignalUsed(uint16_t index) override { ++signals_.at(index); }
  void SignalConfigChange() override { ++config_changes_; }
  void Fail(const std::string& why) override { failures_.push_back(why); }
  void NotifyAgain(uint16_t index) override {
    ++again_.at(index);
    if (device_ != nullptr) {
      VirtioDevice* device = device_;
      (void)queue_loops_.at(index)->Post([device, index] { device->QueueNotified(index); });
    }
  }

  // What the device did.
  uint64_t signals(uint16_t index) const { return signals_.at(index); }
  uint64_t config_changes() const { return config_changes_; }
  uint64_t notify_again(uint16_t index) const { return again_.at(index); }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::shared_ptr<GuestMemory> memory_;
  EventLoop& loop_;
  uint64_t features_;
  std::vector<std::unique_ptr<SplitQueue>> queues_;
  std::vector<uint64_t> signals_;
  std::vector<uint64_t> again_;
  std::vector<EventLoop*> queue_loops_;
  VirtioDevice* device_ = nullptr;
  uint64_t config_changes_ = 0;
  std::vector<std::string> failures_;
};

}  // namespace petrel::virtio::testing
