// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator::Step: fetch and decode at CS:RIP, check the instruction's
// shape against the profile, dispatch (Execution::Run), and the semantics
// of the `mmio` profile's instructions but MOVS/STOS (SDM 2A/2B instruction
// pages: MOV, MOVZX, MOVSX/MOVSXD, ADD, OR, AND, SUB, XOR, CMP, TEST, XCHG,
// BT, BTS, BTR, SETcc). The sim profile's semantics are in
// emulator_{control,arith,string,system}.cc (execution.h).
#include "core/x86emu/emulator.h"

#include <array>
#include <cstring>
#include <optional>

#include "core/x86emu/alu.h"
#include "core/x86emu/execution.h"
#include "core/x86emu/guest_access.h"

namespace petrel::x86emu {
namespace internal {

uint64_t Execution::NextRip() const {
  const uint64_t next = rip_ + insn_.length;
  switch (AddressSizeOf(access_.mode())) {
    case 8: return next;
    case 4: return next & 0xffffffffull;
    default: return next & 0xffffull;
  }
}

Result<bool> Execution::MemLinear(const Operand& op, unsigned size, Access access,
                                  uint64_t* linear, int64_t extra_offset) {
  PETREL_ASSIGN_OR_RETURN(uint64_t ea, access_.EffectiveAddress(op.mem, insn_.address_size, NextRip()));
  ea = Truncate(ea + static_cast<uint64_t>(extra_offset), insn_.address_size);
  return access_.Linear(op.mem.segment, ea, size, access, linear);
}

Result<bool> Execution::ReadOperand(const Operand& op, unsigned size, uint64_t* value, Access access) {
  switch (op.kind) {
    case Operand::Kind::kGpr: {
      PETREL_ASSIGN_OR_RETURN(*value, access_.ReadGpr(op.gpr));
      return true;
    }
    case Operand::Kind::kImm:
      *value = Truncate(op.imm, size);
      return true;
    case Operand::Kind::kMem: {
      uint64_t linear = 0;
      X86EMU_STEP(MemLinear(op, size, access, &linear));
      std::array<uint8_t, 8> buf{};
      X86EMU_STEP(access_.Read(linear, std::span(buf.data(), size), access));
      *value = LoadLe(buf.data(), size);
      return true;
    }
    case Operand::Kind::kNone:
    case Operand::Kind::kCr: break;  // MOV CRn reads it itself
  }
  return Error(ErrorCode::kInternal, "x86emu: reading an absent operand");
}

Result<bool> Execution::WriteOperand(const Operand& op, unsigned size, uint64_t value) {
  switch (op.kind) {
    case Operand::Kind::kGpr:
      PETREL_TRY(access_.WriteGpr(op.gpr, value));
      return true;
    case Operand::Kind::kMem: {
      uint64_t linear = 0;
      X86EMU_STEP(MemLinear(op, size, Access::kWrite, &linear));
      std::array<uint8_t, 8> buf{};
      std::memcpy(buf.data(), &value, size);
      return access_.Write(linear, std::span<const uint8_t>(buf.data(), size));
    }
    default: break;
  }
  return Error(ErrorCode::kInternal, "x86emu: writing an operand that is not a register or memory");
}

Result<void> Execution::SetArithFlags(uint64_t flags, uint64_t mask) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  cpu_.Set(Reg::kRflags, (rflags & ~mask) | (flags & mask));
  return Ok();
}

// MOV (SDM 2A "MOV"): 88/89/8A/8B, C6/C7, B0-BF, A0-A3 (moffs). Flags unchanged.
Result<bool> Execution::Mov() {
  const unsigned size = insn_.operands[0].size;
  uint64_t value = 0;
  X86EMU_STEP(ReadOperand(insn_.operands[1], size, &value));
  return WriteOperand(insn_.operands[0], size, value);
}

// MOVZX, MOVSX, MOVSXD (SDM 2A): the source's size is its own.
Result<bool> Execution::Extend(bool sign) {
  const Operand& src = insn_.operands[1];
  uint64_t value = 0;
  X86EMU_STEP(ReadOperand(src, src.size, &value));
  if (sign) value = SignExtend(value, src.size);
  return WriteOperand(insn_.operands[0], insn_.operands[0].size, Truncate(value, insn_.operands[0].size));
}

// ADD, OR, AND, SUB, XOR (store) and CMP, TEST (flags only). A memory
// destination is read with write intent, as the processor checks it.
Result<bool> Execution::Arith(AluOp op, bool store) {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t a = 0, b = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, store ? Access::kWrite : Access::kRead));
  X86EMU_STEP(ReadOperand(insn_.operands[1], size, &b));
  const AluResult r = Alu(op, a, b, size);
  if (store) {
    X86EMU_STEP(WriteOperand(dst, size, r.value));
  }
  PETREL_TRY(SetArithFlags(r.flags));
  return true;
}

