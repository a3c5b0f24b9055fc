// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmRunState and KvmKicker (see kvm_kicker.h); the kick signal is core/hv/kick_signal.h.
#include "hv_kvm/kvm_kicker.h"

#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "core/hv/kick_signal.h"

namespace petrel::kvm {

Result<std::shared_ptr<KvmRunState>> KvmRunState::Map(int vcpu_fd, size_t size) {
  if (size < sizeof(kvm_run)) {
    return Error(ErrorCode::kInternal, "KVM_GET_VCPU_MMAP_SIZE smaller than struct kvm_run");
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
  if (p == MAP_FAILED) return Error::FromErrno("mmap(kvm_run)");
  return Adopt(p, size);
}

std::shared_ptr<KvmRunState> KvmRunState::Adopt(void* map, size_t size) {
  return std::shared_ptr<KvmRunState>(new KvmRunState(static_cast<kvm_run*>(map), size));
}

KvmRunState::~KvmRunState() {
  ::munmap(run_, size_);
}

void KvmRunState::SetImmediateExit(uint8_t v) {
  std::atomic_ref<uint8_t>(run_->immediate_exit).store(v);
}

uint8_t KvmRunState::immediate_exit() const {
  return std::atomic_ref<uint8_t>(run_->immediate_exit).load();
}

void KvmRunState::EnterRun() {
  static thread_local bool unblocked = false;
  if (!unblocked) {
    auto signo = hv::VcpuKickSignal();
    if (signo.ok()) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, *signo);
      pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    }
    unblocked = true;
  }
  std::lock_guard lock(mu_);
  thread_ = pthread_self();
  in_run_ = true;
}

void KvmRunState::LeaveRun() {
  std::lock_guard lock(mu_);
  in_run_ = false;
}

void KvmRunState::BeforeKvmRun() {
  if (kick_pending_.load()) SetImmediateExit(1);
}

void KvmRunState::AfterKvmRun() {
  SetImmediateExit(0);
}

bool KvmRunState::TakeKick() {
  return kick_pending_.exchange(false);
}

void KvmRunState::Kick() {
  kick_pending_.store(true);
  SetImmediateExit(1);
  std::lock_guard lock(mu_);
  if (!in_run_) return;
  auto signo = hv::VcpuKickSignal();
  if (signo.ok()) pthread_kill(thread_, *signo);
}

}  // namespace petrel::kvm
