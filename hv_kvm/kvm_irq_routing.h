// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmIrqRouting: the VM's GSI routing table (api.rst KVM_SET_GSI_ROUTING)
// and MSI vectors as irqfds (api.rst KVM_IRQFD).
//
// KVM_SET_GSI_ROUTING replaces the whole table, so with the full in-kernel
// irqchip the table Petrel installs always starts with KVM's default routes
// (virt/kvm/irqchip.c + arch/x86/kvm/irq_comm.c default_routing): GSI 0-15 to
// the PIC (chip 0 pins 0-7, chip 1 pins 0-7) *and* IOAPIC pin n, GSI 16-23 to
// IOAPIC pin n. MSI vectors take GSIs from 24 (kFirstMsiGsi) upward, one
// KVM_IRQ_ROUTING_MSI entry each, and an irqfd binds the vector's eventfd to
// its GSI so Signal() is a single eventfd write that KVM turns into the MSI.
//
// With the split irqchip (KVM_CAP_SPLIT_IRQCHIP) there is no in-kernel PIC
// or IOAPIC and no default route. GSIs 0-23 are then the userspace IOAPIC's
// pins, each an MSI route at GSI = pin (CreateMsiAtPin): KVM derives the
// vCPUs' EOI-exit bitmaps from the MSI routes below its IOAPIC pin count
// (arch/x86/kvm/irq_comm.c kvm_scan_ioapic_routes), so a level-triggered
// pin's EOI comes back as KVM_EXIT_IOAPIC_EOI only if its route sits there.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <linux/kvm.h>

#include "core/hv/hypervisor.h"
#include "hv_kvm/kvm_sys.h"

namespace petrel::kvm {

inline constexpr uint32_t kFirstMsiGsi = 24;  // after the 24 IOAPIC pins

// struct kvm_irq_routing's 8-byte header. <linux/kvm.h> declares its entries
// with __DECLARE_FLEX_ARRAY, which C++ sizes as 8 bytes more than C does, so
// the header's KVM_SET_GSI_ROUTING number is wrong in C++ (see
// kvm_state_convert.h for the same trap with kvm_cpuid2/kvm_msrs).
struct KvmIrqRoutingHeader {
  uint32_t nr;
  uint32_t flags;
};
inline constexpr unsigned long kKvmSetGsiRouting = _IOW(KVMIO, 0x6a, KvmIrqRoutingHeader);
static_assert(kKvmSetGsiRouting == 0x4008ae6a, "the value a C compiler computes");
static_assert(sizeof(kvm_irq_routing_entry) == 48);
// api.rst KVM_CAP_IRQ_ROUTING: the kernel's limit is KVM_MAX_IRQ_ROUTES (4096).
inline constexpr uint32_t kMaxGsiRoutes = 4096;

// The routing entries for `msis` (gsi -> message), after the default
// irqchip routes when `kernel_irqchip`, in GSI order. Pure, for unit tests.
std::vector<kvm_irq_routing_entry> BuildGsiRoutes(const std::map<uint32_t, hv::MsiMessage>& msis,
                                                  bool kernel_irqchip = true);

class KvmIrqRouting : public std::enable_shared_from_this<KvmIrqRouting> {
 public:
  // `kernel_irqchip`: the full in-kernel irqchip (default routes first);
  // false: the split irqchip.
  explicit KvmIrqRouting(std::shared_ptr<const UniqueFd> vm_fd, uint32_t max_routes = kMaxGsiRoutes,
                         bool kernel_irqchip = true)
      : vm_fd_(std::move(vm_fd)), max_routes_(max_routes), kernel_irqchip_(kernel_irqchip) {}

  // A new MSI vector: a free GSI from kFirstMsiGsi with message 0:0, an
  // eventfd and its irqfd.
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsi();
  // The MSI for userspace IOAPIC pin `pin` (0..23) at GSI `pin`; split
  // irqchip only (kFailedPrecondition otherwise); kAlreadyExists if taken.
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiAtPin(uint32_t pin);

 private:
  class Msi;
  Result<void> SetMessage(uint32_t gsi, const hv::MsiMessage& message);
  void Release(uint32_t gsi);
  Result<void> InstallLocked();
  // Installs a route for `gsi` (must be free) and binds an irqfd to it.
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiAt(std::unique_lock<std::mutex> lock,
                                                        uint32_t gsi);

  std::shared_ptr<const UniqueFd> vm_fd_;
  uint32_t max_routes_;
  const bool kernel_irqchip_;
  std::mutex mu_;
  std::map<uint32_t, hv::MsiMessage> msis_;  // gsi -> message
};

}  // namespace petrel::kvm