// XCHG (SDM 2B): exchanges; with memory the processor locks, here the two
// accesses are a read then a write. Flags unchanged.
Result<bool> Execution::Xchg() {
  const Operand& a = insn_.operands[0];
  const Operand& b = insn_.operands[1];
  const unsigned size = a.size;
  uint64_t va = 0, vb = 0;
  const bool a_mem = a.kind == Operand::Kind::kMem;
  X86EMU_STEP(ReadOperand(a, size, &va, a_mem ? Access::kWrite : Access::kRead));
  X86EMU_STEP(ReadOperand(b, size, &vb, b.kind == Operand::Kind::kMem ? Access::kWrite : Access::kRead));
  // Memory first, so a fault leaves the registers untouched.
  if (a_mem) {
    X86EMU_STEP(WriteOperand(a, size, vb));
    X86EMU_STEP(WriteOperand(b, size, va));
  } else {
    X86EMU_STEP(WriteOperand(b, size, va));
    X86EMU_STEP(WriteOperand(a, size, vb));
  }
  return true;
}

// BT, BTS, BTR (SDM 2A "BT", "BTS", "BTR"): CF = the selected bit; BTS
// then sets it, BTR clears it. ZF unaffected; OF, SF, AF, PF are undefined
// and left as they were. With a register offset and a memory base, the
// offset is signed and selects any bit of the bit string (SDM 2A 3.1.1.9
// "Bit(BitBase, BitOffset)"); with an immediate it is taken modulo the
// operand width.
Result<bool> Execution::Bt(BitOp bit_op) {
  const Operand& base = insn_.operands[0];
  const Operand& offset_op = insn_.operands[1];
  const unsigned size = base.size;
  const unsigned bits = size * 8;
  const bool writes = bit_op != BitOp::kTest;
  const Access access = writes ? Access::kWrite : Access::kRead;
  uint64_t offset = 0;
  X86EMU_STEP(ReadOperand(offset_op, offset_op.kind == Operand::Kind::kImm ? 1 : size, &offset));
  uint64_t word = 0;
  unsigned bit = 0;
  uint64_t linear = 0;
  const bool mem = base.kind == Operand::Kind::kMem;
  if (mem) {
    int64_t word_offset = 0;
    if (offset_op.kind == Operand::Kind::kGpr) {
      const int64_t signed_offset = static_cast<int64_t>(SignExtend(offset, size));
      const int64_t word_index = signed_offset >> (size == 8 ? 6 : size == 4 ? 5 : 4);
      word_offset = word_index * static_cast<int64_t>(size);
    }
    bit = static_cast<unsigned>(offset & (bits - 1));
    X86EMU_STEP(MemLinear(base, size, access, &linear, word_offset));
    std::array<uint8_t, 8> buf{};
    X86EMU_STEP(access_.Read(linear, std::span(buf.data(), size), access));
    word = LoadLe(buf.data(), size);
  } else {
    bit = static_cast<unsigned>(offset & (bits - 1));
    X86EMU_STEP(ReadOperand(base, size, &word));
  }
  const uint64_t mask = 1ull << bit;
  const bool was_set = (word & mask) != 0;
  if (writes) {
    const uint64_t updated = bit_op == BitOp::kSet ? (word | mask) : (word & ~mask);
    if (mem) {
      std::array<uint8_t, 8> buf{};
      std::memcpy(buf.data(), &updated, size);
      X86EMU_STEP(access_.Write(linear, std::span<const uint8_t>(buf.data(), size)));
    } else {
      X86EMU_STEP(WriteOperand(base, size, updated));
    }
  }
  PETREL_TRY(SetArithFlags(was_set ? kFlagCf : 0, kFlagCf));
  return true;
}

// SETcc (SDM 2B "SETcc"): r/m8 = condition.
Result<bool> Execution::Setcc() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  return WriteOperand(insn_.operands[0], 1, ConditionHolds(insn_.condition, rflags) ? 1 : 0);
}

