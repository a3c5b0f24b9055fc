// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// What the MSHV backend asks of the kernel on each kind of thread (see
// hv::ThreadKind), for the threads' seccomp filters. Every ioctl of
// mshv_uapi.h the backend issues is here; a new one joins this list in the
// same change.
#pragma once

#include "core/hv/hypervisor.h"
#include "core/isolation/syscall_rules.h"

namespace petrel::mshv {

isolation::SyscallRules MshvThreadSyscalls(hv::ThreadKind kind);

}  // namespace petrel::mshv
