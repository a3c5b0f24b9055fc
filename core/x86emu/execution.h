// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Private to core/x86emu: the Execution of one decoded instruction, shared
// by the files that hold its semantics (emulator.cc: dispatch and the mmio
// profile; emulator_control.cc: stack, branches, LEA, flag instructions;
// emulator_arith.cc: INC/DEC/NEG/NOT, shifts, ADC/SBB, MUL/IMUL;
// emulator_string.cc: MOVS/STOS/LODS/INS/OUTS; emulator_system.cc: CPUID,
// MSRs, RDTSC, descriptor tables, control registers, INT/IRET), and the
// stack and descriptor helpers they and interrupt.cc use.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "core/base/result.h"
#include "core/x86emu/alu.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/decoder.h"
#include "core/x86emu/guest_access.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu::internal {

// Returns from a Result<bool> function when `expr` (a Result<bool>) failed
// or stopped (a fault was raised).
#define X86EMU_STEP(expr)                                           \
  do {                                                              \
    auto x86emu_step_ = (expr);                                     \
    if (!x86emu_step_.ok()) return std::move(x86emu_step_).error(); \
    if (!*x86emu_step_) return false;                               \
  } while (0)

inline uint64_t LoadLe(const uint8_t* p, unsigned size) {
  uint64_t v = 0;
  if (size) std::memcpy(&v, p, size);  // x86 hosts and guests are little-endian
  return v;
}

// RFLAGS bits beyond alu.h's arithmetic ones (SDM 1 3.4.3, Figure 3-8).
inline constexpr uint64_t kFlagFixed1 = 1ull << 1;  // always 1
inline constexpr uint64_t kFlagTf = 1ull << 8;
inline constexpr uint64_t kFlagIf = 1ull << 9;
inline constexpr uint64_t kFlagIopl = 3ull << 12;
inline constexpr uint64_t kFlagNt = 1ull << 14;
inline constexpr uint64_t kFlagRf = 1ull << 16;
inline constexpr uint64_t kFlagVm = 1ull << 17;
inline constexpr uint64_t kFlagAc = 1ull << 18;
inline constexpr uint64_t kFlagVif = 1ull << 19;
inline constexpr uint64_t kFlagVip = 1ull << 20;
inline constexpr uint64_t kFlagId = 1ull << 21;
// What POPF and IRET may change at CPL 0 outside virtual-8086 mode (SDM 2B
// POPF, "Operation"; 2A IRET "RETURN-TO-SAME-PRIVILEGE-LEVEL"): all of
// these; VM, VIF and VIP are kept by POPF, RF cleared.
inline constexpr uint64_t kFlagsWritable = kArithFlags | kFlagTf | kFlagIf | kFlagDf | kFlagIopl |
                                           kFlagNt | kFlagAc | kFlagId;

// The CPL: 0 in real mode, else CS.RPL (SDM 3A 5.5; equal to SS.DPL).
Result<unsigned> CurrentPrivilege(CpuState& cpu, CpuMode mode);

// The stack at SS:rSP (SDM 1 6.2, 3A 6.12.1): pushes and pops move a local
// stack pointer at the stack-address size (8 in 64-bit mode, else SS.B ? 4
// : 2); nothing is written to RSP until Commit(), so a fault part-way
// leaves RSP as it was. Segmentation and paging go through GuestAccess
// (#SS(0) for a limit or canonical violation, #PF).
class Stack {
 public:
  Stack(GuestAccess& access, CpuState& cpu) : access_(access), cpu_(cpu) {}
  Result<void> Load();
  unsigned address_size() const { return address_size_; }
  uint64_t sp() const { return sp_; }
  void set_sp(uint64_t sp) { sp_ = Truncate(sp, address_size_); }
  Result<bool> Push(uint64_t value, unsigned size);
  Result<bool> Pop(unsigned size, uint64_t* value);
  // Writes the stack pointer back: SP, ESP (zero-extended) or RSP.
  Result<void> Commit();

 private:
  GuestAccess& access_;
  CpuState& cpu_;
  unsigned address_size_ = 8;
  uint64_t sp_ = 0;
};

// Segment descriptors (SDM 3A 3.4.5, Figure 3-8) from the GDT.
inline constexpr uint32_t kSelectorErrorMask = 0xfffc;  // index and TI (SDM 3A 6.13)
// Reads the descriptor `selector` names: #GP(selector & 0xfffc | ext) when
// it lies beyond GDTR.limit. A selector into the LDT (TI = 1) sets
// `*unsupported` (the LDT is not modelled). False on a fault or that.
Result<bool> ReadDescriptor(GuestAccess& access, CpuState& cpu, uint16_t selector, uint32_t ext,
                            uint64_t* raw, std::string* unsupported);
