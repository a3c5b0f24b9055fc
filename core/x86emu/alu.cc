// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Alu and ConditionHolds. Flag rules: SDM 1 3.4.3.1 (status flags) and the
// instruction pages in SDM 2A/2B (ADD, SUB, CMP, AND, OR, XOR, TEST).
#include "core/x86emu/alu.h"

#include <bit>

namespace petrel::x86emu {

uint64_t Truncate(uint64_t value, unsigned size) {
  return size >= 8 ? value : value & ((1ull << (8 * size)) - 1);
}

uint64_t SignExtend(uint64_t value, unsigned size) {
  if (size >= 8) return value;
  const unsigned shift = 64 - 8 * size;
  return static_cast<uint64_t>(static_cast<int64_t>(value << shift) >> shift);
}

namespace {

uint64_t SignBit(unsigned size) { return 1ull << (8 * size - 1); }

// ZF, SF and PF of a result (PF: even parity of the low byte, SDM 1 3.4.3.1).
uint64_t ResultFlags(uint64_t r, unsigned size) {
  uint64_t f = 0;
  if (r == 0) f |= kFlagZf;
  if (r & SignBit(size)) f |= kFlagSf;
  if ((std::popcount(static_cast<unsigned>(r & 0xff)) & 1) == 0) f |= kFlagPf;
  return f;
}

}  // namespace

AluResult Alu(AluOp op, uint64_t a, uint64_t b, unsigned size) {
  a = Truncate(a, size);
  b = Truncate(b, size);
  const uint64_t sign = SignBit(size);
  uint64_t r = 0;
  uint64_t f = 0;
  switch (op) {
    case AluOp::kAdd:
      r = Truncate(a + b, size);
      if (r < a) f |= kFlagCf;                        // unsigned carry out
      if (~(a ^ b) & (a ^ r) & sign) f |= kFlagOf;    // same-sign inputs, other-sign result
      if ((a ^ b ^ r) & 0x10) f |= kFlagAf;           // carry out of bit 3
      break;
    case AluOp::kSub:
      r = Truncate(a - b, size);
      if (a < b) f |= kFlagCf;                        // borrow
      if ((a ^ b) & (a ^ r) & sign) f |= kFlagOf;     // different-sign inputs, result sign != a's
      if ((a ^ b ^ r) & 0x10) f |= kFlagAf;           // borrow into bit 3
      break;
    // AND, OR, XOR, TEST: CF = OF = 0; AF is undefined (SDM 2A), Petrel
    // clears it, as current Intel and AMD processors do.
    case AluOp::kAnd: r = a & b; break;
    case AluOp::kOr: r = a | b; break;
    case AluOp::kXor: r = a ^ b; break;
  }
  return {r, f | ResultFlags(r, size)};
}

AluResult AluWithCarry(bool subtract, uint64_t a, uint64_t b, bool carry, unsigned size) {
  a = Truncate(a, size);
  b = Truncate(b, size);
  const uint64_t sign = SignBit(size);
  const uint64_t c = carry ? 1 : 0;
  uint64_t r = 0;
  uint64_t f = 0;
  if (!subtract) {
    r = Truncate(a + b + c, size);
    // Carry out: the sum wrapped (r < a), or equals a with b + c a full turn.
    if (r < a || (c && r == a)) f |= kFlagCf;
    if (~(a ^ b) & (a ^ r) & sign) f |= kFlagOf;
  } else {
    r = Truncate(a - b - c, size);
    if (a < b || (c && a == b)) f |= kFlagCf;  // borrow: a < b + c
    if ((a ^ b) & (a ^ r) & sign) f |= kFlagOf;
  }
  if ((a ^ b ^ r) & 0x10) f |= kFlagAf;
  return {r, f | ResultFlags(r, size)};
}

ShiftResult Shift(ShiftOp op, uint64_t value, unsigned count, unsigned size) {
  const unsigned bits = 8 * size;
  count &= size == 8 ? 0x3f : 0x1f;
  value = Truncate(value, size);
  if (count == 0) return {value, 0, 0};
  const uint64_t sign = SignBit(size);
  uint64_t r = 0;
  bool cf = false;
  bool of = false;
  switch (op) {
    case ShiftOp::kShl:
      r = count >= bits ? 0 : Truncate(value << count, size);
      cf = count <= bits && ((value >> (bits - count)) & 1);
      of = ((r & sign) != 0) != cf;
      break;
    case ShiftOp::kShr:
      r = count >= bits ? 0 : value >> count;
      cf = count <= bits && ((value >> (count - 1)) & 1);
      of = (value & sign) != 0;
      break;
    case ShiftOp::kSar: {
      const int64_t s = static_cast<int64_t>(SignExtend(value, size));
      const unsigned n = count >= bits ? bits - 1 : count;
      r = Truncate(static_cast<uint64_t>(s >> n), size);
      cf = ((static_cast<uint64_t>(s) >> (count >= bits ? bits - 1 : count - 1)) & 1) != 0;
      of = false;
      break;
    }
  }
  const uint64_t flags = (cf ? kFlagCf : 0) | (of ? kFlagOf : 0) | ResultFlags(r, size);
  return {r, flags, kFlagCf | kFlagOf | kFlagSf | kFlagZf | kFlagPf};
}

MulResult Multiply(bool is_signed, uint64_t a, uint64_t b, unsigned size) {
  const unsigned bits = 8 * size;
  __extension__ using U128 = unsigned __int128;
  __extension__ using S128 = __int128;
  U128 product = 0;
  if (is_signed) {
    product = static_cast<U128>(static_cast<S128>(static_cast<int64_t>(SignExtend(a, size))) *
                                static_cast<S128>(static_cast<int64_t>(SignExtend(b, size))));
  } else {
    product = static_cast<U128>(Truncate(a, size)) * static_cast<U128>(Truncate(b, size));
  }
  const uint64_t low = Truncate(static_cast<uint64_t>(product), size);
  const uint64_t high = Truncate(static_cast<uint64_t>(product >> bits), size);
  const bool overflow = is_signed ? high != Truncate(SignExtend(low, size) >> (bits - 1) ? ~0ull : 0, size)
                                  : high != 0;
  return {low, high, overflow};
}

bool ConditionHolds(uint8_t cc, uint64_t rflags) {
  const bool cf = rflags & kFlagCf, zf = rflags & kFlagZf, sf = rflags & kFlagSf,
             of = rflags & kFlagOf, pf = rflags & kFlagPf;
  bool holds = false;
  switch ((cc >> 1) & 7) {
    case 0: holds = of; break;                  // O
    case 1: holds = cf; break;                  // B/C
    case 2: holds = zf; break;                  // E/Z
    case 3: holds = cf || zf; break;            // BE
    case 4: holds = sf; break;                  // S
    case 5: holds = pf; break;                  // P
    case 6: holds = sf != of; break;            // L
    case 7: holds = zf || (sf != of); break;    // LE
  }
  return (cc & 1) ? !holds : holds;  // odd codes are the negations
}

}  // namespace petrel::x86emu
