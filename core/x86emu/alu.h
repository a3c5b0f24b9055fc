// The arithmetic and logic of the `mmio` profile with their RFLAGS
// effects: ADD, SUB/CMP, AND/TEST, OR, XOR at 1, 2, 4 or 8 bytes, BT, and
// the SETcc conditions. Pure functions over values, so they are tested
// against the host CPU directly.
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

// Truncates to `size` bytes; sign-extends from `size` bytes to 64 bits.
uint64_t Truncate(uint64_t value, unsigned size);
uint64_t SignExtend(uint64_t value, unsigned size);

// SETcc/Jcc/CMOVcc condition `cc` (the opcode's low nibble, SDM 2A B.1.4.7
// Table B-10) over RFLAGS.
bool ConditionHolds(uint8_t cc, uint64_t rflags);

}  // namespace petrel::x86emu