Result<bool> Execution::Run(bool* rep_pending, bool* halted) {
  switch (insn_.op) {
    case Op::kMov: X86EMU_STEP(Mov()); break;
    case Op::kMovzx: X86EMU_STEP(Extend(false)); break;
    case Op::kMovsx:
    case Op::kMovsxd: X86EMU_STEP(Extend(true)); break;
    case Op::kAdd: X86EMU_STEP(Arith(AluOp::kAdd, true)); break;
    case Op::kOr: X86EMU_STEP(Arith(AluOp::kOr, true)); break;
    case Op::kAnd: X86EMU_STEP(Arith(AluOp::kAnd, true)); break;
    case Op::kSub: X86EMU_STEP(Arith(AluOp::kSub, true)); break;
    case Op::kXor: X86EMU_STEP(Arith(AluOp::kXor, true)); break;
    case Op::kCmp: X86EMU_STEP(Arith(AluOp::kSub, false)); break;
    case Op::kTest: X86EMU_STEP(Arith(AluOp::kAnd, false)); break;
    case Op::kXchg: X86EMU_STEP(Xchg()); break;
    case Op::kBt: X86EMU_STEP(Bt(BitOp::kTest)); break;
    case Op::kBts: X86EMU_STEP(Bt(BitOp::kSet)); break;
    case Op::kBtr: X86EMU_STEP(Bt(BitOp::kReset)); break;
    case Op::kSetcc: X86EMU_STEP(Setcc()); break;
    case Op::kMovs:
    case Op::kStos:
    case Op::kLods:
    case Op::kIns:
    case Op::kOuts: X86EMU_STEP(String(rep_pending)); break;
    // The sim profile.
    case Op::kIn: X86EMU_STEP(PortIo(true)); break;
    case Op::kOut: X86EMU_STEP(PortIo(false)); break;
    case Op::kHlt: *halted = true; break;
    // CLI/STI: RFLAGS.IF (SDM 2A CLI, 2B STI). STI's one-instruction
    // interrupt shadow is not modelled: the caller delivering interrupts
    // between Steps decides. CLC/STC/CMC, CLD/STD: CF, DF (SDM 2A).
    case Op::kCli: PETREL_TRY(SetFlag(kFlagIf, 0)); break;
    case Op::kSti: PETREL_TRY(SetFlag(kFlagIf, 1)); break;
    case Op::kClc: PETREL_TRY(SetFlag(kFlagCf, 0)); break;
    case Op::kStc: PETREL_TRY(SetFlag(kFlagCf, 1)); break;
    case Op::kCmc: PETREL_TRY(SetFlag(kFlagCf, 2)); break;
    case Op::kCld: PETREL_TRY(SetFlag(kFlagDf, 0)); break;
    case Op::kStd: PETREL_TRY(SetFlag(kFlagDf, 1)); break;
    case Op::kNop: break;
    case Op::kJmp: X86EMU_STEP(Jmp()); break;
    case Op::kPush: X86EMU_STEP(PushOp()); break;
    case Op::kPop: X86EMU_STEP(PopOp()); break;
    case Op::kPushf: X86EMU_STEP(Pushf()); break;
    case Op::kPopf: X86EMU_STEP(Popf()); break;
    case Op::kCall: X86EMU_STEP(Call()); break;
    case Op::kRet: X86EMU_STEP(Ret()); break;
    case Op::kJcc: X86EMU_STEP(Jcc()); break;
    case Op::kLoop:
    case Op::kLoope:
    case Op::kLoopne:
    case Op::kJcxz: X86EMU_STEP(Loop()); break;
    case Op::kLea: X86EMU_STEP(Lea()); break;
    case Op::kInc: X86EMU_STEP(IncDec(true)); break;
    case Op::kDec: X86EMU_STEP(IncDec(false)); break;
    case Op::kNeg: X86EMU_STEP(NegNot(true)); break;
    case Op::kNot: X86EMU_STEP(NegNot(false)); break;
    case Op::kShl:
    case Op::kShr:
    case Op::kSar: X86EMU_STEP(Shift()); break;
    case Op::kAdc: X86EMU_STEP(AddWithCarry(false)); break;
    case Op::kSbb: X86EMU_STEP(AddWithCarry(true)); break;
    case Op::kMul: X86EMU_STEP(Multiply(false)); break;
    case Op::kImul: X86EMU_STEP(Multiply(true)); break;
    case Op::kCpuid: X86EMU_STEP(Cpuid()); break;
    case Op::kRdmsr: X86EMU_STEP(Rdmsr()); break;
    case Op::kWrmsr: X86EMU_STEP(Wrmsr()); break;
    case Op::kRdtsc: X86EMU_STEP(Rdtsc()); break;
    case Op::kLgdt: X86EMU_STEP(LoadTable(TableReg::kGdtr)); break;
    case Op::kLidt: X86EMU_STEP(LoadTable(TableReg::kIdtr)); break;
    case Op::kSgdt: X86EMU_STEP(StoreTable(TableReg::kGdtr)); break;
    case Op::kSidt: X86EMU_STEP(StoreTable(TableReg::kIdtr)); break;
    case Op::kMovCr: X86EMU_STEP(MovCr()); break;
    case Op::kInt: X86EMU_STEP(SoftwareInterrupt(static_cast<uint8_t>(insn_.operands[0].imm))); break;
    case Op::kInt3: X86EMU_STEP(SoftwareInterrupt(kVectorBp)); break;
    case Op::kIret: X86EMU_STEP(Iret()); break;
    case Op::kOther: return Error(ErrorCode::kInternal, "x86emu: running an unsupported instruction");
  }
  if (!*rep_pending && !rip_set_) cpu_.Set(Reg::kRip, NextRip());
  return true;
}

}  // namespace internal

