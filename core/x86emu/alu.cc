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
