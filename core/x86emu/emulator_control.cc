// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile's control flow and stack (SDM 2A/2B instruction pages):
// PUSH, POP, PUSHF, POPF, JMP rel and r/m, CALL rel and r/m, RET [imm16],
// Jcc, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ/JRCXZ, LEA, and the flag instructions
// (CLI/STI/CLC/STC/CMC/CLD/STD); the Stack helper and CurrentPrivilege.
// Near forms only: far JMP/CALL/RET are refused by ShapeProblem.
#include "core/x86emu/execution.h"

namespace petrel::x86emu::internal {

Result<unsigned> CurrentPrivilege(CpuState& cpu, CpuMode mode) {
  if (mode == CpuMode::kReal16) return 0u;
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  return static_cast<unsigned>(cs.selector & 3);
}

// SDM 1 6.2.3 / 3A 3.4.5 (the B flag of SS): the stack-address size.
Result<void> Stack::Load() {
  if (access_.mode() == CpuMode::kLong64) {
    address_size_ = 8;
  } else {
    PETREL_ASSIGN_OR_RETURN(const hv::Segment ss, cpu_.GetSegment(SegReg::kSs));
    address_size_ = ss.db ? 4 : 2;
  }
  PETREL_ASSIGN_OR_RETURN(const uint64_t rsp, cpu_.Get(GprReg(hv::kRsp)));
  sp_ = Truncate(rsp, address_size_);
  return Ok();
}

Result<bool> Stack::Push(uint64_t value, unsigned size) {
  const uint64_t sp = Truncate(sp_ - size, address_size_);
  uint64_t linear = 0;
  X86EMU_STEP(access_.Linear(SegReg::kSs, sp, size, Access::kWrite, &linear));
  uint8_t buf[8] = {};
  std::memcpy(buf, &value, size);
  X86EMU_STEP(access_.Write(linear, std::span<const uint8_t>(buf, size)));
  sp_ = sp;
  return true;
}

Result<bool> Stack::Pop(unsigned size, uint64_t* value) {
  uint64_t linear = 0;
  X86EMU_STEP(access_.Linear(SegReg::kSs, sp_, size, Access::kRead, &linear));
  uint8_t buf[8] = {};
  X86EMU_STEP(access_.Read(linear, std::span<uint8_t>(buf, size)));
  *value = LoadLe(buf, size);
  sp_ = Truncate(sp_ + size, address_size_);
  return true;
}

Result<void> Stack::Commit() {
  return access_.WriteGpr(GprRef{hv::kRsp, static_cast<uint8_t>(address_size_), false}, sp_);
}

// PUSH r/m, r, imm8/16/32 (SDM 2B 4.3 PUSH): the source is read first (PUSH
// RSP pushes the old value), an immediate is sign-extended to the operand
// size; the stack pointer moves by the operand size (2, 4 or 8; 64-bit mode
// defaults to 8).
Result<bool> Execution::PushOp() {
  const unsigned size = insn_.operand_size;
  uint64_t value = 0;
  X86EMU_STEP(ReadOperand(insn_.operands[0], size, &value));
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  X86EMU_STEP(stack.Push(value, size));
  PETREL_TRY(stack.Commit());
  return true;
}

// POP r/m, r (SDM 2B 4.3 POP): a memory destination addressed through rSP
// uses the incremented value; POP rSP leaves the popped value in rSP. A
// fault writing the destination leaves rSP unchanged.
Result<bool> Execution::PopOp() {
  const unsigned size = insn_.operand_size;
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  PETREL_ASSIGN_OR_RETURN(const uint64_t old_rsp, cpu_.Get(GprReg(hv::kRsp)));
  uint64_t value = 0;
  X86EMU_STEP(stack.Pop(size, &value));
  PETREL_TRY(stack.Commit());
  auto written = WriteOperand(insn_.operands[0], size, value);
  if (!written.ok() || !*written) cpu_.Set(GprReg(hv::kRsp), old_rsp);
  return written;
}

// PUSHF/PUSHFD/PUSHFQ (SDM 2B 4.3 PUSHF): the image has VM and RF clear.
Result<bool> Execution::Pushf() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  X86EMU_STEP(stack.Push(rflags & ~(kFlagVm | kFlagRf), insn_.operand_size));
  PETREL_TRY(stack.Commit());
  return true;
}

// POPF/POPFD/POPFQ (SDM 2B 4.3 POPF) at CPL 0 (and in real mode): every
// flag of kFlagsWritable from the image, RF cleared, VM/VIF/VIP kept; a
// 16-bit POPF changes only bits 15:0.
Result<bool> Execution::Popf() {
  const unsigned size = insn_.operand_size;
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  uint64_t image = 0;
  X86EMU_STEP(stack.Pop(size, &image));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  const uint64_t mask = size == 2 ? (kFlagsWritable & 0xffff) : kFlagsWritable;
  cpu_.Set(Reg::kRflags, ((rflags & ~mask & ~kFlagRf) | (image & mask)) | kFlagFixed1);
  PETREL_TRY(stack.Commit());
  return true;
}