namespace {

using internal::Execution;

constexpr size_t kMaxInstructionLength = 15;  // SDM 2A 2.3.11

// The sim profile's ops are the enum's from kIn on (decoder.h).
// INS and OUTS reach a device as MMIO does: the mmio profile has them for
// MSHV's string port I/O intercepts.
bool IsSimOnly(Op op) { return op >= Op::kIn && op != Op::kIns && op != Op::kOuts; }

bool Sized(unsigned size) { return size == 1 || size == 2 || size == 4 || size == 8; }
bool StackSized(unsigned size) { return size == 2 || size == 4 || size == 8; }
bool AddressSized(unsigned size) { return size == 2 || size == 4 || size == 8; }
bool IsRm(const Operand& op) { return op.kind == Operand::Kind::kGpr || op.kind == Operand::Kind::kMem; }

// Operand shapes each op needs; anything else from a decoder is refused.
const char* ShapeProblem(const DecodedInstruction& insn, Profile profile) {
  if (IsSimOnly(insn.op) && profile != Profile::kSim) return "not in the mmio profile";
  if (insn.unsupported_operand) return "an operand that is not a general-purpose register, memory or immediate";
  const Operand& op0 = insn.operands[0];
  const Operand& op1 = insn.operands[1];
  switch (insn.op) {
    case Op::kMovs:
    case Op::kStos:
    case Op::kLods:
    case Op::kIns:
    case Op::kOuts:
      if (insn.rep == RepPrefix::kRepne) return "REPNE with a string instruction other than CMPS/SCAS";
      if (!Sized(insn.operand_size) || !AddressSized(insn.address_size)) {
        return "operand or address size";
      }
      return nullptr;
    case Op::kSetcc:
      if (insn.operand_count < 1 || op0.kind == Operand::Kind::kImm) return "operands";
      return nullptr;
    case Op::kOther:
      return profile == Profile::kSim ? "not in the sim profile" : "not in the mmio profile";
    case Op::kHlt: case Op::kCli: case Op::kSti: case Op::kNop: case Op::kPushf: case Op::kPopf:
    case Op::kClc: case Op::kStc: case Op::kCmc: case Op::kCld: case Op::kStd:
    case Op::kCpuid: case Op::kRdmsr: case Op::kWrmsr: case Op::kRdtsc: case Op::kInt3:
    case Op::kIret:
      if (insn.operand_count != 0) return "operands";
      if ((insn.op == Op::kPushf || insn.op == Op::kPopf || insn.op == Op::kIret) &&
          !StackSized(insn.operand_size)) {
        return "operand size";
      }
      return nullptr;
    case Op::kJmp:
    case Op::kCall:
      if (insn.far_branch) return "far JMP/CALL";
      if (insn.relative_branch) return nullptr;
      if (insn.operand_count != 1 || !IsRm(op0) || !StackSized(op0.size)) return "operands";
      if (!AddressSized(insn.address_size)) return "address size";
      return nullptr;
    case Op::kRet:
      if (insn.far_branch) return "far RET";
      if (insn.operand_count > 1 || (insn.operand_count == 1 && op0.kind != Operand::Kind::kImm)) {
        return "operands";
      }
      return StackSized(insn.operand_size) ? nullptr : "operand size";
    case Op::kJcc: case Op::kLoop: case Op::kLoope: case Op::kLoopne: case Op::kJcxz:
      return insn.relative_branch && AddressSized(insn.address_size) ? nullptr : "not a relative branch";
    case Op::kPush:
    case Op::kPop:
      if (insn.operand_count != 1) return "operands";
      if (insn.op == Op::kPop ? !IsRm(op0) : !(IsRm(op0) || op0.kind == Operand::Kind::kImm)) {
        return "operands";
      }
      if (!StackSized(insn.operand_size) || !AddressSized(insn.address_size)) return "operand size";
      return nullptr;
    case Op::kLea:
      if (insn.operand_count != 2 || op0.kind != Operand::Kind::kGpr || op1.kind != Operand::Kind::kMem ||
          !StackSized(op0.size) || !AddressSized(insn.address_size)) {
        return "operands";
      }
      return nullptr;
    case Op::kInc: case Op::kDec: case Op::kNeg: case Op::kNot: case Op::kMul:
      if (insn.operand_count != 1 || !IsRm(op0) || !Sized(op0.size)) return "operands";
      return AddressSized(insn.address_size) ? nullptr : "address size";
    case Op::kImul:
      if (insn.operand_count == 1) {
        if (!IsRm(op0) || !Sized(op0.size)) return "operands";
      } else if (op0.kind != Operand::Kind::kGpr || !IsRm(op1) || !StackSized(op0.size) ||
                 (insn.operand_count == 3 && insn.operands[2].kind != Operand::Kind::kImm)) {
        return "operands";
      }
      return AddressSized(insn.address_size) ? nullptr : "address size";
    case Op::kShl: case Op::kShr: case Op::kSar: {
      if (insn.operand_count != 2 || !IsRm(op0) || !Sized(op0.size)) return "operands";
      const bool cl = op1.kind == Operand::Kind::kGpr && op1.gpr.index == hv::kRcx && op1.size == 1 &&
                      !op1.gpr.high8;
      if (op1.kind != Operand::Kind::kImm && !cl) return "the count (1, imm8 or CL)";
      return AddressSized(insn.address_size) ? nullptr : "address size";
    }
    case Op::kLgdt: case Op::kLidt: case Op::kSgdt: case Op::kSidt:
      if (insn.operand_count != 1 || op0.kind != Operand::Kind::kMem) return "operands";
      return AddressSized(insn.address_size) && StackSized(insn.operand_size) ? nullptr : "operand size";
    case Op::kMovCr: {
      if (insn.operand_count != 2) return "operands";
      const bool to_cr = op0.kind == Operand::Kind::kCr;
      const Operand& gpr = to_cr ? op1 : op0;
      const Operand& cr = to_cr ? op0 : op1;
      if (cr.kind != Operand::Kind::kCr || gpr.kind != Operand::Kind::kGpr || (gpr.size != 4 && gpr.size != 8)) {
        return "operands";
      }
      return nullptr;
    }
    case Op::kInt:
      return insn.operand_count == 1 && op0.kind == Operand::Kind::kImm ? nullptr : "operands";
    case Op::kIn:
    case Op::kOut: {
      if (insn.operand_count != 2) return "operands";
      const Operand& reg = insn.operands[insn.op == Op::kIn ? 0 : 1];
      const Operand& port = insn.operands[insn.op == Op::kIn ? 1 : 0];
      if (reg.kind != Operand::Kind::kGpr || reg.gpr.index != hv::kRax || reg.gpr.high8 ||
          (reg.size != 1 && reg.size != 2 && reg.size != 4)) {
        return "the data register (AL, AX or EAX)";
      }
      const bool dx = port.kind == Operand::Kind::kGpr && port.gpr.index == hv::kRdx && port.size == 2;
      if (port.kind != Operand::Kind::kImm && !dx) return "the port (imm8 or DX)";
      return nullptr;
    }
    default:  // two operands: r/m destination (MOV ... SETcc's kin, ADC, SBB)
      if (insn.operand_count < 2) return "operands";
      if (!IsRm(op0)) return "destination";
      if (op1.kind == Operand::Kind::kCr) return "operands";
      if (!Sized(op0.size) || !Sized(op1.size)) return "operand size";
      if (!AddressSized(insn.address_size)) return "address size";
      return nullptr;
  }
}

}  // namespace

