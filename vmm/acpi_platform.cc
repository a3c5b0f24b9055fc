// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AcpiPlatform (see acpi_platform.h).
#include "vmm/acpi_platform.h"

#include "core/arch/x86_layout.h"

namespace petrel::vmm {

acpi::AcpiConfig PlatformAcpiConfig(uint32_t boot_vcpus, const x86::CpuTopology& topology,
                                    bool serial) {
  acpi::AcpiConfig c;
  c.boot_vcpus = boot_vcpus;
  c.max_vcpus = topology.MaxVcpus();
  for (uint32_t i = 0; i < c.max_vcpus; ++i) c.apic_ids.push_back(topology.ApicId(i));
  c.serial = serial;
  c.serial_irq = x86::kCom1Irq;
  c.rtc_port = x86::kCmosPort;
  c.rtc_irq = x86::kRtcIrq;
  c.pm_port = x86::kAcpiPmPort;
  c.reset_value = AcpiPmDevice::kResetValue;
  c.ged_mmio = x86::kAcpiGedStart;
  c.ged_irq = x86::kAcpiGedIrq;
  c.pm_timer_port = x86::kAcpiPmTimerPort;
  // Every VM with more than one possible vCPU can resize (CH's x86 VMs all
  // can): a VM resized to max and rebooted can still shrink.
  if (c.max_vcpus > 1) c.cpu_hotplug_mmio = x86::kAcpiCpuHotplugStart;
  return c;
}

Result<std::unique_ptr<AcpiPlatform>> AcpiPlatform::Create(const AcpiPlatformArgs& args) {
  std::unique_ptr<AcpiPlatform> p(new AcpiPlatform());
  auto add = [&](Bus& bus, uint64_t base, uint64_t size,
                 std::shared_ptr<BusDevice> dev) -> Result<void> {
    PETREL_ASSIGN_OR_RETURN(auto reg, bus.Insert(base, size, std::move(dev)));
    p->registrations_.push_back(std::move(reg));
    return Ok();
  };
  p->pm_ = std::make_shared<AcpiPmDevice>(args.on_power_off, args.on_reset);
  PETREL_TRY(add(args.io->pio(), x86::kAcpiPmPort, AcpiPmDevice::kSize, p->pm_));
  p->pm_timer_ = std::make_shared<PmTimer>(*args.monotonic_clock);
  PETREL_TRY(add(args.io->pio(), x86::kAcpiPmTimerPort, PmTimer::kSize, p->pm_timer_));
  PETREL_ASSIGN_OR_RETURN(auto ged_irq, args.interrupts->Line(x86::kAcpiGedIrq));
  p->ged_ = std::make_shared<GedDevice>(std::move(ged_irq));
  PETREL_TRY(add(args.io->mmio(), x86::kAcpiGedStart, GedDevice::kSize, p->ged_));
  if (args.max_vcpus > 1) {
    p->cpu_hotplug_ = std::make_shared<CpuHotplugController>(args.max_vcpus, args.boot_vcpus,
                                                             args.on_vcpu_ejected);
    PETREL_TRY(add(args.io->mmio(), x86::kAcpiCpuHotplugStart, CpuHotplugController::kSize,
                   p->cpu_hotplug_));
  }
  p->pci_hotplug_ = std::make_shared<PciHotplugController>(args.on_pci_ejected);
  PETREL_TRY(add(args.io->mmio(), x86::kAcpiPciHotplugStart, PciHotplugController::kSize,
                 p->pci_hotplug_));
  if (args.memory_hotplug) {
    p->memory_hotplug_ = std::make_shared<MemoryHotplugController>(args.on_memory_ejected);
    PETREL_TRY(add(args.io->mmio(), x86::kAcpiMemoryHotplugStart, MemoryHotplugController::kSize,
                   p->memory_hotplug_));
  }
  return p;
}

AcpiPlatform::State AcpiPlatform::Save() const {
  State s{pm_->Save(), pm_timer_->Save(), ged_->Save(), std::nullopt, pci_hotplug_->Save()};
  if (cpu_hotplug_) s.cpu_hotplug = cpu_hotplug_->Save();
  if (memory_hotplug_) s.memory_hotplug = memory_hotplug_->Save();
  return s;
}

Result<void> AcpiPlatform::Restore(const State& s) {
  PETREL_TRY(pm_->Restore(s.pm).Wrap("ACPI PM registers"));
  PETREL_TRY(pm_timer_->Restore(s.pm_timer).Wrap("ACPI PM timer"));
  PETREL_TRY(ged_->Restore(s.ged).Wrap("ACPI GED"));
  // A snapshot without the controller's state (format 2) keeps the boot state.
  if (s.cpu_hotplug) {
    if (!cpu_hotplug_) {
      return Error(ErrorCode::kInvalidArgument,
                   "the snapshot has CPU hot-plug state, the VM has one possible vCPU");
    }
    PETREL_TRY(cpu_hotplug_->Restore(*s.cpu_hotplug).Wrap("ACPI CPU hot-plug"));
  }
  if (s.pci_hotplug) PETREL_TRY(pci_hotplug_->Restore(*s.pci_hotplug).Wrap("ACPI PCI hot-plug"));
  if (s.memory_hotplug.has_value() != (memory_hotplug_ != nullptr)) {
    return Error(ErrorCode::kInvalidArgument,
                 s.memory_hotplug ? "the snapshot has ACPI memory hot-plug state, the VM has none"
                                  : "the VM has ACPI memory hot-plug, the snapshot no state for it");
  }
  if (s.memory_hotplug) {
    PETREL_TRY(memory_hotplug_->Restore(*s.memory_hotplug).Wrap("ACPI memory hot-plug"));
  }
  return Ok();
}

}  // namespace petrel::vmm
