// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// NoSandbox (see thread_sandbox.h).
#include "core/isolation/thread_sandbox.h"

namespace petrel::isolation {

namespace {
class Unconfined final : public ThreadSandbox {
 public:
  Result<void> Confine(const char*, const SyscallRules&) override { return Ok(); }
};
}  // namespace

ThreadSandbox& NoSandbox() {
  static Unconfined none;
  return none;
}

}  // namespace petrel::isolation
