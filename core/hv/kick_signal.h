// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The signal that kicks a vCPU thread out of the hypervisor's run ioctl
// (KVM_RUN, MSHV_RUN_VP): SIGRTMIN with a no-op handler installed without
// SA_RESTART, so the ioctl returns EINTR. One handler for every backend.
#pragma once

#include "core/base/result.h"

namespace petrel::hv {

// Installs the handler once (thread-safe); returns the signal number.
Result<int> VcpuKickSignal();

}  // namespace petrel::hv
