// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// HandleKvmExit: decodes one kvm_run exit (after KVM_RUN returned 0) into
// either a dispatched guest access or a neutral control exit.
//
// Completion rule (api.rst, "KVM_EXIT_IO"/"KVM_EXIT_MMIO" and the note after
// the kvm_run exit union): for an IO or MMIO exit, the access is complete —
// IN/MMIO-read data copied into the guest, RIP advanced — only when userspace
// enters KVM_RUN again. The kernel first finishes the pending access and only
// then checks immediate_exit and pending signals, so re-entering with
// immediate_exit = 1 completes the access without running further guest
// instructions. HandleKvmExit only performs the device side: it writes read
// data into kvm_run and returns false, and the caller must re-enter.
//
// Everything the guest controls in kvm_run (port access size, string count,
// data offset, MMIO length) is checked against the kvm_run mapping size and
// the sizes KVM documents; a bad value becomes exit::InternalError.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/hv/hypervisor.h"

namespace petrel::kvm {

// kvm_run.mmio.data is 8 bytes (api.rst, KVM_EXIT_MMIO).
inline constexpr uint32_t kMaxMmioLen = 8;

// Returns false when an IO/MMIO access or an IOAPIC EOI was handed to `io` (re-enter KVM_RUN
// to complete it); otherwise stores the control exit in *exit and returns
// true. `run_size` is the size of the mapping `run` points into
// (KVM_GET_VCPU_MMAP_SIZE).
bool HandleKvmExit(kvm_run& run, size_t run_size, uint32_t vcpu, hv::GuestIo& io,
                   hv::VcpuExit* exit);

// "KVM internal error, suberror 1 (emulation failure), ..." for logs/exits.
std::string DescribeInternalError(const kvm_run& run);

}  // namespace petrel::kvm
