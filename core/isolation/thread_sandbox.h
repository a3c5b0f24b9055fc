// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ThreadSandbox: how a thread confines itself to its role's system calls.
//
// A thread calls Confine() on itself, first thing, before it touches guest
// data (a vCPU before its first KVM_RUN, a device worker before its first
// handler, the API thread before its first request). The production
// sandbox (seccomp.h) installs a seccomp filter built from the rules; the
// VMM gets it as a host service, so tests on hv_sim run the same threads
// with NoSandbox() or a recording fake (recording_sandbox.h).
//
// Filters stack: a thread inherits the filters of the thread that created
// it and adds its own, and a call must pass all of them. So the VMM
// thread's list must hold every list of the threads it starts (checked by
// role_rules_test.cc).
#pragma once

#include <string_view>

#include "core/base/result.h"
#include "core/isolation/syscall_rules.h"

namespace petrel::isolation {

class ThreadSandbox {
 public:
  virtual ~ThreadSandbox() = default;
  // Confines the calling thread, for good, to `rules` plus
  // CommonThreadSyscalls(). `role` names the thread in a violation report
  // ("vcpu", "virtio-blk worker", ...); it must outlive the thread (a
  // string literal).
  virtual Result<void> Confine(const char* role, const SyscallRules& rules) = 0;
};

// Confines nothing (seccomp off, tests, the replay tool).
ThreadSandbox& NoSandbox();

}  // namespace petrel::isolation
