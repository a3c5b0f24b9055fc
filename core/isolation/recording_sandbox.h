// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordingSandbox: the test fake ThreadSandbox. It confines nothing and
// remembers which roles asked, with their rules, so a test can check that
// every thread confines itself, and with what.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/isolation/thread_sandbox.h"

namespace petrel::isolation {

class RecordingSandbox final : public ThreadSandbox {
 public:
  Result<void> Confine(const char* role, const SyscallRules& rules) override {
    std::lock_guard lock(mu_);
    confined_.emplace_back(role, rules);
    return Ok();
  }
  std::vector<std::pair<std::string, SyscallRules>> confined() const {
    std::lock_guard lock(mu_);
    return confined_;
  }
  size_t Count(const std::string& role) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [r, rules] : confined_) n += r == role ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, SyscallRules>> confined_;
};

}  // namespace petrel::isolation
