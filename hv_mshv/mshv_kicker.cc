// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The MSHV kick protocol (see mshv_kicker.h).
#include "hv_mshv/mshv_kicker.h"

#include <signal.h>

#include <cerrno>
#include <thread>

#include "core/hv/kick_signal.h"

namespace petrel::mshv {

void MshvKickState::EnterRun() {
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

void MshvKickState::LeaveRun() {
  std::lock_guard lock(mu_);
  in_run_ = false;
}

bool MshvKickState::SignalIfInRun() {
  std::lock_guard lock(mu_);
  if (!in_run_) return false;
  auto signo = hv::VcpuKickSignal();
  if (signo.ok()) pthread_kill(thread_, *signo);
  return true;
}

void MshvKickState::Kick() {
  kick_pending_.store(true);
  for (int i = 0; i < kMaxRekicks; ++i) {
    if (!SignalIfInRun() || !kick_pending_.load()) return;
    std::this_thread::sleep_for(kRekickInterval);
    if (!kick_pending_.load()) return;  // the vCPU took it
  }
}

}  // namespace petrel::mshv
