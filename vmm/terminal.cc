// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RawTerminal (see terminal.h).
#include "vmm/terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace petrel::vmm {
namespace {

termios g_saved;
std::atomic<bool> g_saved_valid{false};

constexpr int kFatalSignals[] = {SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
                                 SIGBUS,  SIGILL, SIGFPE,  SIGABRT};

void RestoreAndReraise(int sig) {
  RawTerminal::Restore();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void RawTerminal::Restore() {
  if (g_saved_valid.exchange(false)) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
}

Result<RawTerminal> RawTerminal::Enter() {
  if (!isatty(STDIN_FILENO)) return RawTerminal(false);
  if (tcgetattr(STDIN_FILENO, &g_saved) != 0) return Error::FromErrno("tcgetattr(stdin)");
  termios raw = g_saved;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" for the VMM's own messages
  g_saved_valid.store(true);
  static bool hooks_installed = false;
  if (!hooks_installed) {
    hooks_installed = true;
    std::atexit(&RawTerminal::Restore);
    for (int sig : kFatalSignals) {
      struct sigaction sa {};
      sa.sa_handler = &RestoreAndReraise;
      sigemptyset(&sa.sa_mask);
      sigaction(sig, &sa, nullptr);
    }
  }
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) {
    g_saved_valid.store(false);
    return Error::FromErrno("tcsetattr(stdin, raw)");
  }
  return RawTerminal(true);
}

RawTerminal::~RawTerminal() {
  if (active_) Restore();
}

}  // namespace petrel::vmm