// A near branch: the target (already wrapped at the operand size) must be
// canonical in 64-bit mode, within CS's limit elsewhere: #GP(0).
Result<bool> Execution::Branch(uint64_t target) {
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu_.GetSegment(SegReg::kCs));
  X86EMU_STEP(access_.CheckCodeTarget(cs, target, access_.mode() == CpuMode::kLong64));
  cpu_.Set(Reg::kRip, target);
  rip_set_ = true;
  return true;
}

// rel8/16/32 from the next instruction, wrapping at the operand size (SDM
// 2A JMP/Jcc/CALL: EIP or IP is truncated outside 64-bit mode).
uint64_t Execution::RelativeTarget() const {
  return Truncate(NextRip() + static_cast<uint64_t>(insn_.branch_offset), insn_.operand_size);
}

// JMP rel and JMP r/m (near, SDM 2A 3.2 JMP).
Result<bool> Execution::Jmp() {
  if (insn_.relative_branch) return Branch(RelativeTarget());
  uint64_t target = 0;
  X86EMU_STEP(ReadOperand(insn_.operands[0], insn_.operands[0].size, &target));
  return Branch(target);
}

// CALL rel and CALL r/m (near, SDM 2A 3.2 CALL): the target is read and
// checked before the return address (the next instruction) is pushed at
// the operand size.
Result<bool> Execution::Call() {
  uint64_t target = 0;
  if (insn_.relative_branch) {
    target = RelativeTarget();
  } else {
    X86EMU_STEP(ReadOperand(insn_.operands[0], insn_.operands[0].size, &target));
  }
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu_.GetSegment(SegReg::kCs));
  X86EMU_STEP(access_.CheckCodeTarget(cs, target, access_.mode() == CpuMode::kLong64));
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  X86EMU_STEP(stack.Push(NextRip(), insn_.operand_size));
  PETREL_TRY(stack.Commit());
  cpu_.Set(Reg::kRip, target);
  rip_set_ = true;
  return true;
}

// RET and RET imm16 (near, SDM 2B 4.3 RET): pops the return address at the
// operand size, checks it, then releases imm16 more bytes of stack.
Result<bool> Execution::Ret() {
  Stack stack(access_, cpu_);
  PETREL_TRY(stack.Load());
  uint64_t target = 0;
  X86EMU_STEP(stack.Pop(insn_.operand_size, &target));
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu_.GetSegment(SegReg::kCs));
  X86EMU_STEP(access_.CheckCodeTarget(cs, target, access_.mode() == CpuMode::kLong64));
  if (insn_.operand_count == 1) stack.set_sp(stack.sp() + (insn_.operands[0].imm & 0xffff));
  PETREL_TRY(stack.Commit());
  cpu_.Set(Reg::kRip, target);
  rip_set_ = true;
  return true;
}

// Jcc rel8/rel16/rel32 (SDM 2A 3.2 Jcc): the condition of the opcode's low
// nibble (ConditionHolds); not taken, execution continues after it.
Result<bool> Execution::Jcc() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  if (!ConditionHolds(insn_.condition, rflags)) return true;
  return Branch(RelativeTarget());
}

// LOOP/LOOPE/LOOPNE rel8 (SDM 2A 3.2 LOOP/LOOPcc): rCX at the address size
// is decremented (flags unchanged), then the branch is taken while it is
// not 0 (and ZF = 1 / 0). JCXZ/JECXZ/JRCXZ (SDM 2A Jcc): taken when rCX is 0.
Result<bool> Execution::Loop() {
  const GprRef rcx{hv::kRcx, insn_.address_size, false};
  PETREL_ASSIGN_OR_RETURN(uint64_t count, access_.ReadGpr(rcx));
  bool taken = false;
  if (insn_.op == Op::kJcxz) {
    taken = count == 0;
  } else {
    count = Truncate(count - 1, insn_.address_size);
    PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
    const bool zf = (rflags & kFlagZf) != 0;
    taken = count != 0 && (insn_.op == Op::kLoop || (insn_.op == Op::kLoope ? zf : !zf));
  }
  if (taken) X86EMU_STEP(Branch(RelativeTarget()));
  if (insn_.op != Op::kJcxz) PETREL_TRY(access_.WriteGpr(rcx, count));
  return true;
}

// LEA (SDM 2A 3.2 LEA): the effective address at the address size, then
// truncated or zero-extended to the operand size; no segment, no access.
Result<bool> Execution::Lea() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t ea,
                          access_.EffectiveAddress(insn_.operands[1].mem, insn_.address_size, NextRip()));
  PETREL_TRY(access_.WriteGpr(insn_.operands[0].gpr, Truncate(ea, insn_.operands[0].size)));
  return true;
}

Result<void> Execution::SetFlag(uint64_t flag, int how) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  cpu_.Set(Reg::kRflags, how == 0 ? (rflags & ~flag) : how == 1 ? (rflags | flag) : (rflags ^ flag));
  return Ok();
}

}  // namespace petrel::x86emu::internal
