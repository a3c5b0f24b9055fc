// AcpiPmDevice: the hardware-reduced ACPI power-management registers the FADT
// points at (ACPI 6.4 section 4.8.3.6 reset register, 4.8.3.7 sleep control
// register, 4.8.3.8 sleep status register), at PIO base 0x600.
//
// Layout (offsets from 0x600, kSize 4; every register is one byte):
//   +0  SLEEP_CONTROL_REG (write; reads 0) and RESET_REG (write kResetValue)
//   +1  SLEEP_STATUS_REG: WAK_STS bit 7, write-1-to-clear
//   +2, +3  reserved: read 0, writes ignored
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
//   SLP_EN with SLP_TYP == kSlpTypS5 (the DSDT's \_S5_ package {5, 0})
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

#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

// The values the ACPI tables (FADT, DSDT \_S5_) and the device share.
namespace acpi_pm {
inline constexpr uint16_t kPortBase = 0x600;  // Cloud Hypervisor / EDK2 CloudHv
inline constexpr uint16_t kSleepControlOffset = 0;  // FADT SLEEP_CONTROL_REG, 8 bits
inline constexpr uint16_t kSleepStatusOffset = 1;   // FADT SLEEP_STATUS_REG, 8 bits
inline constexpr uint16_t kResetOffset = 0;         // FADT RESET_REG, 8 bits
inline constexpr uint8_t kResetValue = 1;           // FADT RESET_VALUE (4.8.3.6)
inline constexpr uint8_t kSlpTypS5 = 5;             // DSDT \_S5_ package {5, 0}
// 4.8.3.7 Sleep Control Register.
inline constexpr uint8_t kSlpTypShift = 2;     // SLP_TYP bits 4:2
inline constexpr uint8_t kSlpTypMask = 0x1c;
inline constexpr uint8_t kSlpEn = 1u << 5;     // SLP_EN bit 5
// 4.8.3.8 Sleep Status Register.
inline constexpr uint8_t kWakSts = 1u << 7;    // WAK_STS bit 7
// The byte an OSPM writes to enter S5: (5 << 2) | (1 << 5) = 0x34.
inline constexpr uint8_t kSleepS5Byte = (kSlpTypS5 << kSlpTypShift) | kSlpEn;
}  // namespace acpi_pm

class AcpiPmDevice final : public BusDevice {
 public:
  static constexpr uint64_t kSize = 4;

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
