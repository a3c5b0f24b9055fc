// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoDispatcher: the VM's GuestIo, the one place every guest PIO/MMIO access
// goes through.
//
// For each access, in order:
//   1. writes: the software ioevent table. A matching doorbell (address, width,
//      optional datamatch) signals its notifier and consumes the write. It
//      holds every registration the backend could not take into the kernel
//      (all of them on hv_sim).
//   2. the bus (PIO or MMIO) device claiming every byte of the access;
//   3. the default: reads return all-ones, writes are dropped; both are
//      logged once per address (the guest may probe anything).
// A device that throws while serving an access is caught here (the vCPU
// threads' exception boundary): the access ends as in 3, counted in
// device_faults() and logged once per address at error level.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"

namespace petrel {

class IoDispatcher final : public hv::GuestIo {
 public:
  IoDispatcher() : pio_("pio"), mmio_("mmio") {}

  Bus& pio() { return pio_; }
  Bus& mmio() { return mmio_; }

  // Registers a doorbell: in the backend's kernel when `vm`'s caps say it
  // can (hv::Caps::kernel_ioevents) and the notifier has an fd, else in the
  // software table; a kernel registration's error is returned as is. The registration lasts as long as the returned object.
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      hv::Vm* vm, std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
      std::optional<uint64_t> datamatch);

  // Counters, for tests and `vm.counters`.
  uint64_t unclaimed_accesses() const;
  // Accesses whose device threw.
  uint64_t device_faults() const;
  uint64_t software_ioevents_signalled() const;

  void MmioRead(uint32_t vcpu, uint64_t gpa, std::span<uint8_t> data) override;
  void MmioWrite(uint32_t vcpu, uint64_t gpa, std::span<const uint8_t> data) override;
  void PioRead(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) override;
  void PioWrite(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) override;
  // Passes a local APIC's EOI to the listener (the VMM's IOAPIC), if any.
  void EndOfInterrupt(uint32_t vcpu, uint8_t vector) override;
  // Sets (or, with nullptr, clears) who hears EOIs. Not while vCPUs run.
  void SetEoiListener(std::function<void(uint8_t vector)> listener);

 private:
  struct SoftIoEvent {
    uint64_t id;
    hv::IoEventAddr addr;
    std::optional<uint64_t> datamatch;
    std::shared_ptr<Notifier> notifier;
  };
  class SoftRegistration;

  bool TrySoftIoEvent(hv::IoEventAddr::Space space, uint64_t addr, std::span<const uint8_t> data);
  void RemoveSoftIoEvent(uint64_t id);
  void Unclaimed(const char* what, uint64_t addr, size_t len);
  // Runs `access` (a bus Read/Write returning whether a device claimed it);
  // false if it was not claimed or the device threw.
  template <class Access>
  bool Guarded(const char* what, uint64_t addr, Access&& access);

  Bus pio_;
  Bus mmio_;
  mutable std::mutex mu_;
  std::vector<SoftIoEvent> soft_ioevents_;
  uint64_t next_id_ = 1;
  uint64_t unclaimed_ = 0;
  uint64_t device_faults_ = 0;
  uint64_t soft_signalled_ = 0;
  std::function<void(uint8_t)> eoi_listener_;  // set before vCPUs run
};

}  // namespace petrel