// The hidden segment a descriptor loads (limit expanded by G).
hv::Segment SegmentFromDescriptor(uint64_t raw, uint16_t selector);

// Interrupt and exception delivery through the IDT (interrupt.cc; the
// public forms are in interrupt.h). `software`: INT n / INT3 (the gate's
// DPL is checked; EXT is 0); `external`: EXT is set in error codes.
struct Event {
  uint8_t vector = 0;
  bool external = false;
  bool software = false;
  std::optional<uint32_t> error_code;
  uint64_t return_rip = 0;
};
// Carries the delivery out on `cpu` (nothing is flushed). False with
// `*fault` or `*unsupported` set when it did not happen (RIP, RSP, RFLAGS
// and CS unchanged; the stack memory may hold part of the frame).
Result<bool> DeliverEvent(CpuState& cpu, Platform& platform, const Event& event,
                          std::optional<Fault>* fault, std::string* unsupported);
// IRET at `operand_size` (SDM 2A IRET): same-privilege returns only.
Result<bool> InterruptReturn(GuestAccess& access, CpuState& cpu, unsigned operand_size,
                             std::string* unsupported);

// One decoded instruction being carried out.
class Execution {
 public:
  Execution(GuestAccess& access, CpuState& cpu, const DecodedInstruction& insn, uint64_t rip,
            uint32_t max_rep)
      : access_(access), cpu_(cpu), insn_(insn), rip_(rip), max_rep_(max_rep) {}

  // False when a fault was raised or the instruction turned out to be
  // unsupported (unsupported() set; nothing was changed then).
  // `rep_pending` when a REP stopped at the cap.
  Result<bool> Run(bool* rep_pending, bool* halted);
  const std::string& unsupported() const { return unsupported_; }

 private:
  uint64_t NextRip() const;
  Result<bool> MemLinear(const Operand& op, unsigned size, Access access, uint64_t* linear,
                         int64_t extra_offset = 0);
  Result<bool> ReadOperand(const Operand& op, unsigned size, uint64_t* value, Access access = Access::kRead);
  Result<bool> WriteOperand(const Operand& op, unsigned size, uint64_t value);
  Result<void> SetArithFlags(uint64_t flags, uint64_t mask = kArithFlags);
  Result<bool> Raise(uint8_t vector, std::optional<uint32_t> error_code = 0u) {
    access_.RaiseFault(x86emu::Fault{vector, error_code, 0});
    return false;
  }

  // emulator.cc: the mmio profile.
  Result<bool> Mov();
  Result<bool> Extend(bool sign);
  Result<bool> Arith(AluOp op, bool store);
  Result<bool> Xchg();
  enum class BitOp : uint8_t { kTest, kSet, kReset };
  Result<bool> Bt(BitOp bit_op);
  Result<bool> Setcc();
  // emulator_string.cc.
  Result<bool> String(bool* rep_pending);
  // emulator_control.cc.
  Result<bool> PushOp();
  Result<bool> PopOp();
  Result<bool> Pushf();
  Result<bool> Popf();
  Result<bool> Branch(uint64_t target);  // checks the target, sets RIP
  uint64_t RelativeTarget() const;
  Result<bool> Jmp();
  Result<bool> Call();
  Result<bool> Ret();
  Result<bool> Jcc();
  Result<bool> Loop();
  Result<bool> Lea();
  Result<void> SetFlag(uint64_t flag, int how);  // how: 0 clear, 1 set, 2 complement
  // emulator_arith.cc.
  Result<bool> IncDec(bool inc);
  Result<bool> NegNot(bool neg);
  Result<bool> Shift();
  Result<bool> AddWithCarry(bool sub);
  Result<bool> Multiply(bool is_signed);
  // emulator_system.cc.
  Result<bool> PortIo(bool in);
  Result<bool> Cpuid();
  Result<bool> Rdmsr();
  Result<bool> Wrmsr();
  Result<bool> Rdtsc();
  Result<bool> LoadTable(TableReg table);
  Result<bool> StoreTable(TableReg table);
  Result<bool> MovCr();
  Result<bool> WriteCr(uint8_t cr, uint64_t value);
  Result<bool> SoftwareInterrupt(uint8_t vector);
  Result<bool> Iret();

  GuestAccess& access_;
  CpuState& cpu_;
  const DecodedInstruction& insn_;
  uint64_t rip_;
  uint32_t max_rep_;
  std::string unsupported_;
  bool rip_set_ = false;  // a branch set RIP; Run does not advance it
};

}  // namespace petrel::x86emu::internal
