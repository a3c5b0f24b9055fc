// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The arithmetic and logic with their RFLAGS effects: ADD, SUB/CMP,
// AND/TEST, OR, XOR at 1, 2, 4 or 8 bytes, BT, and the SETcc conditions
// (mmio profile); ADC/SBB, the shifts and MUL/IMUL (sim profile). Pure
// functions over values, so they are tested against the host CPU directly.
#pragma once

#include <cstdint>

namespace petrel::x86emu {

// RFLAGS bits (SDM 1 3.4.3, Figure 3-8).
inline constexpr uint64_t kFlagCf = 1ull << 0;
inline constexpr uint64_t kFlagPf = 1ull << 2;
inline constexpr uint64_t kFlagAf = 1ull << 4;
inline constexpr uint64_t kFlagZf = 1ull << 6;
inline constexpr uint64_t kFlagSf = 1ull << 7;
inline constexpr uint64_t kFlagDf = 1ull << 10;
inline constexpr uint64_t kFlagOf = 1ull << 11;
inline constexpr uint64_t kArithFlags = kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf | kFlagOf;

enum class AluOp : uint8_t { kAdd, kOr, kAnd, kSub, kXor };

struct AluResult {
  uint64_t value;  // truncated to the operand size
  uint64_t flags;  // the six arithmetic flags only (kArithFlags)
};

// `size` is 1, 2, 4 or 8 bytes; a and b are taken modulo 2^(8*size).
AluResult Alu(AluOp op, uint64_t a, uint64_t b, unsigned size);

// ADC (a + b + carry) and SBB (a - b - carry), SDM 2A ADC, 2B SBB: all six
// arithmetic flags.
AluResult AluWithCarry(bool subtract, uint64_t a, uint64_t b, bool carry, unsigned size);

// SHL/SAL, SHR, SAR (SDM 2B "SAL/SAR/SHL/SHR"). `count` is the instruction's
// count before masking; it is masked to 5 bits (6 for 8-byte operands). A
// masked count of 0 changes nothing (`mask` is 0). Otherwise CF is the last
// bit shifted out, SF/ZF/PF follow the result, OF is defined for a count of
// 1 (SHL: MSB(result) XOR CF; SHR: the operand's MSB; SAR: 0) and computed
// the same way for larger counts (the SDM leaves it undefined); AF is
// undefined and left unchanged (not in `mask`).
enum class ShiftOp : uint8_t { kShl, kShr, kSar };
struct ShiftResult {
  uint64_t value;
  uint64_t flags;
  uint64_t mask;  // the flags the shift sets
};
ShiftResult Shift(ShiftOp op, uint64_t value, unsigned count, unsigned size);

// MUL and IMUL (SDM 2A IMUL, 2B MUL) of two `size`-byte values: the
// double-width product as high:low halves (each truncated to `size`), and
// CF = OF = whether the high half is significant (MUL: not zero; IMUL: not
// the sign extension of the low half). SF, ZF, AF, PF are undefined; the
// emulator leaves them unchanged.
struct MulResult {
  uint64_t low;
  uint64_t high;
  bool overflow;
};
MulResult Multiply(bool is_signed, uint64_t a, uint64_t b, unsigned size);

// Truncates to `size` bytes; sign-extends from `size` bytes to 64 bits.
uint64_t Truncate(uint64_t value, unsigned size);
uint64_t SignExtend(uint64_t value, unsigned size);

// SETcc/Jcc/CMOVcc condition `cc` (the opcode's low nibble, SDM 2A B.1.4.7
// Table B-10) over RFLAGS.
bool ConditionHolds(uint8_t cc, uint64_t rflags);

}  // namespace petrel::x86emu
