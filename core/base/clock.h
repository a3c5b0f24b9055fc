// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Clock: the only source of time for devices and the VMM (determinism rule 2).
//
// Production code injects MonotonicClock; hv_sim and tests inject a
// VirtualClock that moves only when told to.
#pragma once

#include <atomic>
#include <cstdint>

namespace petrel {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since an arbitrary, fixed origin. Never goes backwards.
  virtual uint64_t NowNs() const = 0;
};

// CLOCK_MONOTONIC.
class MonotonicClock final : public Clock {
 public:
  uint64_t NowNs() const override;
};

// CLOCK_REALTIME: nanoseconds since the Unix epoch. Only for what the guest
// must see as calendar time (the CMOS RTC); never for measuring intervals.
class RealtimeClock final : public Clock {
 public:
  uint64_t NowNs() const override;
};

// Virtual time: starts at `start_ns` and moves only through Advance/Set.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(uint64_t start_ns = 0) : now_(start_ns) {}
  uint64_t NowNs() const override { return now_.load(std::memory_order_acquire); }
  void Advance(uint64_t ns) { now_.fetch_add(ns, std::memory_order_acq_rel); }
  // Moves to `ns` if that is later than now; time never goes backwards.
  void AdvanceTo(uint64_t ns);

 private:
  std::atomic<uint64_t> now_;
};

}  // namespace petrel
