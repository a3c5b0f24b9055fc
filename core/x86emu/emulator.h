// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator: decodes the instruction at CS:RIP and carries it out against a
// CpuState (registers, loaded lazily, written back only when changed) and a
// Platform (translation, memory by GPA, port I/O).
//
// One Step() is one instruction, or for REP MOVS/STOS at most
// max_rep_iterations iterations: RIP then stays on the instruction and the
// caller steps again until Completed.rep_pending is false, as hardware's
// interruptible REP does (SDM 2B "REP/REPE/REPZ/REPNE/REPNZ").
//
// Outcomes:
//   Completed   the instruction (or a REP chunk) was carried out; RIP was
//               advanced unless rep_pending
//   Fault       a guest exception to inject (vector, error code, CR2 for
//               #PF); RIP is unchanged, registers hold a REP's completed
//               iterations
//   Unsupported the instruction (by mnemonic) is outside the profile, has
//               an operand the emulator cannot hold, or the bytes do not
//               decode at all (mnemonic empty); nothing was changed
// A host failure (a register or memory access the backend could not do)
// is the Result's Error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>

#include "core/base/result.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/decoder.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu {

struct Completed {
  bool rep_pending = false;
  // HLT (sim profile): RIP is past it; the vCPU waits for an interrupt.
  bool halted = false;
  // STI set IF: no external interrupt before the next instruction ends
  // (the caller, which delivers interrupts, honours it).
  bool interrupt_shadow = false;
  bool operator==(const Completed&) const = default;
};
struct Unsupported {
  std::string mnemonic;
  std::string reason;
};
using Outcome = std::variant<Completed, Fault, Unsupported>;

// `mmio`: the instructions that touch MMIO (docs/x86emu.md). `sim`: those
// plus what small test guests run on hv_sim: IN/OUT (imm8 and DX ports),
// HLT, CLI/STI, JMP rel, NOP. (The stack, CALL/RET, Jcc, LGDT, CPUID, ...
// come later.) No privilege checks: test guests run at CPL 0.
enum class Profile : uint8_t { kMmio, kSim };

struct EmulatorOptions {
  Profile profile = Profile::kMmio;
  uint32_t max_rep_iterations = 256;  // >= 1
};

class Emulator {
 public:
  explicit Emulator(const InstructionDecoder& decoder, EmulatorOptions options = {})
      : decoder_(decoder), options_(options) {}

  // `bytes`: the instruction bytes the backend already has (an MSHV
  // intercept's); empty or short, the rest is fetched from CS:RIP.
  // Dirty registers are flushed before it returns Completed or Fault.
  Result<Outcome> Step(CpuState& cpu, Platform& platform, std::span<const uint8_t> bytes = {});

 private:
  const InstructionDecoder& decoder_;
  EmulatorOptions options_;
};

std::string DescribeOutcome(const Outcome& outcome);

}  // namespace petrel::x86emu
