// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile's arithmetic (SDM 2A/2B instruction pages): INC, DEC,
// NEG, NOT, SHL/SAL, SHR, SAR (by 1, imm8 or CL), ADC, SBB, MUL and IMUL
// (one-, two- and three-operand forms). The flag rules are alu.h's. A
// memory destination is read with write intent and written before any
// register, so a fault leaves the registers as they were.
#include "core/x86emu/execution.h"

namespace petrel::x86emu::internal {

// INC/DEC r/m (SDM 2A INC, DEC): ADD/SUB of 1 with CF unchanged.
Result<bool> Execution::IncDec(bool inc) {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t a = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, Access::kWrite));
  const AluResult r = Alu(inc ? AluOp::kAdd : AluOp::kSub, a, 1, size);
  X86EMU_STEP(WriteOperand(dst, size, r.value));
  PETREL_TRY(SetArithFlags(r.flags, kArithFlags & ~kFlagCf));
  return true;
}

// NEG r/m (SDM 2B NEG): 0 - a, CF = (a != 0), the other flags as SUB's.
// NOT r/m (SDM 2B NOT): the complement, flags unchanged.
Result<bool> Execution::NegNot(bool neg) {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t a = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, Access::kWrite));
  if (!neg) return WriteOperand(dst, size, Truncate(~a, size));
  const AluResult r = Alu(AluOp::kSub, 0, a, size);
  X86EMU_STEP(WriteOperand(dst, size, r.value));
  PETREL_TRY(SetArithFlags(r.flags));
  return true;
}

// SHL/SAL, SHR, SAR r/m by 1, imm8 or CL (SDM 2B "SAL/SAR/SHL/SHR"): see
// alu.h Shift for the count masking and flags. A masked count of 0 is
// still a write of the unchanged value (the access is checked).
Result<bool> Execution::Shift() {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t count = 0;
  X86EMU_STEP(ReadOperand(insn_.operands[1], 1, &count));
  uint64_t a = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, Access::kWrite));
  const ShiftOp op = insn_.op == Op::kShl ? ShiftOp::kShl : insn_.op == Op::kShr ? ShiftOp::kShr : ShiftOp::kSar;
  const ShiftResult r = x86emu::Shift(op, a, static_cast<unsigned>(count), size);
  X86EMU_STEP(WriteOperand(dst, size, r.value));
  if (r.mask) PETREL_TRY(SetArithFlags(r.flags, r.mask));
  return true;
}

// ADC/SBB (SDM 2A ADC, 2B SBB): every form ADD/SUB has; the carry in is CF.
Result<bool> Execution::AddWithCarry(bool sub) {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t a = 0, b = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, Access::kWrite));
  X86EMU_STEP(ReadOperand(insn_.operands[1], size, &b));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  const AluResult r = AluWithCarry(sub, a, b, (rflags & kFlagCf) != 0, size);
  X86EMU_STEP(WriteOperand(dst, size, r.value));
  PETREL_TRY(SetArithFlags(r.flags));
  return true;
}

// MUL r/m and IMUL r/m (one operand: AX = AL * r/m8, else rDX:rAX = rAX *
// r/m), IMUL r, r/m and IMUL r, r/m, imm (truncated to the destination)
// (SDM 2A IMUL, 2B MUL): CF = OF = the product did not fit; SF, ZF, AF, PF
// (undefined) unchanged.
Result<bool> Execution::Multiply(bool is_signed) {
  const unsigned size = insn_.operands[0].size;
  uint64_t a = 0, b = 0;
  MulResult r{};
  if (insn_.operand_count == 1) {
    X86EMU_STEP(ReadOperand(insn_.operands[0], size, &b));
    PETREL_ASSIGN_OR_RETURN(a, access_.ReadGpr(GprRef{hv::kRax, static_cast<uint8_t>(size), false}));
    r = x86emu::Multiply(is_signed, a, b, size);
    if (size == 1) {
      PETREL_TRY(access_.WriteGpr(GprRef{hv::kRax, 2, false}, (r.high << 8) | r.low));
    } else {
      PETREL_TRY(access_.WriteGpr(GprRef{hv::kRax, static_cast<uint8_t>(size), false}, r.low));
      PETREL_TRY(access_.WriteGpr(GprRef{hv::kRdx, static_cast<uint8_t>(size), false}, r.high));
    }
  } else {
    const bool three = insn_.operand_count == 3;
    X86EMU_STEP(ReadOperand(insn_.operands[three ? 1 : 0], size, &a));
    X86EMU_STEP(ReadOperand(insn_.operands[three ? 2 : 1], size, &b));
    r = x86emu::Multiply(true, a, b, size);
    PETREL_TRY(access_.WriteGpr(insn_.operands[0].gpr, r.low));
  }
  PETREL_TRY(SetArithFlags(r.overflow ? (kFlagCf | kFlagOf) : 0, kFlagCf | kFlagOf));
  return true;
}

}  // namespace petrel::x86emu::internal
