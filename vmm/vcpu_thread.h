// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VcpuThread: one host thread running one vCPU.
//
// The thread calls Vcpu::Run() in a loop. I/O is completed inside Run(); the
// loop only looks at control exits. Exits that end the VM's run (reset, power
// off, triple fault, errors) are reported once through `on_stop`, and the
// thread ends. RequestStop() (any thread) kicks the vCPU out of the guest and
// ends the loop.
//
// Pause (VmInstance::Pause): Pause() (any thread) asks the thread to leave
// the guest (a kick) and park between two Run()s; before it parks it reads
// its complete state through the backend-neutral interface (paused_state()) and
// then acknowledges. Pause() returns once the thread is parked, or has
// ended, or `timeout` passed. Resume() lets it run again. A parked thread
// still ends on RequestStop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/hv/hypervisor.h"
#include "core/isolation/thread_sandbox.h"

namespace petrel::vmm {

// Why a VM stopped running.
struct StopReason {
  // kShutdown: the VMM (e.g. the API) stopped the VM; the rest come from the guest.
  enum class Kind { kReset, kPowerOff, kTripleFault, kShutdown, kError };
  Kind kind;
  std::string detail;
};

// A parked vCPU's complete state (hv::Vcpu::SaveState), for snapshots.
struct VcpuState {
  uint32_t id = 0;
  hv::VcpuState cpu;
};

class VcpuThread {
 public:
  using OnStop = std::function<void(const StopReason&)>;
  // `on_first_entry` runs on the vCPU thread just before its first Run().
  // The thread first confines itself with `sandbox` to `syscalls` (the
  // hypervisor's vCPU needs and those of the device handlers its exits
  // reach); if it cannot, the VM stops with that error before the guest
  // runs. `sandbox` must outlive the thread.
  VcpuThread(std::unique_ptr<hv::Vcpu> vcpu, hv::GuestIo& io, OnStop on_stop,
             std::function<void()> on_first_entry = {},
             isolation::ThreadSandbox& sandbox = isolation::NoSandbox(),
             isolation::SyscallRules syscalls = {});
  ~VcpuThread();
  VcpuThread(const VcpuThread&) = delete;
  VcpuThread& operator=(const VcpuThread&) = delete;

  void Start();
  // Starts the thread parked, as if Pause() had been called just before
  // (a restored VM starts paused): it parks before its first Run().
  void StartPaused();
  void RequestStop();
  void Join();

  // Kicks the vCPU out of the guest and waits until the thread has parked
  // with its state saved (Ok), or has ended (kFailedPrecondition), or
  // `timeout` passed (kBusy; the request stays until Resume()). An error in
  // saving the state is returned too (the thread is parked anyway). Not
  // before Start().
  Result<void> Pause(std::chrono::milliseconds timeout);
  // Withdraws the pause request; a parked thread runs the guest again.
  void Resume();
  bool parked() const;
  // After Join(): hands back the vCPU (a hot-unplugged vCPU is kept, as KVM
  // cannot create the same vCPU id twice, and plugged in again later).
  std::unique_ptr<hv::Vcpu> ReleaseVcpu();
  // The state saved when the thread last parked (nullopt before that).
  std::optional<VcpuState> paused_state() const;

 private:
  void Loop();
  void RunUntilStopped();
  void Park();
  Result<VcpuState> SaveState();

  std::unique_ptr<hv::Vcpu> vcpu_;
  hv::GuestIo& io_;
  OnStop on_stop_;
  std::function<void()> on_first_entry_;
  std::shared_ptr<hv::VcpuKicker> kicker_;
  std::atomic<bool> stop_{false};
  // Pause handshake. pause_requested_ is written under mu_ (so a parked
  // thread cannot miss its change) and read without it between Run()s.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> pause_requested_{false};
  bool parked_ = false;  // under mu_
  bool ended_ = false;   // under mu_: the loop has returned
  std::optional<VcpuState> paused_state_;  // under mu_
  std::optional<Error> park_error_;        // under mu_
  isolation::ThreadSandbox& sandbox_;
  const isolation::SyscallRules syscalls_;
  std::thread thread_;
};

// Maps a control exit to a stop reason; nullopt-like false if the VM keeps running.
bool ExitStopsVm(const hv::VcpuExit& exit, StopReason* reason);

// One Vcpu::Run() and what it means for the VM, the step both runners
// (VcpuThread and VmInstance's inline runner) take: kStop with *reason set
// (a Run() error or an exit ExitStopsVm maps), kHalted (nothing can wake the
// vCPU but a kick or an interrupt), else kRunning.
enum class VcpuStep { kRunning, kHalted, kStop };
VcpuStep RunVcpuOnce(hv::Vcpu& vcpu, hv::GuestIo& io, StopReason* reason);

}  // namespace petrel::vmm
