// VcpuThread: one host thread running one vCPU.
//
// The thread calls Vcpu::Run() in a loop. I/O is completed inside Run(); the
// loop only looks at control exits. Exits that end the VM's run (reset, power
// off, triple fault, errors) are reported once through `on_stop`, and the
// thread ends. RequestStop() (any thread) kicks the vCPU out of the guest and
// ends the loop.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/hv/hypervisor.h"

namespace petrel::vmm {

// Why a VM stopped running.
struct StopReason {
  // kShutdown: the VMM (e.g. the API) stopped the VM; the rest come from the guest.
  enum class Kind { kReset, kPowerOff, kTripleFault, kShutdown, kError };
  Kind kind;
  std::string detail;
};

class VcpuThread {
 public:
  using OnStop = std::function<void(const StopReason&)>;
  // `on_first_entry` runs on the vCPU thread just before its first Run().
  VcpuThread(std::unique_ptr<hv::Vcpu> vcpu, hv::GuestIo& io, OnStop on_stop,
             std::function<void()> on_first_entry = {});
  ~VcpuThread();
  VcpuThread(const VcpuThread&) = delete;
  VcpuThread& operator=(const VcpuThread&) = delete;

  void Start();
  void RequestStop();
  void Join();

 private:
  void Loop();
  void RunUntilStopped();

  std::unique_ptr<hv::Vcpu> vcpu_;
  hv::GuestIo& io_;
  OnStop on_stop_;
  std::function<void()> on_first_entry_;
  std::shared_ptr<hv::VcpuKicker> kicker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Maps a control exit to a stop reason; nullopt-like false if the VM keeps running.
bool ExitStopsVm(const hv::VcpuExit& exit, StopReason* reason);

}  // namespace petrel::vmm
