// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fake bus devices for hv_sim's own tests and fuzz target (header-only).
//
//   ScratchDevice:  `size` bytes of storage; reads return what was written
//                   (out-of-range bytes read 0xff, writes there are dropped).
//                   Counts accesses.
//   IrqOnWriteDevice: one register at offset 0. Writing 0 lowers the line,
//                   1 raises it, 2 pulses it (an edge); other values ignored.
//                   Reads return the last value written.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"

namespace petrel::sim::testing {

class ScratchDevice final : public BusDevice {
 public:
  explicit ScratchDevice(size_t size) : mem_(size, 0) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    std::lock_guard lock(mu_);
    ++reads_;
    for (size_t i = 0; i < data.size(); ++i) {
      uint64_t at = offset + i;
      data[i] = at < mem_.size() ? mem_[at] : 0xff;
    }
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    std::lock_guard lock(mu_);
    ++writes_;
    for (size_t i = 0; i < data.size(); ++i) {
      uint64_t at = offset + i;
      if (at < mem_.size()) mem_[at] = data[i];
    }
  }
  std::vector<uint8_t> bytes() const {
    std::lock_guard lock(mu_);
    return mem_;
  }
  uint64_t reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }
  uint64_t writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<uint8_t> mem_;
  uint64_t reads_ = 0;
  uint64_t writes_ = 0;
};

class IrqOnWriteDevice final : public BusDevice {
 public:
  explicit IrqOnWriteDevice(std::shared_ptr<hv::InterruptLine> line) : line_(std::move(line)) {}
  void Read(uint64_t, std::span<uint8_t> data) override {
    for (auto& b : data) b = last_.load();
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    if (offset != 0 || data.empty()) return;
    last_ = data[0];
    if (data[0] == 0) line_->SetLevel(false);
    if (data[0] == 1) line_->SetLevel(true);
    if (data[0] == 2) line_->Pulse();
  }

 private:
  std::shared_ptr<hv::InterruptLine> line_;
  std::atomic<uint8_t> last_{0};
};

}  // namespace petrel::sim::testing
