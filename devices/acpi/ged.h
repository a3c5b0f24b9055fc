// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GedDevice: the VMM side of the ACPI Generic Event Device (ACPI 6.4 section
// 5.6.9, _HID "ACPI0013"), which delivers hotplug and power-button events on
// a hardware-reduced platform, as Cloud Hypervisor models it.
//
// kSize 1, on the MMIO bus: one byte, the pending-event bitmask (the DSDT's
// `GDAT` field, read by `\_SB_.GEC_.ESCN` from the GED's `_EVT`):
//   bit 0 kEventCpuHotplug     -> \_SB_.CPUS.CSCN
//   bit 1 kEventMemoryHotplug  -> \_SB_.MHPC.MSCN
//   bit 2 kEventPciHotplug     -> \_SB_.PHPR.PSCN
//   bit 3 kEventPowerButton    -> Notify(\_SB_.PWRB, 0x80)
//   bits 7:4 reserved, always 0.
// Reading returns the pending bits and clears them (Cloud Hypervisor's
// semantics; the AML reads GDAT exactly once per _EVT). Writes are ignored
// (the AML field is WriteAsZeroes and never written).
//
// Notify(bits) ORs `bits` into the register and pulses the interrupt line:
// the GED interrupt is edge-triggered, active-high (the DSDT's GED _CRS must
// say Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive), as Cloud
// Hypervisor's does). No event is lost: a Notify that lands after the guest's
// read sends a new edge; one that lands before it is seen by that read (the
// extra edge then finds GDAT empty, which the AML tolerates).
//
// Save/Restore carry the pending bits; Restore sends no edge (the interrupt
// controller's own state holds any edge not yet taken).
//
// Thread-safety: safe from any thread (vCPU threads read, the VMM notifies);
// the interrupt is pulsed without the device lock held.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "core/acpi/pm_registers.h"
#include "core/base/result.h"
#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"

namespace petrel {

class GedDevice final : public BusDevice {
 public:
  static constexpr uint64_t kSize = acpi::kGedMmioSize;  // 1, as Cloud Hypervisor's

  // Event bits (Cloud Hypervisor's AcpiNotificationFlags), what _EVT decodes
  // (core/acpi/pm_registers.h).
  static constexpr uint32_t kEventCpuHotplug = acpi::kGedCpuHotplug;        // bit 0
  static constexpr uint32_t kEventMemoryHotplug = acpi::kGedMemoryHotplug;  // bit 1
  static constexpr uint32_t kEventPciHotplug = acpi::kGedPciHotplug;        // bit 2
  static constexpr uint32_t kEventPowerButton = acpi::kGedPowerButton;      // bit 3
  static constexpr uint32_t kEventMask =
      kEventCpuHotplug | kEventMemoryHotplug | kEventPciHotplug | kEventPowerButton;

  struct State {
    uint8_t pending = 0;  // only kEventMask bits
    bool operator==(const State&) const = default;
  };

  // `irq` must not be null.
  explicit GedDevice(std::shared_ptr<hv::InterruptLine> irq);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Latches `event_bits` and pulses the interrupt. Bits outside kEventMask
  // are a caller bug: they are dropped and logged. Notify(0) does nothing.
  void Notify(uint32_t event_bits);
  // The ACPI power button (vm.power-button).
  void PressPowerButton() { Notify(kEventPowerButton); }

  // The bits the guest has not read yet (for tests and the VMM; no side effect).
  uint32_t pending() const;

  State Save() const;
  Result<void> Restore(const State& state);

 private:
  const std::shared_ptr<hv::InterruptLine> irq_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
