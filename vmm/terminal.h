// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Terminal: puts the controlling terminal (stdin) in raw mode while a guest
// console is attached to it, and restores it on every exit path.
//
// Raw mode means every key, Ctrl-C included, goes to the guest, as with Cloud
// Hypervisor's `--serial tty`. The saved settings are restored by the
// destructor, by an atexit() hook (exit() from anywhere), and by fatal-signal
// handlers (SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT ...) that restore and
// then re-raise the signal. When stdin is not a terminal nothing is changed.
#pragma once

#include "core/base/result.h"

namespace petrel::vmm {

class RawTerminal {
 public:
  // Switches stdin to raw mode if it is a terminal.
  static Result<RawTerminal> Enter();
  RawTerminal(RawTerminal&& other) noexcept : active_(other.active_) { other.active_ = false; }
  RawTerminal& operator=(RawTerminal&&) = delete;
  ~RawTerminal();

  bool active() const { return active_; }
  // Restores the saved settings now; later calls do nothing. Async-signal-safe.
  static void Restore();

 private:
  explicit RawTerminal(bool active) : active_(active) {}
  bool active_;
};

}  // namespace petrel::vmm
