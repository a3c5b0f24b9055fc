// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The decoder interface: instruction bytes and a CpuMode in, a
// DecodedInstruction out. The DecodedInstruction is Petrel's own,
// decoder-neutral description (what the emulator's semantics read); one
// implementation (zydis_decoder.h) fills it from Zydis, and another decoder
// could replace it without touching the emulator.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/x86emu/cpu_mode.h"

namespace petrel::x86emu {

// Segment registers in their encoding order (SDM 2A 3.4.2.1, Table 3-1 "sreg").
enum class SegReg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs };

// The instructions the emulator knows. kOther: anything else (reported
// unsupported with `name`).
enum class Op : uint8_t {
  kOther,
  kMov, kMovzx, kMovsx, kMovsxd,
  kMovs, kStos,
  kAdd, kOr, kAnd, kSub, kXor, kCmp, kTest,
  kXchg, kBt, kBts, kBtr, kSetcc,
  // The sim profile's (control flow, the stack and the CPU's own
  // instructions; docs/x86emu.md lists their forms).
  kIn, kOut, kHlt, kCli, kSti, kJmp, kNop,
  kPush, kPop, kPushf, kPopf, kCall, kRet, kJcc, kLoop, kLoope, kLoopne, kJcxz, kLea,
  kInc, kDec, kNeg, kNot, kShl, kShr, kSar, kAdc, kSbb, kMul, kImul,
  kLods, kIns, kOuts,
  kClc, kStc, kCmc, kCld, kStd,
  kCpuid, kRdmsr, kWrmsr, kRdtsc, kLgdt, kLidt, kSgdt, kSidt, kMovCr,
  kInt, kInt3, kIret,
};

// A general-purpose register: index 0..15 in encoding order (hv::Gpr), its
// width in bytes and, for AH/CH/DH/BH, bits 15:8 of registers 0..3.
struct GprRef {
  uint8_t index = 0;
  uint8_t size = 8;
  bool high8 = false;
};

// A memory operand: segment:[base + index*scale + disp] at `address_size`.
struct MemRef {
  SegReg segment = SegReg::kDs;
  bool has_base = false;
  bool rip_relative = false;  // base is the next instruction's RIP
  uint8_t base = 0;           // GPR index
  bool has_index = false;
  uint8_t index = 0;
  uint8_t scale = 1;
  int64_t disp = 0;
};

struct Operand {
  // kCr: a control register (MOV to/from CRn only), number in `cr`.
  enum class Kind : uint8_t { kNone, kGpr, kMem, kImm, kCr };
  Kind kind = Kind::kNone;
  uint8_t size = 0;  // bytes
  GprRef gpr;
  uint8_t cr = 0;
  MemRef mem;
  uint64_t imm = 0;  // sign- or zero-extended by the decoder as the encoding defines
};

enum class RepPrefix : uint8_t { kNone, kRep, kRepne };  // F3 / F2 (SDM 2A 2.1.1)

struct DecodedInstruction {
  Op op = Op::kOther;
  std::string name;          // the mnemonic, lower case ("add", "movsb")
  uint8_t length = 0;        // bytes
  uint8_t operand_size = 0;  // bytes; the destination's for MOVZX/MOVSX
  uint8_t address_size = 0;  // bytes (2, 4, 8) after any 0x67 prefix
  RepPrefix rep = RepPrefix::kNone;
  bool lock = false;
  uint8_t condition = 0;     // SETcc, Jcc: the low nibble of the opcode (SDM 2A B.1.4.7, Table B-10)
  bool unsupported_operand = false;  // an operand the emulator cannot hold (CRn, segment, x87, ...)
  uint8_t operand_count = 0;  // explicit operands
  Operand operands[3];
  // A relative branch (JMP, Jcc, CALL rel; LOOP, JCXZ): the target is the
  // next instruction's address + branch_offset, at the operand size.
  bool relative_branch = false;
  int64_t branch_offset = 0;
  // A far branch or return (JMP/CALL ptr16:xx or m16:xx, RET far): the
  // emulator refuses these.
  bool far_branch = false;
};

enum class DecodeStatus : uint8_t {
  kOk,
  kNeedMoreBytes,  // the bytes end inside the instruction
  kInvalid,        // no valid instruction (#UD)
};

class InstructionDecoder {
 public:
  virtual ~InstructionDecoder() = default;
  virtual DecodeStatus Decode(std::span<const uint8_t> bytes, CpuMode mode,
                              DecodedInstruction* out) const = 0;
};

}  // namespace petrel::x86emu
