// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmTimer: the 3.579545 MHz ACPI PM timer computed from a Clock (see pm_timer.h).
#include "devices/acpi/pm_timer.h"

namespace petrel {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000ULL;
static_assert(PmTimer::kMaxElapsedNs < (1ULL << 63));

}  // namespace

PmTimer::PmTimer(const Clock& clock) : clock_(clock), origin_ns_(clock.NowNs()) {}

uint64_t PmTimer::TicksForNs(uint64_t ns) {
  // ns = q * 10^9 + r, so floor(ns * f / 10^9) = q * f + floor(r * f / 10^9);
  // r * f < 3.6e15 and q * f < 2^64 / 10^9 * 3.6e6 < 2^64 never overflow.
  const uint64_t q = ns / kNsPerSecond;
  const uint64_t r = ns % kNsPerSecond;
  return q * kFrequencyHz + r * kFrequencyHz / kNsPerSecond;
}

uint64_t PmTimer::ElapsedNs() const { return clock_.NowNs() - origin_ns_; }

uint32_t PmTimer::Count() const {
  std::lock_guard lock(mu_);
  return static_cast<uint32_t>(TicksForNs(ElapsedNs()));  // mod 2^32: TMR_VAL_EXT
}

void PmTimer::Read(uint64_t offset, std::span<uint8_t> data) {
  const uint32_t count = Count();
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t v = 0xff;  // outside the device (the bus never sends these)
    if (offset < kSize && i < kSize - offset) v = static_cast<uint8_t>(count >> (8 * (offset + i)));
    data[i] = v;
  }
}

void PmTimer::Write(uint64_t, std::span<const uint8_t>) {
  // 4.8.3.3: PM_TMR is read-only.
}

PmTimer::State PmTimer::Save() const {
  std::lock_guard lock(mu_);
  return State{ElapsedNs()};
}

Result<void> PmTimer::Restore(const State& state) {
  if (state.elapsed_ns > kMaxElapsedNs) {
    return Error(ErrorCode::kInvalidArgument, "pm timer state: elapsed time above the cap");
  }
  std::lock_guard lock(mu_);
  origin_ns_ = clock_.NowNs() - state.elapsed_ns;  // modulo 2^64
  return Ok();
}

}  // namespace petrel
