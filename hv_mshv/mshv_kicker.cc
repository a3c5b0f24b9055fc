// The MSHV kick protocol (see mshv_kicker.h).
#include "hv_mshv/mshv_kicker.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace petrel::mshv {
namespace {

void NoOpHandler(int) {}

struct Install {
  int signo = 0;
  int errnum = 0;
};

const Install& InstallOnce() {
  static const Install install = [] {
    Install r;
    r.signo = SIGRTMIN;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = NoOpHandler;
    sa.sa_flags = 0;  // no SA_RESTART: MSHV_RUN_VP must return EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(r.signo, &sa, nullptr) != 0) r.errnum = errno;
    return r;
  }();
  return install;
}

}  // namespace

Result<int> MshvKickSignal() {
  const Install& s = InstallOnce();
  if (s.errnum != 0) return Error::FromErrno("sigaction(SIGRTMIN)", s.errnum);
  return s.signo;
}

void MshvKickState::EnterRun() {
  static thread_local bool unblocked = false;
  if (!unblocked) {
    auto signo = MshvKickSignal();
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
  auto signo = MshvKickSignal();
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
