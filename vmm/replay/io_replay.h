// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ReplayIoTrace: replays a recorded run's device accesses (an IoTrace from
// `petrel --record-io`, typically made on KVM) against fresh devices built on
// hv_sim from the same VM config, and reports the first read whose data
// differs from what the recorded devices answered.
//
// The VM is built as the petrel binary builds it (VmInstance, same config),
// but no vCPU runs: the replayer makes each recorded access itself through
// the VM's IoDispatcher, in the trace's time order, with the devices'
// monotonic clock moved to each record's time first (a virtual clock), so
// timers (PM timer, RTC alarms, debug-port stamps) see the recorded timing.
// Writes and EOIs are made as recorded; reads are made and compared. The
// interrupts the fresh devices raise (MSIs, pin levels) are recorded too and
// compared, in order, with the recorded run's.
//
// Not replayed: guest RAM (the trace holds no DMA), so a virtio device sees
// the recorded doorbells but not the buffers behind them (and raises other
// interrupts than it did). Calendar time is a fixed
// virtual clock (the recorded run's RTC reads differ). See
// docs/record-replay.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/io/io_trace.h"
#include "vmm/config/vm_config.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

struct IoReplayReport {
  uint64_t accesses = 0;    // records replayed
  uint64_t reads = 0;       // of them, reads compared
  uint64_t divergences = 0; // reads whose data differed
  // The first differing read: its record index (0-based), the record, and
  // what the fresh devices answered.
  std::optional<uint64_t> first_index;
  std::optional<IoTraceRecord> first_recorded;
  std::vector<uint8_t> first_replayed;
  uint64_t interrupts_recorded = 0;
  uint64_t interrupts_raised = 0;  // by the fresh devices
  // "interrupt 3: expected vcpu - msi 0xfee00000 30000000, got ..." (FirstDifference).
  std::optional<std::string> interrupt_difference;
  bool matched() const { return divergences == 0 && !interrupt_difference; }
  // "replayed 30 accesses (6 reads compared), 0 differing reads; 2 interrupts
  // recorded, 2 raised, identical", with the first differences named.
  std::string Describe() const;
};

struct IoReplayOptions {
  // The backend the fresh VM is built on: hv_sim (no vCPU runs).
  VmInstance::HypervisorFactory open_hypervisor;
  // Calendar time the fresh CMOS RTC reads (ns since the Unix epoch).
  uint64_t wall_clock_ns = 0;
};

Result<IoReplayReport> ReplayIoTrace(std::span<const IoTraceRecord> trace,
                                     const config::VmConfig& config,
                                     const IoReplayOptions& options);

}  // namespace petrel::vmm
