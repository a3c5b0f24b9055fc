// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AcpiPlatform: the hardware-reduced ACPI devices and the tables that
// describe them to the guest (docs/platform.md):
//   PIO 0x600-0x601  sleep control/status and reset (AcpiPmDevice)
//   PIO 0x608        PM timer
//   MMIO 0xFEB00000  GED event register, IRQ 5 (power button, vCPU and PCI hot-plug)
//   MMIO 0xFEB00010  CPU hot-plug controller, 12 bytes (when max vCPUs > 1)
//   MMIO 0xFEB00020  PCI hot-plug controller, 16 bytes
//   MMIO 0xFEB00030  memory hot-plug controller, 24 bytes (ACPI memory
//                    hot-plug: --memory hotplug_size with hotplug_method=acpi)
// plus RSDP/XSDT/FADT/DSDT/MADT written at 0xA0000.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/acpi/tables.h"
#include "core/arch/cpu_topology.h"
#include "core/base/clock.h"
#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "vmm/interrupt_platform.h"
#include "devices/acpi/acpi_pm.h"
#include "devices/acpi/cpu_hotplug_controller.h"
#include "devices/acpi/ged.h"
#include "devices/acpi/memory_hotplug_controller.h"
#include "devices/acpi/pci_hotplug_controller.h"
#include "devices/acpi/pm_timer.h"

namespace petrel::vmm {

// The table description of the platform; pure, so the loader can learn the
// RSDP address before any device exists.
acpi::AcpiConfig PlatformAcpiConfig(uint32_t boot_vcpus, const x86::CpuTopology& topology,
                                    bool serial);

struct AcpiPlatformArgs {
  InterruptPlatform* interrupts;  // where the legacy pins go
  IoDispatcher* io;
  std::function<void()> on_power_off;
  std::function<void()> on_reset;
  const Clock* monotonic_clock;  // PM timer
  // vCPU hot-plug (with max_vcpus > 1, as PlatformAcpiConfig describes it):
  // the CPU hot-plug controller, and what runs when the guest ejects a vCPU
  // (on that vCPU's thread; see CpuHotplugController).
  uint32_t boot_vcpus = 1, max_vcpus = 1;
  CpuHotplugController::OnEject on_vcpu_ejected;
  // PCI hot-plug: what runs when the guest ejects a slot (on that vCPU's
  // thread; see PciHotplugController).
  PciHotplugController::OnEject on_pci_ejected;
  // ACPI memory hot-plug: the memory hot-plug controller, and what runs
  // when the guest ejects a DIMM (on that vCPU's thread).
  bool memory_hotplug = false;
  MemoryHotplugController::OnEject on_memory_ejected;
};

class AcpiPlatform {
 public:
  static Result<std::unique_ptr<AcpiPlatform>> Create(const AcpiPlatformArgs& args);
  // The ACPI power button: the guest sees a GED event and Notify(PWRB, 0x80).
  void PressPowerButton() { ged_->PressPowerButton(); }
  // The CPU hot-plug controller; null when the VM has one possible vCPU.
  CpuHotplugController* cpu_hotplug() { return cpu_hotplug_.get(); }
  // Tells the guest to scan the controller (the GED's CPU event).
  void NotifyCpuHotplug() { ged_->Notify(GedDevice::kEventCpuHotplug); }
  // The PCI hot-plug controller (every VM has one).
  PciHotplugController& pci_hotplug() { return *pci_hotplug_; }
  const PciHotplugController& pci_hotplug() const { return *pci_hotplug_; }
  // Tells the guest to scan the PCI slots (the GED's PCI event).
  void NotifyPciHotplug() { ged_->Notify(GedDevice::kEventPciHotplug); }
  // The memory hot-plug controller; null without ACPI memory hot-plug.
  MemoryHotplugController* memory_hotplug() { return memory_hotplug_.get(); }
  const MemoryHotplugController* memory_hotplug() const { return memory_hotplug_.get(); }
  // Tells the guest to scan the DIMM slots (the GED's memory event).
  void NotifyMemoryHotplug() { ged_->Notify(GedDevice::kEventMemoryHotplug); }

  // The ACPI devices' snapshot state.
  struct State {
    AcpiPmDevice::State pm;
    PmTimer::State pm_timer;
    GedDevice::State ged;
    std::optional<CpuHotplugController::State> cpu_hotplug;  // with the controller
    // Absent in snapshots before format 4 (no device was hot-plugged then).
    std::optional<PciHotplugController::State> pci_hotplug;
    std::optional<MemoryHotplugController::State> memory_hotplug;  // with the controller
    bool operator==(const State&) const = default;
  };
  State Save() const;
  Result<void> Restore(const State& state);  // before the vCPUs run

 private:
  AcpiPlatform() = default;
  std::shared_ptr<AcpiPmDevice> pm_;
  std::shared_ptr<PmTimer> pm_timer_;
  std::shared_ptr<GedDevice> ged_;
  std::shared_ptr<CpuHotplugController> cpu_hotplug_;
  std::shared_ptr<PciHotplugController> pci_hotplug_;
  std::shared_ptr<MemoryHotplugController> memory_hotplug_;
  std::vector<Bus::Registration> registrations_;
};

}  // namespace petrel::vmm
