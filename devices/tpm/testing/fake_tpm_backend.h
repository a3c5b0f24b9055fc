// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeTpmBackend: the one test double for TpmBackend. It records each
// command and answers with a scripted response (by default a success header
// followed by the command's bytes after its header, so a test can tell which
// command a response belongs to), or fails when told to.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/base/bytes.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/tpm_backend.h"

namespace petrel::tpm::testing {

class FakeTpmBackend final : public TpmBackend {
 public:
  Result<size_t> Execute(std::span<uint8_t> buffer, size_t command_size) override {
    std::lock_guard lock(mu_);
    commands_.emplace_back(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(command_size));
    if (fail_) return Error(ErrorCode::kSystem, "fake swtpm is gone");
    std::vector<uint8_t> r = response_;
    if (r.empty()) {
      // Success header + the command's payload echoed.
      r.assign(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(command_size));
      StoreBe<uint16_t>(r, 0, 0x8001);
      StoreBe<uint32_t>(r, 6, 0);
    }
    if (r.size() > buffer.size()) return Error(ErrorCode::kMalformed, "response too big");
    std::copy(r.begin(), r.end(), buffer.begin());
    return r.size();
  }
  void Cancel() override { ++cancels_; }
  bool established() const override { return established_; }

  void set_fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  void set_response(std::vector<uint8_t> r) {
    std::lock_guard lock(mu_);
    response_ = std::move(r);
  }
  void set_established(bool e) { established_ = e; }
  std::vector<std::vector<uint8_t>> commands() const {
    std::lock_guard lock(mu_);
    return commands_;
  }
  int cancels() const { return cancels_; }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<uint8_t>> commands_;
  std::vector<uint8_t> response_;
  bool fail_ = false;
  bool established_ = false;
  std::atomic<int> cancels_{0};
};

}  // namespace petrel::tpm::testing
