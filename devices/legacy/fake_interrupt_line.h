// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeInterruptLine: a test double for hv::InterruptLine that records every
// level it is driven to. Test-only; thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "core/hv/hypervisor.h"

namespace petrel {

class FakeInterruptLine final : public hv::InterruptLine {
 public:
  void SetLevel(bool high) override {
    std::lock_guard lock(mu_);
    levels_.push_back(high);
  }
  // The current level (low if never driven).
  bool level() const {
    std::lock_guard lock(mu_);
    return !levels_.empty() && levels_.back();
  }
  std::vector<bool> levels() const {
    std::lock_guard lock(mu_);
    return levels_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    levels_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<bool> levels_;
};

}  // namespace petrel
