// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LegacyPlatform: the PC legacy devices every Petrel x86 VM has, created and
// placed on the PIO bus at their fixed ports (docs/platform.md):
//   0x3f8 COM1 8250 UART (IRQ 4), 0x60/0x64 i8042 (CPU reset only),
//   0x70/0x71 CMOS/RTC (IRQ 8, timers on the VM's EventLoop), 0x80 debug port.
#pragma once

#include <functional>
#include <optional>
#include <memory>
#include <vector>

#include "core/base/clock.h"
#include "core/bus/bus.h"
#include "core/event/event_loop.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "vmm/interrupt_platform.h"
#include "devices/legacy/cmos.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"
#include "vmm/console_output.h"

namespace petrel::vmm {

struct LegacyPlatformArgs {
  InterruptPlatform* interrupts;  // where the legacy pins go
  IoDispatcher* io;
  const GuestMemory* memory;
  ConsoleOutput* serial_output;    // nullptr: no serial port (--serial off)
  std::function<void()> on_reset;  // i8042 reset line
  const Clock* wall_clock;         // calendar time for the RTC
  const Clock* monotonic_clock;    // debug-port timestamps; `loop`'s clock
  EventLoop* loop = nullptr;       // RTC interrupt timers; nullptr: no RTC interrupts
  // CMOS contents from before a guest reset (battery-backed on a PC: RAM
  // bytes and the RTC offset survive a reboot); nullptr on a cold boot.
  const Cmos::State* cmos_state = nullptr;
};

class LegacyPlatform {
 public:
  static Result<std::unique_ptr<LegacyPlatform>> Create(const LegacyPlatformArgs& args);

  // The UART, or nullptr with --serial off.
  Serial* serial() const { return serial_.get(); }
  DebugPort& debug_port() const { return *debug_port_; }
  Cmos& cmos() const { return *cmos_; }

  // Every device's snapshot state (serial only with a serial port).
  struct State {
    std::optional<Serial::State> serial;
    I8042::State i8042;
    Cmos::State cmos;
    DebugPort::State debug_port;
    bool operator==(const State&) const = default;
  };
  State Save() const;
  // Restores each device; a serial state without a serial port (or the
  // reverse) is an error. Before the vCPUs run.
  Result<void> Restore(const State& state);

 private:
  LegacyPlatform() = default;
  std::shared_ptr<Serial> serial_;
  std::shared_ptr<I8042> i8042_;
  std::shared_ptr<Cmos> cmos_;
  std::shared_ptr<DebugPort> debug_port_;
  std::vector<Bus::Registration> registrations_;
};

}  // namespace petrel::vmm
