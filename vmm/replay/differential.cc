// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordRun and FirstDifference (see differential.h).
#include "vmm/replay/differential.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "vmm/console_output.h"

namespace petrel::vmm {
Result<RecordedRun> RecordRun(const config::VmConfig& config,
                              const VmInstance::HypervisorFactory& open_hypervisor,
                              std::chrono::milliseconds limit) {
  IoTrace trace;
  VmOptions options;
  options.attach_input = false;
  options.serial_output_override = MakeNullOutput();
  options.console_output_override = MakeNullOutput();
  options.io_trace = &trace;
  PETREL_ASSIGN_OR_RETURN(auto vm, VmInstance::Create(config, open_hypervisor, std::move(options)));
  // The watchdog: a guest that never stops by itself is stopped at `limit`.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  VmInstance* running = vm.get();
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
      running->RequestStop({StopReason::Kind::kError,
                            "the guest did not stop within " + std::to_string(limit.count()) + " ms"});
    }
  });
  Result<StopReason> stop = vm->Run();
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  PETREL_TRY(stop);
  return RecordedRun{trace.records(), *stop};
}

std::optional<std::string> FirstDifference(std::span<const IoTraceRecord> expected,
                                           std::span<const IoTraceRecord> got) {
  const size_t n = expected.size() < got.size() ? expected.size() : got.size();
  for (size_t i = 0; i < n; ++i) {
    const IoTraceRecord& e = expected[i];
    const IoTraceRecord& g = got[i];
    if (e.vcpu != g.vcpu || e.kind != g.kind || e.addr != g.addr || e.data != g.data) {
      return "access " + std::to_string(i) + ": expected " + DescribeAccess(e) + ", got " + DescribeAccess(g);
    }
  }
  if (expected.size() == got.size()) return std::nullopt;
  if (expected.size() > got.size()) {
    return "access " + std::to_string(n) + ": expected " + DescribeAccess(expected[n]) +
           ", got nothing (the run ended after " + std::to_string(got.size()) + " accesses)";
  }
  return "access " + std::to_string(n) + ": expected nothing (" + std::to_string(expected.size()) +
         " accesses), got " + DescribeAccess(got[n]);
}

}  // namespace petrel::vmm