Result<Outcome> Emulator::Step(CpuState& cpu, Platform& platform, std::span<const uint8_t> bytes) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t cr0, cpu.Get(Reg::kCr0));
  PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu.Get(Reg::kEfer));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu.Get(Reg::kRflags));
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rip, cpu.Get(Reg::kRip));
  const ModeResult mode = DetermineMode(cr0, efer, rflags, cs);
  if (!mode.ok) return Outcome{Unsupported{"", "CS.L and CS.D both set in IA-32e mode"}};
  if (mode.mode == CpuMode::kVirtual8086) return Outcome{Unsupported{"", "virtual-8086 mode"}};
  GuestAccess access(cpu, platform, mode.mode);

  // The instruction bytes: those given, then CS:RIP's as far as needed.
  std::array<uint8_t, kMaxInstructionLength> buf{};
  size_t have = bytes.size() < buf.size() ? bytes.size() : buf.size();
  if (have) std::memcpy(buf.data(), bytes.data(), have);  // an empty span's data() may be null
  DecodedInstruction insn;
  DecodeStatus status = have ? decoder_.Decode(std::span(buf.data(), have), mode.mode, &insn)
                             : DecodeStatus::kNeedMoreBytes;
  if (status == DecodeStatus::kNeedMoreBytes) {
    // SDM 3A 5.3: a fetch beyond the CS limit is #GP(0) (not in 64-bit mode).
    size_t want = buf.size() - have;
    uint64_t linear = rip + have;
    std::optional<Fault> limit_fault;
    if (mode.mode != CpuMode::kLong64) {
      const uint64_t first = Truncate(rip + have, AddressSizeOf(mode.mode) == 2 ? 2 : 4);
      const uint64_t room = first > cs.limit ? 0 : cs.limit - first + 1;
      if (room < want) {
        want = static_cast<size_t>(room);
        limit_fault = Fault{kVectorGp, 0u, 0};
      }
      linear = (cs.base + first) & 0xffffffffull;
    }
    size_t got = 0;
    std::optional<Fault> fetch_fault;
    PETREL_TRY(access.FetchUpTo(linear, std::span(buf.data() + have, want), &got, &fetch_fault));
    have += got;
    if (!fetch_fault) fetch_fault = limit_fault;
    status = decoder_.Decode(std::span(buf.data(), have), mode.mode, &insn);
    if (status == DecodeStatus::kNeedMoreBytes) {
      if (!fetch_fault) return Error(ErrorCode::kInternal, "x86emu: decoder wants more than 15 bytes");
      return Outcome{*fetch_fault};
    }
  }
  // Bytes no processor decodes: hardware would raise #UD, but an intercept's
  // bytes can be stale (the guest rewrote its code) and an MMIO exit cannot
  // come from an invalid instruction, so the caller decides.
  if (status == DecodeStatus::kInvalid) return Outcome{Unsupported{"", "invalid instruction bytes"}};

  if (const char* problem = ShapeProblem(insn, options_.profile)) {
    return Outcome{Unsupported{insn.name, problem}};
  }

  Execution execution(access, cpu, insn, rip, options_.max_rep_iterations ? options_.max_rep_iterations : 1);
  bool rep_pending = false, halted = false;
  PETREL_ASSIGN_OR_RETURN(const bool ok, execution.Run(&rep_pending, &halted));
  // Found unsupported while running (an IDT task gate, an IRET to another
  // privilege level, ...): decided before anything was changed, and
  // nothing is written back.
  if (!ok && !execution.unsupported().empty()) {
    return Outcome{Unsupported{insn.name, execution.unsupported()}};
  }
  PETREL_TRY(cpu.Flush());
  if (!ok) {
    if (!access.fault()) return Error(ErrorCode::kInternal, "x86emu: stopped without a fault");
    return Outcome{*access.fault()};
  }
  // STI with IF clear holds interrupts off until the next instruction ends
  // (SDM 2B "STI"); with IF already set it does not.
  const bool sti_shadow = insn.op == Op::kSti && (rflags & internal::kFlagIf) == 0;
  return Outcome{Completed{rep_pending, halted, sti_shadow}};
}

std::string DescribeOutcome(const Outcome& outcome) {
  if (const auto* c = std::get_if<Completed>(&outcome)) {
    return c->rep_pending ? "completed (rep pending)" : c->halted ? "completed (halted)" : "completed";
  }
  if (const auto* f = std::get_if<Fault>(&outcome)) {
    std::string s = "fault vector " + std::to_string(f->vector);
    if (f->error_code) s += " error " + std::to_string(*f->error_code);
    return s;
  }
  const auto& u = std::get<Unsupported>(outcome);
  return "unsupported " + (u.mnemonic.empty() ? std::string("instruction") : u.mnemonic) + ": " + u.reason;
}

}  // namespace petrel::x86emu
