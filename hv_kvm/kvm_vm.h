// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmVm: one KVM VM (KVM_CREATE_VM) with an in-kernel LAPIC per vCPU and
// either the full in-kernel irqchip or the split one.
//
// Setup order (api.rst): KVM_SET_TSS_ADDR and KVM_SET_IDENTITY_MAP_ADDR
// (needed on Intel, harmless on AMD; both before any vCPU), then
//   full (hv::VmConfig::userspace_ioapic false): KVM_CREATE_IRQCHIP (PIC +
//     IOAPIC + LAPICs) and KVM_CREATE_PIT2; legacy pins by KVM_IRQ_LINE;
//   split (userspace_ioapic true, as Cloud Hypervisor): KVM_ENABLE_CAP
//     KVM_CAP_SPLIT_IRQCHIP with 24 IOAPIC pins (LAPICs only, no PIC, no
//     PIT); the VMM's IOAPIC reaches the guest through MSI routes at GSI =
//     pin (CreateIoapicPinInterrupt) and hears EOIs as KVM_EXIT_IOAPIC_EOI.
// With the in-kernel LAPIC, HLT is handled in the kernel, so Run() only
// returns Halted if KVM reports KVM_EXIT_HLT anyway.
//
// State (hv::VmState): the clock (KVM_GET/SET_CLOCK) and, with the full
// irqchip, the two PICs and the IOAPIC (KVM_GET/SET_IRQCHIP) and the PIT
// (KVM_GET/SET_PIT2); a split VM's IOAPIC is a device of the VMM. The VM also
// holds what its vCPUs share for their own state: the XSAVE size
// (KVM_CAP_XSAVE2 on the VM fd) and the MSR list (kvm_msr_list.h).
//
// Memory: one KVM_SET_USER_MEMORY_REGION slot per GuestMemory region, slot
// number = region index. The VM keeps the GuestMemory alive and closes its fd
// before releasing it, so KVM never holds a stale host address.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/hv/hypervisor.h"
#include "hv_kvm/kvm_irq_routing.h"
#include "hv_kvm/kvm_msr_list.h"
#include "hv_kvm/kvm_sys.h"

namespace petrel::kvm {

// Host facts KvmHypervisor learns once and hands to each VM.
struct KvmHostInfo {
  size_t run_mmap_size = 0;           // KVM_GET_VCPU_MMAP_SIZE
  uint32_t max_vcpus = 1;             // KVM_CAP_MAX_VCPUS (else NR_VCPUS, else 4)
  uint32_t nr_memslots = 32;          // KVM_CAP_NR_MEMSLOTS
  bool ioeventfd_any_length = false;  // KVM_CAP_IOEVENTFD_ANY_LENGTH
  uint32_t max_irq_routes = kMaxGsiRoutes;  // KVM_CAP_IRQ_ROUTING
  bool adjust_clock = false;          // KVM_CAP_ADJUST_CLOCK: KVM_GET/SET_CLOCK
  std::vector<uint32_t> msr_index_list;  // KVM_GET_MSR_INDEX_LIST, MSRs to save
};

// The in-kernel IOAPIC has 24 pins (KVM_IOAPIC_NUM_PINS in asm/kvm.h).
inline constexpr uint32_t kKvmIoapicPins = 24;

class KvmVm final : public hv::Vm {
 public:
  static Result<std::shared_ptr<KvmVm>> Create(int kvm_fd, const KvmHostInfo& host,
                                               const hv::VmConfig& config);
  ~KvmVm() override;

  const hv::Caps& caps() const override { return caps_; }
  Result<void> MapMemory(std::shared_ptr<GuestMemory> memory) override;
  Result<std::unique_ptr<hv::Vcpu>> CreateVcpu(uint32_t id) override;
  Result<std::shared_ptr<hv::InterruptLine>> LegacyInterrupt(uint32_t pin) override;
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiInterrupt() override;
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateIoapicPinInterrupt(uint32_t pin) override;
  // KVM_IOEVENTFD. kUnsupported (so IoDispatcher keeps it in software) when the
  // notifier has no fd, or for len 0 without KVM_CAP_IOEVENTFD_ANY_LENGTH or
  // with a datamatch (api.rst: a zero-length ioeventfd cannot match data).
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
      std::optional<uint64_t> datamatch) override;
  // KVM_GET_CLOCK / KVM_SET_CLOCK (kvmclock); kUnsupported without
  // KVM_CAP_ADJUST_CLOCK.
  Result<hv::VmClock> GetClock() override;
  Result<void> SetClock(const hv::VmClock& clock) override;
  // The clock (when caps().vm_clock), PIC master/slave, IOAPIC and PIT.
  // RestoreState: kInvalidArgument without an irqchip (every KVM VM here
  // has one); a state without a PIT leaves the PIT at reset; a clock is set
  // last, and is kUnsupported without KVM_CAP_ADJUST_CLOCK.
  Result<hv::VmState> SaveState() override;
  Result<void> RestoreState(const hv::VmState& state) override;
  // Every slot registered again with KVM_MEM_LOG_DIRTY_PAGES set (Start)
  // or clear (Stop); TakeDirtyLog: KVM_GET_DIRTY_LOG per slot, which also
  // clears the slot's log.
  Result<void> StartDirtyLog() override;
  Result<void> StopDirtyLog() override;
  Result<DirtyBitmap> TakeDirtyLog() override;
  // Device memory takes KVM slots from the top (nr_memslots - 1 down), the
  // RAM regions' from 0 up; the id is the slot number.
  Result<uint32_t> MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) override;
  Result<void> UnmapDeviceMemory(uint32_t id) override;

 private:
  KvmVm(UniqueFd fd, const KvmHostInfo& host, const hv::VmConfig& config);
  Result<void> SetUp();
  // KVM_SET_USER_MEMORY_REGION for every region of memory_ with `flags`. mu_ held.
  Result<void> SetSlots(const GuestMemory& memory, uint32_t flags);
  // KVM_GET_DIRTY_LOG of slot `slot_index` (which clears it). mu_ held.
  Result<std::vector<uint64_t>> GetSlotDirtyLog(size_t slot_index);
  Result<hv::IrqchipState> GetIrqchip();
  Result<void> SetIrqchip(const hv::IrqchipState& irqchip);

  std::shared_ptr<GuestMemory> memory_;  // outlives fd_ (declared first)
  std::shared_ptr<const UniqueFd> fd_;
  KvmHostInfo host_;
  hv::VmConfig config_;
  hv::Caps caps_;
  std::mutex mu_;  // guards memory_ during MapMemory, and dirty_logging_
  bool dirty_logging_ = false;  // slots have KVM_MEM_LOG_DIRTY_PAGES
  struct DeviceSlot {
    uint64_t gpa, size;
  };
  std::map<uint32_t, DeviceSlot> device_slots_;  // by slot number; mu_
  std::shared_ptr<KvmIrqRouting> irq_routing_;  // MSI vectors (GSI routes + irqfds)
  size_t xsave_size_ = 4096;                    // KVM_CAP_XSAVE2, for the vCPUs
  std::shared_ptr<SavedMsrList> saved_msrs_;    // for the vCPUs' SaveState
};

}  // namespace petrel::kvm
