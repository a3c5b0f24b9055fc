// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AcpiPmDevice: the hardware-reduced ACPI power-management registers the FADT
// points at (ACPI 6.4 section 4.8.3.6 reset register, 4.8.3.7 sleep control
// register, 4.8.3.8 sleep status register), at PIO base 0x600.
//
// Layout (offsets from 0x600, kSize 2; every register is one byte; the
// offsets and bits are the ones core/acpi/pm_registers.h gives the FADT):
//   +0  SLEEP_CONTROL_REG (write; reads 0) and RESET_REG (write kResetValue)
//   +1  SLEEP_STATUS_REG: WAK_STS bit 7, write-1-to-clear
// Port 0x600 is where Cloud Hypervisor puts both its sleep control and reset
// registers, and EDK2's CloudHv platform hard-codes the S5 write
// (IoWrite8(0x600, 5 << 2 | 1 << 5)), so the sleep control register and the
// reset register share +0 exactly as there: the reset value 1 sets only
// reserved bit 0 and never SLP_EN, so the two cannot be confused. The sleep
// status register gets its own byte (+1) so that WAK_STS can be read back;
// a FADT that points SLEEP_STATUS_REG at +0 (as Cloud Hypervisor's does)
// still works: the WAK_STS clear (0x80) written there is ignored and reads
// of +0 return 0.
//
// Sleep control writes (4.8.3.7: SLP_TYP bits 4:2, SLP_EN bit 5):
//   SLP_EN with SLP_TYP == acpi::kSleepTypeS5 (the DSDT's \_S5_ package)
//     -> `power_off`.
//   SLP_EN with any other SLP_TYP (S1-S4 are not offered by the DSDT) ->
//     logged once and the platform "wakes" at once: WAK_STS is set, so an
//     OSPM that polls WAK_STS after sleeping (ACPICA does) returns.
//   the byte kResetValue -> `reset`.
//   anything else (SLP_EN clear) is ignored.
// Wider accesses are split into bytes at consecutive offsets.
//
// Thread-safety: safe from any thread; the callbacks run without the device
// lock held, on the vCPU thread that wrote the register.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "core/acpi/pm_registers.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class AcpiPmDevice final : public BusDevice {
 public:
  // The ports the FADT describes (pm_registers.h): 0x600 and 0x601.
  static constexpr uint64_t kSize = acpi::kPmPortCount;
  // The FADT RESET_VALUE this device answers to; AcpiConfig::reset_value
  // must equal it.
  static constexpr uint8_t kResetValue = 1;

  struct State {
    uint8_t sleep_status = 0;  // only WAK_STS may be set
    bool operator==(const State&) const = default;
  };

  // Either callback may be empty.
  AcpiPmDevice(std::function<void()> power_off, std::function<void()> reset);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  State Save() const;
  Result<void> Restore(const State& state);

 private:
  enum class Request { kNone, kPowerOff, kReset };
  Request WriteByte(uint64_t offset, uint8_t value);

  const std::function<void()> power_off_;
  const std::function<void()> reset_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
