// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvVm: one MSHV partition with the LAPIC in the hypervisor and no IOAPIC
// or PIC of its own (the VMM's IOAPIC, devices/ioapic, carries the legacy
// pins as MSIs).
//
// Creation (MshvVm::Create), as Cloud Hypervisor: MSHV_CREATE_PARTITION with
// pt_flags LAPIC | X2APIC and no isolation; MSHV_INITIALIZE_PARTITION; the
// partition property UNIMPLEMENTED_MSR_ACTION = IGNORE_WRITE_READ_ZERO (the
// hypervisor's default injects #GP on an MSR it does not implement); then
// TIME_FREEZE = 1 until the first vCPU runs (mshv_partition.h).
//
// Memory: one MSHV_SET_GUEST_MEMORY per GuestMemory region, writable and
// executable, guest_pfn = gpa / 4 KiB; the destructor unmaps them (same
// fields plus the UNMAP flag) before the GuestMemory can go away.
//
// Interrupts: MSIs (and the VMM IOAPIC's pins, which are MSIs too) through
// mshv_irq_routing.h. LegacyInterrupt is kUnsupported.
//
// Doorbells: MSHV_IOEVENTFD for MMIO (lengths 0, 1, 2, 4, 8; no datamatch
// with length 0). PIO doorbells are kUnsupported: the kernel refuses them
// (EOPNOTSUPP, drivers/hv/mshv_eventfd.c).
//
// Dirty pages: StartDirtyLog sets GPA_PAGE_ACCESS_TRACKING = 1 and clears
// every region's dirty bits; TakeDirtyLog reads them with
// MSHV_GET_GPAP_ACCESS_BITMAP(DIRTY, CLEAR) per region; StopDirtyLog first
// sets every page's dirty bit (OP_SET: Cloud Hypervisor says the hypervisor
// requires it before tracking is turned off), then the property to 0.
//
// State (hv::VmState): empty (no clock control, no irqchip).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "core/hv/hypervisor.h"
#include "hv_mshv/mshv_irq_routing.h"
#include "hv_mshv/mshv_partition.h"

namespace petrel::mshv {

class MshvVm final : public hv::Vm {
 public:
  // `mshv_fd`: the open /dev/mshv.
  static Result<std::shared_ptr<MshvVm>> Create(std::shared_ptr<MshvDriver> driver, int mshv_fd,
                                                const hv::VmConfig& config, const hv::Caps& caps);
  ~MshvVm() override;

  const hv::Caps& caps() const override { return caps_; }
  Result<void> MapMemory(std::shared_ptr<GuestMemory> memory) override;
  Result<std::unique_ptr<hv::Vcpu>> CreateVcpu(uint32_t id) override;
  Result<std::shared_ptr<hv::InterruptLine>> LegacyInterrupt(uint32_t pin) override;
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiInterrupt() override;
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
      std::optional<uint64_t> datamatch) override;
  Result<void> StartDirtyLog() override;
  Result<void> StopDirtyLog() override;
  Result<DirtyBitmap> TakeDirtyLog() override;
  Result<hv::VmState> SaveState() override;
  Result<void> RestoreState(const hv::VmState& state) override;
  // TIME_FREEZE = 1 / 0: the guest's reference time stops while paused.
  Result<void> Pause() override { return partition_->SetTimeFrozen(true); }
  Result<void> Resume() override { return partition_->SetTimeFrozen(false); }
  // MSHV_SET_GUEST_MEMORY (writable, executable: DAX runs code from pmem);
  // ids count up from 1.
  Result<uint32_t> MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) override;
  Result<void> UnmapDeviceMemory(uint32_t id) override;

 private:
  // One MSHV_SET_GUEST_MEMORY call.
  Result<void> SetRegion(uint64_t gpa, uint64_t size, void* host, uint8_t flags);
  MshvVm(std::shared_ptr<MshvPartition> partition, const hv::VmConfig& config,
         const hv::Caps& caps);
  // MSHV_SET_GUEST_MEMORY for every region of `memory` with `flags`.
  Result<void> SetRegions(const GuestMemory& memory, uint8_t flags);
  // MSHV_GET_GPAP_ACCESS_BITMAP(DIRTY, op) of region `i`, as 64-bit words.
  Result<std::vector<uint64_t>> RegionDirtyBits(size_t i, uint8_t op);

  std::shared_ptr<GuestMemory> memory_;  // outlives the mappings (unmapped in the destructor)
  struct DeviceRegion {
    uint64_t gpa, size;
    void* host;
  };
  std::map<uint32_t, DeviceRegion> device_regions_;  // guarded by mu_
  uint32_t next_device_region_ = 1;
  std::shared_ptr<MshvPartition> partition_;
  hv::VmConfig config_;
  hv::Caps caps_;
  std::mutex mu_;  // guards memory_ and dirty_logging_
  bool dirty_logging_ = false;
  std::shared_ptr<MshvIrqRouting> irq_routing_;
};

}  // namespace petrel::mshv
