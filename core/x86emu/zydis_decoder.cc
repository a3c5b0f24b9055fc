// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ZydisInstructionDecoder: Zydis's ZydisDecodedInstruction/Operand to Petrel's
// DecodedInstruction. Registers other than the 16 GPRs (and their 8/16/32-bit
// parts) mark the instruction unsupported_operand rather than guessing.
#include "core/x86emu/zydis_decoder.h"

#include <Zydis/Zydis.h>

#include <cctype>

namespace petrel::x86emu {
namespace {

ZydisMachineMode MachineMode(CpuMode mode) {
  switch (mode) {
    case CpuMode::kLong64: return ZYDIS_MACHINE_MODE_LONG_64;
    case CpuMode::kCompat32: return ZYDIS_MACHINE_MODE_LONG_COMPAT_32;
    case CpuMode::kCompat16: return ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
    case CpuMode::kProtected32: return ZYDIS_MACHINE_MODE_LEGACY_32;
    case CpuMode::kProtected16: return ZYDIS_MACHINE_MODE_LEGACY_16;
    case CpuMode::kReal16:
    case CpuMode::kVirtual8086: return ZYDIS_MACHINE_MODE_REAL_16;
  }
  return ZYDIS_MACHINE_MODE_LONG_64;
}

ZydisStackWidth StackWidth(CpuMode mode) {
  switch (AddressSizeOf(mode)) {
    case 8: return ZYDIS_STACK_WIDTH_64;
    case 4: return ZYDIS_STACK_WIDTH_32;
    default: return ZYDIS_STACK_WIDTH_16;
  }
}

// A Zydis GPR (any width) to a GprRef; false for any other register.
bool ToGpr(ZydisRegister reg, GprRef* out) {
  switch (reg) {
    case ZYDIS_REGISTER_AH: *out = {0, 1, true}; return true;
    case ZYDIS_REGISTER_CH: *out = {1, 1, true}; return true;
    case ZYDIS_REGISTER_DH: *out = {2, 1, true}; return true;
    case ZYDIS_REGISTER_BH: *out = {3, 1, true}; return true;
    default: break;
  }
  const ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
  if (full < ZYDIS_REGISTER_RAX || full > ZYDIS_REGISTER_R15) return false;
  const ZydisRegisterWidth width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg);
  if (width != 8 && width != 16 && width != 32 && width != 64) return false;
  *out = {static_cast<uint8_t>(full - ZYDIS_REGISTER_RAX), static_cast<uint8_t>(width / 8), false};
  return true;
}

bool ToSegment(ZydisRegister reg, SegReg* out) {
  switch (reg) {
    case ZYDIS_REGISTER_ES: *out = SegReg::kEs; return true;
    case ZYDIS_REGISTER_CS: *out = SegReg::kCs; return true;
    case ZYDIS_REGISTER_SS: *out = SegReg::kSs; return true;
    case ZYDIS_REGISTER_DS: *out = SegReg::kDs; return true;
    case ZYDIS_REGISTER_FS: *out = SegReg::kFs; return true;
    case ZYDIS_REGISTER_GS: *out = SegReg::kGs; return true;
    default: return false;
  }
}

// CR0..CR15 (SDM 3A 2.5); MOV to/from CRn is the only user.
bool ToCr(ZydisRegister reg, uint8_t* out) {
  if (reg < ZYDIS_REGISTER_CR0 || reg > ZYDIS_REGISTER_CR15) return false;
  *out = static_cast<uint8_t>(reg - ZYDIS_REGISTER_CR0);
  return true;
}

// `agen`: an address-generation memory operand (LEA) is accepted.
bool ToOperand(const ZydisDecodedOperand& in, Operand* out, bool agen = false) {
  out->size = static_cast<uint8_t>(in.size / 8);
  switch (in.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
      if (ToCr(in.reg.value, &out->cr)) {
        out->kind = Operand::Kind::kCr;
        return true;
      }
      out->kind = Operand::Kind::kGpr;
      return ToGpr(in.reg.value, &out->gpr);
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
      out->kind = Operand::Kind::kImm;
      out->imm = in.imm.value.u;
      return !in.imm.is_relative;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
      out->kind = Operand::Kind::kMem;
      const bool agen_ok = agen && in.mem.type == ZYDIS_MEMOP_TYPE_AGEN;
      if (in.mem.type != ZYDIS_MEMOP_TYPE_MEM && !agen_ok) return false;  // MIB, VSIB
      MemRef& m = out->mem;
      if (!ToSegment(in.mem.segment, &m.segment) && !agen_ok) return false;
      if (in.mem.base == ZYDIS_REGISTER_RIP || in.mem.base == ZYDIS_REGISTER_EIP) {
        m.rip_relative = true;
      } else if (in.mem.base != ZYDIS_REGISTER_NONE) {
        GprRef base;
        if (!ToGpr(in.mem.base, &base) || base.high8) return false;
        m.has_base = true;
        m.base = base.index;
      }
      if (in.mem.index != ZYDIS_REGISTER_NONE) {
        GprRef index;
        if (!ToGpr(in.mem.index, &index) || index.high8) return false;
        m.has_index = true;
        m.index = index.index;
      }
      m.scale = in.mem.scale == 0 ? 1 : in.mem.scale;
      m.disp = in.mem.disp.has_displacement ? in.mem.disp.value : 0;
      return true;
    }
    default:
      return false;
  }
}

