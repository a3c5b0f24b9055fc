// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmTimer: the ACPI power-management timer (ACPI 6.4 section 4.8.3.3,
// PM_TMR), a free-running up-counter at 3.579545 MHz, at PIO 0x608 (Cloud
// Hypervisor's address, hard-coded by EDK2's CloudHv platform as
// CLOUDHV_ACPI_TIMER_IO_ADDRESS).
//
// kSize 4: one read-only 32-bit register. The FADT sets TMR_VAL_EXT (flags
// bit 8), so all 32 bits count (E_TMR_VAL bits 31:24 + TMR_VAL bits 23:0)
// and the counter wraps at 2^32 (about every 1199.9 s). Narrower reads return
// the addressed bytes of the little-endian value; writes are ignored. No
// interrupt: TMR_STS/TMR_EN live in the PM1 event block, which a
// hardware-reduced platform does not have.
//
// Time comes only from the injected Clock: the count is
// floor(elapsed_ns * 3579545 / 10^9) mod 2^32, where elapsed_ns starts at 0
// when the device is constructed. Save/Restore carry elapsed_ns, so a
// restored timer continues from the saved count.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>

#include "core/acpi/pm_registers.h"
#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class PmTimer final : public BusDevice {
 public:
  static constexpr uint64_t kSize = acpi::kPmTimerPortCount;  // FADT PM_TMR_LEN 4
  static constexpr uint64_t kFrequencyHz = acpi::kPmTimerHz;    // 4.8.3.3: 3.579545 MHz
  // Cap on a restored elapsed time (guest-controlled on a migration): 100
  // years, far below the 2^64 ns where the count would jump.
  static constexpr uint64_t kMaxElapsedNs = 100ULL * 366 * 24 * 3600 * 1'000'000'000ULL;

  struct State {
    uint64_t elapsed_ns = 0;  // virtual time the timer has run
    bool operator==(const State&) const = default;
  };

  // `clock` must outlive the device.
  explicit PmTimer(const Clock& clock);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // The 32-bit counter value now.
  uint32_t Count() const;
  // floor(ns * kFrequencyHz / 10^9), without overflow for any ns.
  static uint64_t TicksForNs(uint64_t ns);

  State Save() const;
  Result<void> Restore(const State& state);

 private:
  uint64_t ElapsedNs() const;

  const Clock& clock_;
  mutable std::mutex mu_;
  // elapsed = clock_.NowNs() - origin_ns_, modulo 2^64 (a restored origin may
  // lie "before" the clock's zero).
  uint64_t origin_ns_;
};

}  // namespace petrel
