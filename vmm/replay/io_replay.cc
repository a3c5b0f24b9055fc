// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ReplayIoTrace (see io_replay.h).
#include "vmm/replay/io_replay.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "core/base/clock.h"
#include "vmm/console_output.h"
#include "vmm/replay/differential.h"

namespace petrel::vmm {
std::string IoReplayReport::Describe() const {
  std::ostringstream s;
  s << "replayed " << accesses << " accesses (" << reads << " reads compared), " << divergences
    << " differing reads; " << interrupts_recorded << " interrupts recorded, " << interrupts_raised
    << " raised, " << (interrupt_difference ? *interrupt_difference : std::string("identical"));
  if (first_index && first_recorded) {
    IoTraceRecord access = *first_recorded;
    access.data.clear();
    std::string what = DescribeAccess(access);
    what.resize(what.size() - 2);  // without the " -" of the empty data
    s << "; first: record " << *first_index << " (t=" << first_recorded->time_ns << " ns "
      << what << "): recorded " << IoTraceHex(first_recorded->data) << ", replayed "
      << IoTraceHex(first_replayed);
  }
  return s.str();
}

Result<IoReplayReport> ReplayIoTrace(std::span<const IoTraceRecord> trace,
                                     const config::VmConfig& config,
                                     const IoReplayOptions& options) {
  VirtualClock monotonic(0);
  VirtualClock wall(options.wall_clock_ns);
  VmOptions vm_options;
  vm_options.attach_input = false;
  vm_options.serial_output_override = MakeNullOutput();
  vm_options.console_output_override = MakeNullOutput();
  vm_options.monotonic_clock = &monotonic;
  vm_options.wall_clock = &wall;
  // Records only the fresh devices' interrupts: the accesses below go to the
  // IoDispatcher itself, not through the recording wrapper.
  IoTrace raised;
  vm_options.io_trace = &raised;
  PETREL_ASSIGN_OR_RETURN(auto vm, VmInstance::Create(config, options.open_hypervisor,
                                                      std::move(vm_options))
                                       .Wrap("building the VM to replay on"));
  IoDispatcher& io = vm->io();

  // Time order; records of one time keep their recorded order.
  std::vector<size_t> order(trace.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return trace[a].time_ns < trace[b].time_ns; });

  IoReplayReport report;
  std::vector<uint8_t> got;
  std::vector<IoTraceRecord> recorded_interrupts;
  for (size_t index : order) {
    const IoTraceRecord& r = trace[index];
    monotonic.AdvanceTo(r.time_ns);
    if (IsInterruptRecord(r)) {
      recorded_interrupts.push_back(r);
      continue;
    }
    ++report.accesses;
    using Kind = IoTraceRecord::Kind;
    switch (r.kind) {
      case Kind::kPioWrite:
        io.PioWrite(r.vcpu, static_cast<uint16_t>(r.addr), r.data);
        continue;
      case Kind::kMmioWrite:
        io.MmioWrite(r.vcpu, r.addr, r.data);
        continue;
      case Kind::kEoi:
        io.EndOfInterrupt(r.vcpu, static_cast<uint8_t>(r.addr));
        continue;
      case Kind::kPioRead:
      case Kind::kMmioRead:
        break;
      case Kind::kMsi:
      case Kind::kPin:
        continue;  // taken out above
    }
    got.assign(r.data.size(), 0);
    if (r.kind == Kind::kPioRead) {
      io.PioRead(r.vcpu, static_cast<uint16_t>(r.addr), got);
    } else {
      io.MmioRead(r.vcpu, r.addr, got);
    }
    ++report.reads;
    if (got != r.data) {
      if (report.divergences++ == 0) {
        report.first_index = index;
        report.first_recorded = r;
        report.first_replayed = got;
      }
    }
  }
  const std::vector<IoTraceRecord> raised_interrupts = raised.records();
  report.interrupts_recorded = recorded_interrupts.size();
  report.interrupts_raised = raised_interrupts.size();
  if (auto diff = FirstDifference(recorded_interrupts, raised_interrupts)) {
    report.interrupt_difference = "interrupt " + diff->substr(diff->find(' ') + 1);
  }
  return report;
}

}  // namespace petrel::vmm
