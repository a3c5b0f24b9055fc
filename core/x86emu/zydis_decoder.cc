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

bool ToOperand(const ZydisDecodedOperand& in, Operand* out) {
  out->size = static_cast<uint8_t>(in.size / 8);
  switch (in.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
      out->kind = Operand::Kind::kGpr;
      return ToGpr(in.reg.value, &out->gpr);
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
      out->kind = Operand::Kind::kImm;
      out->imm = in.imm.value.u;
      return !in.imm.is_relative;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
      out->kind = Operand::Kind::kMem;
      if (in.mem.type != ZYDIS_MEMOP_TYPE_MEM) return false;  // LEA-style AGEN, MIB, VSIB
      MemRef& m = out->mem;
      if (!ToSegment(in.mem.segment, &m.segment)) return false;
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
      default: break;
    }
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
  if (out->op == Op::kMovs || out->op == Op::kStos) {
    // String operands are implicit: the emulator uses RSI/RDI/RCX at the
    // address size; only the source segment (an override) comes from here.
    out->operand_size = static_cast<uint8_t>(operands[0].size / 8);
    for (uint8_t i = 0; i < insn.operand_count && i < ZYDIS_MAX_OPERAND_COUNT; ++i) {
      if (operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY && out->operand_count < 2) {
        if (!ToOperand(operands[i], &out->operands[out->operand_count++])) {
          out->unsupported_operand = true;
        }
      }
    }
    return DecodeStatus::kOk;
  }
  out->operand_count = insn.operand_count_visible > 3 ? 3 : insn.operand_count_visible;
  if (out->op == Op::kJmp && out->operand_count == 1 &&
      operands[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && operands[0].imm.is_relative) {
    // JMP rel8/rel16/rel32 (SDM 2A 3.2 JMP): a signed offset from the next
    // instruction. Indirect and far forms stay unsupported.
    out->relative_branch = true;
    out->branch_offset = operands[0].imm.value.s;
    out->operand_count = 0;
    return DecodeStatus::kOk;
  }
  for (uint8_t i = 0; i < out->operand_count; ++i) {
    if (!ToOperand(operands[i], &out->operands[i])) out->unsupported_operand = true;
  }
  if (out->operand_count > 0) out->operand_size = out->operands[0].size;
  return DecodeStatus::kOk;
}

}  // namespace petrel::x86emu