// SDM 2A Appendix A: the one-byte and two-byte opcode maps.
Op ToOp(const ZydisDecodedInstruction& insn) {
  const bool legacy = insn.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY;
  if (!legacy) return Op::kOther;
  if (insn.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT) {
    switch (insn.opcode) {
      case 0xa4: case 0xa5: return Op::kMovs;  // MOVS m8/m16/32/64 (SDM 4.3 MOVS)
      case 0xaa: case 0xab: return Op::kStos;  // STOS (SDM 4.3 STOS)
      case 0xac: case 0xad: return Op::kLods;  // LODS (SDM 3.2 LODS)
      case 0x6c: case 0x6d: return Op::kIns;   // INS (SDM 3.2 INS)
      case 0x6e: case 0x6f: return Op::kOuts;  // OUTS (SDM 4.3 OUTS)
      case 0xcf: return Op::kIret;             // IRET/IRETD/IRETQ (SDM 3.2 IRET)
      default: break;
    }
  }
  // MOV to/from CRn is 0F 20 / 0F 22 (SDM 2B 4.3 "MOV-Move to/from Control
  // Registers"); MOV DRn (0F 21/23) stays kMov with an unsupported operand.
  if (insn.opcode_map == ZYDIS_OPCODE_MAP_0F && (insn.opcode == 0x20 || insn.opcode == 0x22)) {
    return Op::kMovCr;
  }
  switch (insn.mnemonic) {
    case ZYDIS_MNEMONIC_MOV: return Op::kMov;
    case ZYDIS_MNEMONIC_MOVZX: return Op::kMovzx;
    case ZYDIS_MNEMONIC_MOVSX: return Op::kMovsx;
    case ZYDIS_MNEMONIC_MOVSXD: return Op::kMovsxd;
    case ZYDIS_MNEMONIC_ADD: return Op::kAdd;
    case ZYDIS_MNEMONIC_OR: return Op::kOr;
    case ZYDIS_MNEMONIC_AND: return Op::kAnd;
    case ZYDIS_MNEMONIC_SUB: return Op::kSub;
    case ZYDIS_MNEMONIC_XOR: return Op::kXor;
    case ZYDIS_MNEMONIC_CMP: return Op::kCmp;
    case ZYDIS_MNEMONIC_TEST: return Op::kTest;
    case ZYDIS_MNEMONIC_XCHG: return Op::kXchg;
    case ZYDIS_MNEMONIC_BT: return Op::kBt;
    case ZYDIS_MNEMONIC_BTS: return Op::kBts;
    case ZYDIS_MNEMONIC_BTR: return Op::kBtr;
    // The sim profile's (SDM 2A/2B: IN, OUT, HLT, CLI, STI, JMP, NOP).
    case ZYDIS_MNEMONIC_IN: return Op::kIn;
    case ZYDIS_MNEMONIC_OUT: return Op::kOut;
    case ZYDIS_MNEMONIC_HLT: return Op::kHlt;
    case ZYDIS_MNEMONIC_CLI: return Op::kCli;
    case ZYDIS_MNEMONIC_STI: return Op::kSti;
    case ZYDIS_MNEMONIC_JMP: return Op::kJmp;
    case ZYDIS_MNEMONIC_NOP: return Op::kNop;
    // SDM 2A/2B: PUSH, POP, PUSHF/PUSHFD/PUSHFQ, POPF/POPFD/POPFQ, CALL, RET,
    // Jcc, LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ, LEA.
    case ZYDIS_MNEMONIC_PUSH: return Op::kPush;
    case ZYDIS_MNEMONIC_POP: return Op::kPop;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: case ZYDIS_MNEMONIC_PUSHFQ: return Op::kPushf;
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD: case ZYDIS_MNEMONIC_POPFQ: return Op::kPopf;
    case ZYDIS_MNEMONIC_CALL: return Op::kCall;
    case ZYDIS_MNEMONIC_RET: return Op::kRet;
    case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE:
    case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE:
    case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ:
      return Op::kJcc;
    case ZYDIS_MNEMONIC_LOOP: return Op::kLoop;
    case ZYDIS_MNEMONIC_LOOPE: return Op::kLoope;
    case ZYDIS_MNEMONIC_LOOPNE: return Op::kLoopne;
    case ZYDIS_MNEMONIC_JCXZ: case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JRCXZ: return Op::kJcxz;
    case ZYDIS_MNEMONIC_LEA: return Op::kLea;
    // SDM 2A/2B: INC, DEC, NEG, NOT, SAL/SHL, SHR, SAR, ADC, SBB, MUL, IMUL.
    case ZYDIS_MNEMONIC_INC: return Op::kInc;
    case ZYDIS_MNEMONIC_DEC: return Op::kDec;
    case ZYDIS_MNEMONIC_NEG: return Op::kNeg;
    case ZYDIS_MNEMONIC_NOT: return Op::kNot;
    case ZYDIS_MNEMONIC_SHL: return Op::kShl;  // Zydis names D0-D3/C0-C1 /6 (SAL) "shl" too
    case ZYDIS_MNEMONIC_SHR: return Op::kShr;
    case ZYDIS_MNEMONIC_SAR: return Op::kSar;
    case ZYDIS_MNEMONIC_ADC: return Op::kAdc;
    case ZYDIS_MNEMONIC_SBB: return Op::kSbb;
    case ZYDIS_MNEMONIC_MUL: return Op::kMul;
    case ZYDIS_MNEMONIC_IMUL: return Op::kImul;
    // SDM 2A: CLC, STC, CMC, CLD, STD.
    case ZYDIS_MNEMONIC_CLC: return Op::kClc;
    case ZYDIS_MNEMONIC_STC: return Op::kStc;
    case ZYDIS_MNEMONIC_CMC: return Op::kCmc;
    case ZYDIS_MNEMONIC_CLD: return Op::kCld;
    case ZYDIS_MNEMONIC_STD: return Op::kStd;
    // SDM 2A/2B: CPUID, RDMSR, WRMSR, RDTSC, LGDT/LIDT, SGDT/SIDT, INT n, INT3.
    case ZYDIS_MNEMONIC_CPUID: return Op::kCpuid;
    case ZYDIS_MNEMONIC_RDMSR: return Op::kRdmsr;
    case ZYDIS_MNEMONIC_WRMSR: return Op::kWrmsr;
    case ZYDIS_MNEMONIC_RDTSC: return Op::kRdtsc;
    case ZYDIS_MNEMONIC_LGDT: return Op::kLgdt;
    case ZYDIS_MNEMONIC_LIDT: return Op::kLidt;
    case ZYDIS_MNEMONIC_SGDT: return Op::kSgdt;
    case ZYDIS_MNEMONIC_SIDT: return Op::kSidt;
    case ZYDIS_MNEMONIC_INT: return Op::kInt;
    case ZYDIS_MNEMONIC_INT3: return Op::kInt3;
    default: break;
  }
  // SETcc is 0F 90..9F (SDM 2A 4.3 SETcc).
  if (insn.opcode_map == ZYDIS_OPCODE_MAP_0F && (insn.opcode & 0xf0) == 0x90) return Op::kSetcc;
  return Op::kOther;
}

}  // namespace

