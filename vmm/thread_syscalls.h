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
// Accepting API clients, reading requests (with passed fds), answering.
isolation::SyscallRules ApiThreadSyscalls();
// Waiting for SIGTERM/SIGINT.
isolation::SyscallRules SignalThreadSyscalls();

}  // namespace petrel::vmm
