// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmThreadSyscalls (see kvm_thread_syscalls.h).
#include "hv_kvm/kvm_thread_syscalls.h"

#include <linux/kvm.h>
#include <sys/syscall.h>

#include "hv_kvm/kvm_irq_routing.h"
#include "hv_kvm/kvm_msr_filter.h"
#include "hv_kvm/kvm_state_convert.h"

namespace petrel::kvm {

namespace {

// Interrupts and doorbells while the VM runs: a guest reprogramming an MSI-X
// vector or a BAR (vCPU thread), a device activating (its worker), a pin on
// the in-kernel irqchip.
void AddRuntimeVmIoctls(isolation::SyscallRules& rules) {
  rules.AllowIoctls({kKvmSetGsiRouting, KVM_IRQFD, KVM_IOEVENTFD, KVM_IRQ_LINE, KVM_SIGNAL_MSI,
                     KVM_CHECK_EXTENSION});
}

}  // namespace

isolation::SyscallRules KvmThreadSyscalls(hv::ThreadKind kind) {
  isolation::SyscallRules rules;
  switch (kind) {
    case hv::ThreadKind::kVmm:
      // Creating VMs, vCPUs and memory slots, the irqchip, the clock, dirty
      // logs, state for snapshots: every KVM ioctl (type KVMIO), and the
      // mmap of each vCPU's run structure.
      rules.AllowIoctlType(KVMIO);
      rules.Allow({SYS_openat, SYS_mmap, SYS_munmap});
      break;
    case hv::ThreadKind::kVcpu:
      // KVM_RUN, and the state a pause saves and a restore sets, on the
      // vCPU's own thread (kvm_vcpu.cc).
      rules.AllowIoctls({KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
                         KVM_GET_FPU, KVM_SET_FPU, kKvmGetMsrs, kKvmSetMsrs, kKvmSetCpuid2,
                         KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
                         KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_GET_DEBUGREGS,
                         KVM_SET_DEBUGREGS, KVM_GET_XCRS, KVM_SET_XCRS, kKvmGetXsave,
                         kKvmGetXsave2, kKvmSetXsave, KVM_GET_XSAVE, KVM_SET_XSAVE,
                         KVM_KVMCLOCK_CTRL});
      AddRuntimeVmIoctls(rules);
      break;
    case hv::ThreadKind::kDeviceWorker:
      AddRuntimeVmIoctls(rules);
      break;
  }
  return rules;
}

}  // namespace petrel::kvm
