// ReplayIoTrace (see io_replay.h).
#include "vmm/replay/io_replay.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "core/base/clock.h"
#include "vmm/console_output.h"

namespace petrel::vmm {
std::string IoReplayReport::Describe() const {
  std::ostringstream s;
  s << "replayed " << accesses << " accesses (" << reads << " reads compared), " << divergences
    << " differing reads";
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
  for (size_t index : order) {
    const IoTraceRecord& r = trace[index];
    monotonic.AdvanceTo(r.time_ns);
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
  return report;
}

}  // namespace petrel::vmm
