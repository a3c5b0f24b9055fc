// FakeVirtioContext: the transport side of VirtioDevice for device unit tests
// (rng, blk): guest memory, an event loop, negotiated features, queues
// activated from VirtqDriver::QueueConfig(), and a record of SignalUsed /
// SignalConfigChange / Fail calls. (Shared by the rng and blk tests; a
// candidate for devices/virtio/testing.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event/event_loop.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio::testing {

class FakeVirtioContext final : public VirtioContext {
 public:
  FakeVirtioContext(std::shared_ptr<GuestMemory> memory, EventLoop& loop, uint16_t queues,
                    uint64_t features = 0)
      : memory_(std::move(memory)), loop_(loop), features_(features) {
    for (uint16_t i = 0; i < queues; ++i) queues_.push_back(std::make_unique<SplitQueue>(memory_));
    signals_.resize(queues);
  }

  // Starts queue `index` as the transport would when the driver enables it.
  Result<void> ActivateQueue(uint16_t index, const SplitQueue::Config& config) {
    return queues_.at(index)->Activate(config);
  }

  GuestMemory& memory() override { return *memory_; }
  EventLoop& loop() override { return loop_; }
  uint64_t features() const override { return features_; }
  SplitQueue& queue(uint16_t index) override { return *queues_.at(index); }
  void SignalUsed(uint16_t index) override { ++signals_.at(index); }
  void SignalConfigChange() override { ++config_changes_; }
  void Fail(const std::string& why) override { failures_.push_back(why); }

  uint64_t signals(uint16_t index) const { return signals_.at(index); }
  uint64_t config_changes() const { return config_changes_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::shared_ptr<GuestMemory> memory_;
  EventLoop& loop_;
  uint64_t features_;
  std::vector<std::unique_ptr<SplitQueue>> queues_;
  std::vector<uint64_t> signals_;
  uint64_t config_changes_ = 0;
  std::vector<std::string> failures_;
};

}  // namespace petrel::virtio::testing
