// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmmEvents: where the VMM reports its life-cycle events (Cloud Hypervisor's
// event monitor vocabulary): a source ("vmm", "vm", "virtio-device"), an
// event ("starting", "booting", "booted", "pausing", "paused", "resuming",
// "resumed", "rebooting", "rebooted", "shutdown", "deleted", "activated",
// "reset") and string properties (e.g. {"id", "_disk0"}).
//
// The petrel binary writes them to --event-monitor (vmm/event_monitor.h);
// tests record them (RecordingEvents below). Emit may be called from any
// thread and must not block for long.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace petrel::vmm {

using EventProperties = std::vector<std::pair<std::string, std::string>>;

class VmmEvents {
 public:
  virtual ~VmmEvents() = default;
  virtual void Emit(std::string_view source, std::string_view event,
                    const EventProperties& properties = {}) = 0;
};

// Drops every event (no --event-monitor).
class NoEvents final : public VmmEvents {
 public:
  void Emit(std::string_view, std::string_view, const EventProperties&) override {}
};

// Keeps "source/event" strings in order (tests). Thread-safe.
class RecordingEvents final : public VmmEvents {
 public:
  void Emit(std::string_view source, std::string_view event,
            const EventProperties& properties) override {
    std::string line = std::string(source) + "/" + std::string(event);
    for (const auto& [key, value] : properties) line += " " + key + "=" + value;
    std::lock_guard lock(mu_);
    events_.push_back(std::move(line));
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace petrel::vmm
