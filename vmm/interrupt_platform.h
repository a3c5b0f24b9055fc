// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// InterruptPlatform: where a VM's legacy interrupt pins (COM1, the RTC, the
// ACPI GED) go.
//
//   - The backend's own IOAPIC (hv::Caps::kernel_ioapic: KVM's full
//     in-kernel irqchip, hv_sim's pin model): Line() is the backend's
//     LegacyInterrupt().
//   - The VMM's IOAPIC (KVM's split irqchip, hv_sim with userspace_ioapic,
//     MSHV): a devices/ioapic Ioapic at x86::kIoapicStart on the MMIO bus,
//     each pin an MSI from hv::Vm::CreateIoapicPinInterrupt(pin); the local
//     APICs' EOIs reach it through IoDispatcher::EndOfInterrupt. Line() is
//     the IOAPIC's pin; its state is part of a snapshot.
//
// Built before the devices that take lines, after the VM; lives as long as
// the VM's devices.
#pragma once

#include <memory>
#include <optional>

#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "devices/ioapic/ioapic.h"

namespace petrel::vmm {

class InterruptPlatform {
 public:
  static Result<std::unique_ptr<InterruptPlatform>> Create(hv::Vm& vm, IoDispatcher& io);
  InterruptPlatform(const InterruptPlatform&) = delete;
  InterruptPlatform& operator=(const InterruptPlatform&) = delete;
  ~InterruptPlatform();

  // Legacy pin `pin` (0..23) as a device's interrupt line.
  Result<std::shared_ptr<hv::InterruptLine>> Line(uint32_t pin);

  // The VMM's IOAPIC; null when the backend has its own.
  Ioapic* ioapic() const { return ioapic_.get(); }

  // The VMM's IOAPIC state; nullopt when the backend has its own (that is
  // part of hv::VmState).
  std::optional<Ioapic::State> Save() const;
  // A state for the VMM's IOAPIC on a VM without one, or the reverse, is
  // an error (the restore builds the VM in the snapshot's mode).
  Result<void> Restore(const std::optional<Ioapic::State>& state);

 private:
  InterruptPlatform(hv::Vm& vm, IoDispatcher& io) : vm_(vm), io_(io) {}

  hv::Vm& vm_;
  IoDispatcher& io_;
  std::shared_ptr<Ioapic> ioapic_;
  Bus::Registration registration_;
};

}  // namespace petrel::vmm
