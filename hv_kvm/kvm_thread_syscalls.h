// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// What the KVM backend asks of the kernel on each kind of thread (see
// hv::ThreadKind), for the threads' seccomp filters. Every ioctl number the
// backend's files issue is here; a new ioctl in hv_kvm joins this list in
// the same change (kvm_thread_syscalls_test.cc names the usual ones).
#pragma once

#include "core/hv/hypervisor.h"
#include "core/isolation/syscall_rules.h"

namespace petrel::kvm {

isolation::SyscallRules KvmThreadSyscalls(hv::ThreadKind kind);

}  // namespace petrel::kvm
