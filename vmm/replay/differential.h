// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Differential runs: the same guest on two backends must make the same
// device accesses. RecordRun() runs a VM to its end on any backend with a
// RecordingGuestIo (VmOptions::io_trace) and returns what it did;
// FirstDifference() compares two such sequences by vCPU, kind, address and
// data (not time) and names the first access that differs. petrel-replay
// --differential compares a KVM recording with the same guest interpreted on
// hv_sim (docs/record-replay.md).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/io/io_trace.h"
#include "vmm/config/vm_config.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

// Builds the VM from `config` on `open_hypervisor`'s backend, runs it until
// it stops (power off, reset, error) or `limit` of wall time passes (a guest
// that halts for good: the stop is then an error saying so) and returns its
// device accesses and the stop reason.
struct RecordedRun {
  std::vector<IoTraceRecord> accesses;
  StopReason stop;
};
Result<RecordedRun> RecordRun(const config::VmConfig& config,
                              const VmInstance::HypervisorFactory& open_hypervisor,
                              std::chrono::milliseconds limit = std::chrono::seconds(10));

// "access 3: expected vcpu 0 pio-write 0x3f8 50, got vcpu 0 pio-write 0x3f8 51",
// or one sequence ending early; nullopt when they are equal.
std::optional<std::string> FirstDifference(std::span<const IoTraceRecord> expected,
                                           std::span<const IoTraceRecord> got);

}  // namespace petrel::vmm