DecodeStatus ZydisInstructionDecoder::Decode(std::span<const uint8_t> bytes, CpuMode mode,
                                  DecodedInstruction* out) const {
  *out = DecodedInstruction{};
  // Zydis refuses an empty buffer as an invalid argument; for the emulator
  // no bytes yet means "fetch more", as a fetch that faulted on its first
  // byte must report that fault, not #UD.
  if (bytes.empty()) return DecodeStatus::kNeedMoreBytes;
  ZydisDecoder decoder;
  if (ZYAN_FAILED(ZydisDecoderInit(&decoder, MachineMode(mode), StackWidth(mode)))) {
    return DecodeStatus::kInvalid;
  }
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  const ZyanStatus status =
      ZydisDecoderDecodeFull(&decoder, bytes.data(), bytes.size(), &insn, operands);
  if (status == ZYDIS_STATUS_NO_MORE_DATA) return DecodeStatus::kNeedMoreBytes;
  if (ZYAN_FAILED(status)) return DecodeStatus::kInvalid;

  out->op = ToOp(insn);
  out->name = ZydisMnemonicGetString(insn.mnemonic);
  for (char& c : out->name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out->length = insn.length;
  out->operand_size = static_cast<uint8_t>(insn.operand_width / 8);
  out->address_size = static_cast<uint8_t>(insn.address_width / 8);
  if (insn.attributes & ZYDIS_ATTRIB_HAS_REP || insn.attributes & ZYDIS_ATTRIB_HAS_REPE) {
    out->rep = RepPrefix::kRep;
  } else if (insn.attributes & ZYDIS_ATTRIB_HAS_REPNE) {
    out->rep = RepPrefix::kRepne;
  }
  out->lock = (insn.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0;
  out->condition = insn.opcode & 0x0f;
  out->far_branch = insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
  const Op op = out->op;
  if (op == Op::kMovs || op == Op::kStos || op == Op::kLods || op == Op::kIns || op == Op::kOuts) {
    // String operands are implicit: the emulator uses RSI/RDI/RCX (and DX
    // for INS/OUTS) at the address size; only the memory operands (their
    // size, and the source segment's override) come from here, in Zydis's
    // order (MOVS: destination, then source).
    bool sized = false;
    for (uint8_t i = 0; i < insn.operand_count && i < ZYDIS_MAX_OPERAND_COUNT; ++i) {
      if (operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY && out->operand_count < 2) {
        if (!sized) out->operand_size = static_cast<uint8_t>(operands[i].size / 8);
        sized = true;
        if (!ToOperand(operands[i], &out->operands[out->operand_count++])) {
          out->unsupported_operand = true;
        }
      }
    }
    return DecodeStatus::kOk;
  }
  out->operand_count = insn.operand_count_visible > 3 ? 3 : insn.operand_count_visible;
  const bool relative = out->operand_count == 1 && operands[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                        operands[0].imm.is_relative;
  if (relative && (op == Op::kJmp || op == Op::kJcc || op == Op::kCall || op == Op::kLoop ||
                   op == Op::kLoope || op == Op::kLoopne || op == Op::kJcxz)) {
    // rel8/rel16/rel32 (SDM 2A 3.2 JMP, Jcc, CALL, LOOP, JCXZ): a signed
    // offset from the next instruction; the target wraps at the operand size.
    out->relative_branch = true;
    out->branch_offset = operands[0].imm.value.s;
    out->operand_count = 0;
    return DecodeStatus::kOk;
  }
  for (uint8_t i = 0; i < out->operand_count; ++i) {
    if (!ToOperand(operands[i], &out->operands[i], op == Op::kLea)) out->unsupported_operand = true;
  }
  if (out->operand_count > 0) out->operand_size = out->operands[0].size;
  switch (op) {
    // The operation's own size, not the first operand's: PUSH imm8 pushes
    // a sign-extended word of the operand size; CALL/RET/IRET/the stack
    // use the operand size (64 by default in 64-bit mode, SDM 1 3.6.1 /
    // 2A 2.2.1.7); LGDT/LIDT/SGDT/SIDT's base width follows it too.
    case Op::kPush: case Op::kPop: case Op::kPushf: case Op::kPopf: case Op::kCall: case Op::kRet:
    case Op::kIret: case Op::kLgdt: case Op::kLidt: case Op::kSgdt: case Op::kSidt:
      out->operand_size = static_cast<uint8_t>(insn.operand_width / 8);
      break;
    default: break;
  }
  return DecodeStatus::kOk;
}

}  // namespace petrel::x86emu
