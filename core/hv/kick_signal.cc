// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VcpuKickSignal (see kick_signal.h).
#include "core/hv/kick_signal.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

namespace petrel::hv {
namespace {

void NoOpHandler(int) {}

struct SignalInstall {
  int signo = 0;
  int errnum = 0;
};

const SignalInstall& InstallOnce() {
  static const SignalInstall install = [] {
    SignalInstall r;
    r.signo = SIGRTMIN;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = NoOpHandler;
    sa.sa_flags = 0;  // no SA_RESTART: the run ioctl must return EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(r.signo, &sa, nullptr) != 0) r.errnum = errno;
    return r;
  }();
  return install;
}

}  // namespace

Result<int> VcpuKickSignal() {
  const SignalInstall& s = InstallOnce();
  if (s.errnum != 0) return Error::FromErrno("sigaction(SIGRTMIN)", s.errnum);
  return s.signo;
}

}  // namespace petrel::hv
