// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PvpanicDevice: QEMU's "pvpanic-pci" (docs/specs/pvpanic.rst), as Cloud
// Hypervisor's --pvpanic places it (devices/src/pvpanic.rs): a PCI function
// through which the guest reports that it panicked. Linux drives it with
// pvpanic_pci (drivers/misc/pvpanic).
//
// Config space: vendor 0x1b36 (Red Hat), device 0x0011, revision 1, class
// 0x088000 (base system peripheral / other), no interrupt, no capability;
// BAR0 a 32-bit non-prefetchable MMIO BAR of 16 bytes (CH's is 2 bytes
// aligned to 16; a memory BAR is at least 16 bytes, PCI 3.0 §6.2.5.1).
//
// BAR0 offsets 0 and 1 are the one-byte register, as in CH (any offset of
// its 2-byte region):
//   read   the events the device supports: bit 0 PVPANIC_PANICKED, bit 1
//          PVPANIC_CRASH_LOADED (0x03); the other bytes of the access read 0
//   write  byte 0 of the access is an event. As CH's event_to_string: 0x01
//          is "panic", 0x02 "crash_loaded", any other value "unknown_event".
// Offsets 2..15 read 0 and ignore writes.
//
// Each event is logged (one warning line) and handed to the EventSink (the
// VMM's event monitor: source "guest", event "panic", property "event"),
// rate-limited per event name: at most one per kReportIntervalNs of the
// injected clock. The rest are counted (event_count()) and the next report
// says how many were suppressed, so a guest writing in a loop neither fills
// the log nor the event file. The VM keeps running, as in CH.
//
// State: the config space only (PciConfigSpace::State); the rate limiter
// starts afresh after a restore.
//
// Thread-safety: BarRead/BarWrite from any vCPU thread; the sink runs on the
// writing vCPU thread, outside the device's lock.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "devices/pci/pci_config_space.h"
#include "devices/pci/pci_device.h"

namespace petrel {

class PvpanicDevice final : public PciDevice {
 public:
  static constexpr uint16_t kVendorId = 0x1b36;  // PCI_VENDOR_ID_REDHAT
  static constexpr uint16_t kDeviceId = 0x0011;  // PCI_DEVICE_ID_REDHAT_PVPANIC
  static constexpr uint8_t kRevision = 1;
  static constexpr uint32_t kClassCode = 0x088000;  // base system peripheral, other
  static constexpr int kBar = 0;
  static constexpr uint64_t kBarSize = 16;
  static constexpr uint64_t kRegisterSize = 2;  // CH's PVPANIC_DEVICE_MMIO_SIZE
  static constexpr uint8_t kPanicked = 1 << 0;
  static constexpr uint8_t kCrashLoaded = 1 << 1;
  static constexpr uint8_t kSupportedEvents = kPanicked | kCrashLoaded;
  static constexpr uint64_t kReportIntervalNs = 1'000'000'000;

  // Called with CH's event name ("panic", "crash_loaded", "unknown_event").
  using EventSink = std::function<void(std::string_view event)>;

  // `clock` (the rate limiter's) must outlive the device.
  PvpanicDevice(const Clock& clock, EventSink sink);

  PciConfigSpace& config() override { return config_; }
  void BarRead(int bar, uint64_t offset, std::span<uint8_t> data) override;
  void BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) override;

  // CH's name of the byte the guest wrote.
  static std::string_view EventName(uint8_t value);

  // Writes of the event the guest made so far (reported or suppressed).
  uint64_t event_count(std::string_view event) const;

  PciConfigSpace::State Save() const { return config_.Save(); }
  Result<void> Restore(const PciConfigSpace::State& state) { return config_.Restore(state); }

 private:
  struct Limiter {
    uint64_t count = 0;            // every write of this event
    uint64_t suppressed = 0;       // since the last report
    uint64_t last_report_ns = 0;
    bool reported = false;
  };
  static size_t Index(std::string_view event);

  const Clock& clock_;
  EventSink sink_;
  PciConfigSpace config_;
  mutable std::mutex mu_;  // guards limiters_
  std::array<Limiter, 3> limiters_{};
};

}  // namespace petrel
