// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SeccompSandbox: the production ThreadSandbox, a seccomp-BPF filter per
// thread compiled with libseccomp, and Cloud Hypervisor's --seccomp modes.
//
//   true  (default) a forbidden call raises SIGSYS; the handler writes the
//         thread's role, the call's name and number to stderr and to the
//         log file, then ends the process (exit status 159, 128 + SIGSYS,
//         without a core file: a core would hold guest memory)
//   log   the kernel logs the call (the audit log, dmesg) and lets it run:
//         for finding what a new code path needs
//   errno the call fails with EPERM (Cloud Hypervisor's `errno`)
//   false no filter
//
// Each Confine() sets no_new_privs first (the kernel requires it of an
// unprivileged thread that installs a filter) and unblocks SIGSYS in the
// calling thread (worker threads block every signal; a blocked SIGSYS
// would kill the process without the report).
#pragma once

#include <string_view>

#include "core/base/result.h"
#include "core/isolation/seccomp_mode.h"
#include "core/isolation/thread_sandbox.h"

namespace petrel::isolation {

class SeccompSandbox final : public ThreadSandbox {
 public:
  // kTrap installs the process's SIGSYS handler (once; it and the syscall
  // name table it reads are set up here, not in the handler).
  explicit SeccompSandbox(SeccompMode mode);
  Result<void> Confine(const char* role, const SyscallRules& rules) override;
  SeccompMode mode() const { return mode_; }

 private:
  const SeccompMode mode_;
};

// The role the calling thread confined itself as; nullptr if none.
const char* ConfinedRole();

}  // namespace petrel::isolation
