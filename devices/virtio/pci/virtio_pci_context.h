// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice::Context: the VirtioContext a device gets at Activate();
// forwards to the transport (private to devices/virtio/pci).
#pragma once

#include <string>

#include "devices/virtio/pci/virtio_pci_device.h"

namespace petrel::virtio {

class VirtioPciDevice::Context final : public VirtioContext {
 public:
  explicit Context(VirtioPciDevice& owner) : owner_(owner) {}
  GuestMemory& memory() override { return *owner_.memory_; }
  EventLoop& loop() override { return owner_.control_loop(); }
  EventLoop& queue_loop(uint16_t index) override { return owner_.queue_loop(index); }
  uint64_t features() const override { return owner_.active_features(); }
  SplitQueue& queue(uint16_t index) override { return *owner_.queues_.at(index); }
  void SignalUsed(uint16_t index) override { owner_.SignalUsed(index); }
  void SignalConfigChange() override { owner_.SignalConfigChange(); }
  void NotifyAgain(uint16_t index) override { owner_.NotifyAgain(index); }
  void Fail(const std::string& why) override { owner_.Fail(why); }

 private:
  VirtioPciDevice& owner_;
};

}  // namespace petrel::virtio
