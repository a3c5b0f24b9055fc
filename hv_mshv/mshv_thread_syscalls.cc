// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvThreadSyscalls (see mshv_thread_syscalls.h).
#include "hv_mshv/mshv_thread_syscalls.h"

#include <sys/syscall.h>

#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

namespace {

// Interrupts and doorbells while the VM runs (as KVM's list): MSI routes,
// irqfds and ioeventfds from a vCPU's exit handlers or a device's
// activation.
void AddRuntimeVmIoctls(isolation::SyscallRules& rules) {
  rules.AllowIoctls({static_cast<uint32_t>(kMshvSetMsiRouting), static_cast<uint32_t>(kMshvIrqfd),
                     static_cast<uint32_t>(kMshvIoeventfd)});
}

}  // namespace

isolation::SyscallRules MshvThreadSyscalls(hv::ThreadKind kind) {
  isolation::SyscallRules rules;
  switch (kind) {
    case hv::ThreadKind::kVmm:
      // Partitions, VPs, memory, dirty bitmaps, time freeze (a hypercall):
      // every MSHV ioctl, and the mmap of each VP's message page.
      rules.AllowIoctlType(static_cast<uint8_t>(kMshvIoctlType));
      rules.Allow({SYS_openat, SYS_mmap, SYS_munmap});
      break;
    case hv::ThreadKind::kVcpu:
      // Running the VP, its state and registers (the register hypercalls,
      // also the instruction emulator's), interrupt injection.
      rules.AllowIoctls({static_cast<uint32_t>(kMshvRunVp), static_cast<uint32_t>(kMshvGetVpState),
                         static_cast<uint32_t>(kMshvSetVpState),
                         static_cast<uint32_t>(kMshvRootHvcall)});
      AddRuntimeVmIoctls(rules);
      break;
    case hv::ThreadKind::kDeviceWorker:
      AddRuntimeVmIoctls(rules);
      break;
  }
  return rules;
}

}  // namespace petrel::mshv
