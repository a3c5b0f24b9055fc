// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DebugPort: the POST-code port 0x80, used as Cloud Hypervisor uses it to
// timestamp guest boot milestones (the boot-time metric measures kernel start
// 0x40 to userspace start 0x41).
//
// Every written byte is logged at info level as
//   "[Debug I/O port: <range> code 0x<code>] <s>.<us> seconds"
// with the time since the device was constructed, and is recorded as an
// Event. Code ranges (Cloud Hypervisor's DebugIoPortRange):
//   0x00-0x1f Firmware, 0x20-0x3f Bootloader, 0x40-0x5f Kernel,
//   0x60-0x7f Userspace, 0x80-0xff Custom.
// At most kMaxEvents events are recorded and logged (guests such as older
// Linux use port 0x80 as an I/O delay and write it constantly); later writes
// are only counted (`dropped_events()`), with one log line when the cap is hit.
// Reads return the last written byte (0 before any write).
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class DebugPort final : public BusDevice {
 public:
  static constexpr uint64_t kSize = 1;
  static constexpr size_t kMaxEvents = 1024;

  struct Event {
    uint8_t code;
    uint64_t ns;  // since the device was constructed
    bool operator==(const Event&) const = default;
  };

  struct State {
    uint8_t last_code = 0;
    std::vector<Event> events;  // at most kMaxEvents, ns non-decreasing
    uint64_t dropped = 0;
    bool operator==(const State&) const = default;
  };

  // `clock` (monotonic) must outlive the device.
  explicit DebugPort(const Clock& clock);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  std::vector<Event> events() const;
  uint64_t dropped_events() const;

  // "Firmware", "Bootloader", "Kernel", "Userspace" or "Custom".
  static std::string_view RangeName(uint8_t code);

  State Save() const;
  // Restored event times stay relative to the original device's start.
  Result<void> Restore(const State& state);

 private:
  const Clock& clock_;
  const uint64_t start_ns_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
