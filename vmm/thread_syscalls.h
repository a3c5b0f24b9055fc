// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The seccomp lists of the threads the petrel binary starts itself: the
// VMM thread (main: the VM lifecycle, the control loop, snapshots,
// migration), the API server's thread and the signal thread. The vCPU
// threads' and device workers' lists are built where those threads are
// (VmInstance::VcpuThreadSyscalls, VirtioDevices), from the hypervisor's
// and the devices' own lists.
//
// The VMM thread's filter is installed first, in main(), and every other
// thread inherits it (filters stack), so the VMM list must hold every other
// list: thread_syscalls_test.cc checks that for each role and device.
#pragma once

#include "core/isolation/syscall_rules.h"

namespace petrel::vmm {

// Broad: it opens files and devices, creates VMs, threads, taps, sockets
// and memory, and installs the other threads' filters. Its ioctls are
// checked by driver (KVM, MSHV, terminal and tun, sockets, block devices).
isolation::SyscallRules VmmThreadSyscalls();
// The API thread accepts clients and reads requests, and it also carries
// out pause, resume, the power button, NMIs, snapshots, restores and
// migrations itself (vmm.cc), which need the VMM thread's calls: so its
// list is the VMM thread's for now. Narrowing it means moving those
// requests to the VMM thread, as Cloud Hypervisor's HTTP thread only
// forwards them (docs/security.md).
isolation::SyscallRules ApiThreadSyscalls();
// Waiting for SIGTERM/SIGINT.
isolation::SyscallRules SignalThreadSyscalls();

}  // namespace petrel::vmm
