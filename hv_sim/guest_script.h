// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestScript: a scripted guest for hv_sim, the main tool of device tests.
//
// A script is a list of steps a simulated vCPU performs in order: PIO and MMIO
// accesses (which go through the VM's GuestIo, i.e. IoDispatcher, to the
// devices), RAM reads and writes, waits for an interrupt line, and time
// skips. Reads may carry an expected value; a difference is reported as a
// mismatch, never an abort. Build scripts with ScriptBuilder:
//
//   GuestScript s = ScriptBuilder().Out8(0x3f8, 'A').In8(0x3fd, 0x60)
//                       .WaitIrq(4, 1'000'000).Build();
//
// Multi-byte values given as integers are stored little-endian, as an x86
// guest would put them on the bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/result.h"

namespace petrel::sim {

// PIO and MMIO accesses are CPU accesses: 1, 2, 4 or 8 bytes.
inline constexpr uint32_t kMaxIoAccessBytes = 8;
// Cap on one RAM step, so a script (or fuzz input) cannot ask for gigabytes.
inline constexpr uint32_t kMaxRamAccessBytes = 64 * 1024;
// Cap on one Advance or WaitIrq timeout: one hour of virtual time.
inline constexpr uint64_t kMaxStepNs = 3'600'000'000'000ULL;
// Legacy interrupt pins (IOAPIC inputs 0..23, 82093AA datasheet 3.2).
inline constexpr uint32_t kNumIrqPins = 24;

namespace step {
struct PioOut {
  uint16_t port;
  std::vector<uint8_t> bytes;
};
struct PioIn {
  uint16_t port;
  uint32_t len;
  std::optional<std::vector<uint8_t>> expect;
};
struct MmioWrite {
  uint64_t gpa;
  std::vector<uint8_t> bytes;
};
struct MmioRead {
  uint64_t gpa;
  uint32_t len;
  std::optional<std::vector<uint8_t>> expect;
};
struct WriteRam {
  uint64_t gpa;
  std::vector<uint8_t> bytes;
};
struct ReadRam {
  uint64_t gpa;
  uint32_t len;
  std::optional<std::vector<uint8_t>> expect;
};
// Satisfied when the pin is high, or rose since the previous WaitIrq on this
// pin by this vCPU (or since the script was set).
struct WaitIrq {
  uint32_t pin;
  uint64_t timeout_ns;
};
struct Advance {
  uint64_t ns;
};
// A guest busy loop: adds 1 to the 64-bit counter at `gpa` (8-aligned, in
// RAM) `times` times, one increment per step of virtual time, with an atomic
// (release) store so a test may watch it from another thread; a kick ends
// a Run() between two increments. One trace record (a RAM write of the final
// value) when the loop ends, none per increment. UINT64_MAX: forever.
struct Count {
  uint64_t gpa;
  uint64_t times;
};
struct Halt {};
}  // namespace step

using Step = std::variant<step::PioOut, step::PioIn, step::MmioWrite, step::MmioRead,
                          step::WriteRam, step::ReadRam, step::WaitIrq, step::Advance, step::Count,
                          step::Halt>;

struct GuestScript {
  std::vector<Step> steps;
};

// Checks every step against the caps above (widths, lengths, pins, expected
// sizes). SimVcpu::SetScript refuses a script that fails this.
Result<void> ValidateScript(const GuestScript& script);

// "pio-in 0x3fd len 1 expect [60]": for mismatch messages and debugging.
std::string DescribeStep(const Step& step);

class ScriptBuilder {
 public:
  // PIO
  ScriptBuilder& Out(uint16_t port, std::vector<uint8_t> bytes);
  ScriptBuilder& Out8(uint16_t port, uint8_t v) { return Out(port, Le(v, 1)); }
  ScriptBuilder& Out16(uint16_t port, uint16_t v) { return Out(port, Le(v, 2)); }
  ScriptBuilder& Out32(uint16_t port, uint32_t v) { return Out(port, Le(v, 4)); }
  ScriptBuilder& In(uint16_t port, uint32_t len, std::optional<std::vector<uint8_t>> expect = {});
  ScriptBuilder& In8(uint16_t port) { return In(port, 1); }
  ScriptBuilder& In8(uint16_t port, uint8_t expect) { return In(port, 1, Le(expect, 1)); }
  ScriptBuilder& In16(uint16_t port) { return In(port, 2); }
  ScriptBuilder& In16(uint16_t port, uint16_t expect) { return In(port, 2, Le(expect, 2)); }
  ScriptBuilder& In32(uint16_t port) { return In(port, 4); }
  ScriptBuilder& In32(uint16_t port, uint32_t expect) { return In(port, 4, Le(expect, 4)); }
  // MMIO
  ScriptBuilder& MmioWrite(uint64_t gpa, std::vector<uint8_t> bytes);
  ScriptBuilder& Write8(uint64_t gpa, uint8_t v) { return MmioWrite(gpa, Le(v, 1)); }
  ScriptBuilder& Write16(uint64_t gpa, uint16_t v) { return MmioWrite(gpa, Le(v, 2)); }
  ScriptBuilder& Write32(uint64_t gpa, uint32_t v) { return MmioWrite(gpa, Le(v, 4)); }
  ScriptBuilder& Write64(uint64_t gpa, uint64_t v) { return MmioWrite(gpa, Le(v, 8)); }
  ScriptBuilder& MmioRead(uint64_t gpa, uint32_t len,
                          std::optional<std::vector<uint8_t>> expect = {});
  ScriptBuilder& Read8(uint64_t gpa) { return MmioRead(gpa, 1); }
  ScriptBuilder& Read8(uint64_t gpa, uint8_t expect) { return MmioRead(gpa, 1, Le(expect, 1)); }
  ScriptBuilder& Read16(uint64_t gpa) { return MmioRead(gpa, 2); }
  ScriptBuilder& Read16(uint64_t gpa, uint16_t expect) { return MmioRead(gpa, 2, Le(expect, 2)); }
  ScriptBuilder& Read32(uint64_t gpa) { return MmioRead(gpa, 4); }
  ScriptBuilder& Read32(uint64_t gpa, uint32_t expect) { return MmioRead(gpa, 4, Le(expect, 4)); }
  ScriptBuilder& Read64(uint64_t gpa) { return MmioRead(gpa, 8); }
  ScriptBuilder& Read64(uint64_t gpa, uint64_t expect) { return MmioRead(gpa, 8, Le(expect, 8)); }
  // RAM
  ScriptBuilder& WriteRam(uint64_t gpa, std::vector<uint8_t> bytes);
  ScriptBuilder& ReadRam(uint64_t gpa, uint32_t len,
                         std::optional<std::vector<uint8_t>> expect = {});
  // Interrupts, time, end
  ScriptBuilder& WaitIrq(uint32_t pin, uint64_t timeout_ns);
  ScriptBuilder& Advance(uint64_t ns);
  ScriptBuilder& Count(uint64_t gpa, uint64_t times);
  ScriptBuilder& Halt();
  // Appends any step (or all steps of another script).
  ScriptBuilder& Add(Step step);
  ScriptBuilder& Append(const GuestScript& other);

  GuestScript Build() const { return script_; }

  // `width` low bytes of `v`, least significant first.
  static std::vector<uint8_t> Le(uint64_t v, uint32_t width);

 private:
  GuestScript script_;
};

}  // namespace petrel::sim
