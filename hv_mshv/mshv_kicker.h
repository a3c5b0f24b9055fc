// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvKickState and MshvKicker: making a vCPU thread leave MSHV_RUN_VP soon.
//
// MSHV has no `immediate_exit` (KVM's flag that makes the next KVM_RUN
// return at once), so a kick is a pending flag plus a signal:
//   Kick():  kick_pending = 1; while the vCPU thread is inside Run(),
//            pthread_kill(thread, SIGRTMIN), repeated every kRekickInterval
//            until the thread has taken the kick or left Run(), at most
//            kMaxRekicks times.
//   Run():   before each MSHV_RUN_VP, a pending kick returns Interrupted
//            without entering; MSHV_RUN_VP failing with EINTR (the kernel
//            leaves the guest when the thread has a signal pending) returns
//            Interrupted.
// The repetition covers a signal that lands between the pending check and
// the ioctl: its no-op handler runs in userspace and MSHV_RUN_VP would
// otherwise enter a guest that may not exit for a long time (the LAPIC is in
// the hypervisor, so HLT does not exit).
//
// The handler is a process-wide no-op for SIGRTMIN without SA_RESTART, the
// one core/hv/kick_signal.h installs for every backend. Blocking syscalls a
// device makes on the vCPU thread inside Run() may see EINTR.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"

namespace petrel::mshv {

class MshvKickState {
 public:
  static constexpr std::chrono::microseconds kRekickInterval{200};
  static constexpr int kMaxRekicks = 500;  // 100 ms

  // --- vCPU thread ---
  void EnterRun();
  void LeaveRun();
  bool TakeKick() { return kick_pending_.exchange(false); }
  bool kick_pending() const { return kick_pending_.load(); }

  // --- any thread ---
  void Kick();

 private:
  bool SignalIfInRun();

  std::atomic<bool> kick_pending_{false};
  std::mutex mu_;  // guards in_run_ and thread_
  bool in_run_ = false;
  pthread_t thread_{};
};

class MshvKicker final : public hv::VcpuKicker {
 public:
  explicit MshvKicker(std::shared_ptr<MshvKickState> state) : state_(std::move(state)) {}
  void Kick() override { state_->Kick(); }

 private:
  std::shared_ptr<MshvKickState> state_;
};

}  // namespace petrel::mshv
