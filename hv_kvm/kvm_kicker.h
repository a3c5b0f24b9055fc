// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmRunState and KvmKicker: the kvm_run mapping of one vCPU, and the
// cross-thread "leave KVM_RUN soon" mechanism.
//
// Kick protocol (api.rst, "immediate_exit" in struct kvm_run, and
// KVM_CAP_IMMEDIATE_EXIT):
//   Kick():  kick_pending = 1; kvm_run.immediate_exit = 1; if the vCPU thread
//            is inside Run(), pthread_kill(thread, SIGRTMIN).
//   Run():   before each KVM_RUN, if kick_pending, immediate_exit = 1;
//            after KVM_RUN returns, immediate_exit = 0; EINTR or
//            KVM_EXIT_INTR -> consume kick_pending, return Interrupted.
// The signal gets the thread out of a running guest; immediate_exit covers a
// signal that lands while the thread is in userspace (between two KVM_RUNs);
// kick_pending covers a Kick racing with the clear after KVM_RUN (all three are
// sequentially consistent atomics). A Kick while the thread is not in Run() is
// remembered: the next Run() returns Interrupted after completing any pending
// access.
//
// The signal handler is a process-wide no-op for SIGRTMIN, installed once
// without SA_RESTART (core/hv/kick_signal.h, shared with hv_mshv). Consequence: any blocking syscall the vCPU thread makes
// inside Run() (e.g. in a device's GuestIo handler) may fail with EINTR when a
// kick arrives; device code must retry. Signals are only sent while the thread
// is inside Run(), so a kicker never signals a thread that has exited.
#pragma once

#include <linux/kvm.h>
#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"

namespace petrel::kvm {

class KvmRunState {
 public:
  // mmap(vcpu_fd, size) of the kvm_run area (api.rst, KVM_GET_VCPU_MMAP_SIZE).
  static Result<std::shared_ptr<KvmRunState>> Map(int vcpu_fd, size_t size);
  // Takes ownership of an existing mapping (tests use anonymous memory).
  static std::shared_ptr<KvmRunState> Adopt(void* map, size_t size);
  ~KvmRunState();
  KvmRunState(const KvmRunState&) = delete;
  KvmRunState& operator=(const KvmRunState&) = delete;

  kvm_run* run() const { return run_; }
  size_t size() const { return size_; }

  // --- vCPU thread ---
  // Marks the calling thread as inside Run() (and unblocks the kick signal).
  void EnterRun();
  void LeaveRun();
  // Before KVM_RUN: re-arms immediate_exit when a kick is pending.
  void BeforeKvmRun();
  // After KVM_RUN returned: clears immediate_exit.
  void AfterKvmRun();
  // Consumes a pending kick; true if there was one.
  bool TakeKick();
  bool kick_pending() const { return kick_pending_.load(); }
  uint8_t immediate_exit() const;

  // --- any thread ---
  void Kick();

 private:
  KvmRunState(kvm_run* run, size_t size) : run_(run), size_(size) {}
  void SetImmediateExit(uint8_t v);

  kvm_run* const run_;
  const size_t size_;
  std::atomic<bool> kick_pending_{false};
  std::mutex mu_;  // guards in_run_ and thread_ against Kick()
  bool in_run_ = false;
  pthread_t thread_{};
};

class KvmKicker final : public hv::VcpuKicker {
 public:
  explicit KvmKicker(std::shared_ptr<KvmRunState> state) : state_(std::move(state)) {}
  void Kick() override { state_->Kick(); }

 private:
  std::shared_ptr<KvmRunState> state_;
};

}  // namespace petrel::kvm
