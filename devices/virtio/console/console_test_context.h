// ConsoleTestContext: a minimal transport side of VirtioDevice for the
// console's unit tests and fuzz target: guest memory, an event loop,
// negotiated features, the two queues, and a record of SignalUsed /
// SignalConfigChange / Fail calls.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event/event_loop.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/console/console_spec.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio::console_testing {

class ConsoleTestContext final : public VirtioContext {
 public:
  ConsoleTestContext(std::shared_ptr<GuestMemory> memory, EventLoop& loop, uint64_t features)
      : memory_(std::move(memory)),
        loop_(loop),
        features_(features),
        queues_{SplitQueue(memory_), SplitQueue(memory_)} {}

  Result<void> ActivateQueue(uint16_t index, const SplitQueue::Config& config) {
    return queues_.at(index).Activate(config);
  }
  void ResetQueues() {
    for (auto& q : queues_) q.Reset();
  }

  GuestMemory& memory() override { return *memory_; }
  EventLoop& loop() override { return loop_; }
  uint64_t features() const override { return features_; }
  SplitQueue& queue(uint16_t index) override { return queues_.at(index); }
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
  std::array<SplitQueue, kConsoleQueueCount> queues_;
  std::array<uint64_t, kConsoleQueueCount> signals_{};
  uint64_t config_changes_ = 0;
  std::vector<std::string> failures_;
};

}  // namespace petrel::virtio::console_testing
