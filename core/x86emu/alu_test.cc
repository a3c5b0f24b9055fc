// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Alu and ConditionHolds against the host CPU: the same operation is run
// with inline asm and its result and flags (LAHF for SF/ZF/AF/PF/CF, SETO
// for OF; no stack use) must match, over edge values at every size.
#include "core/x86emu/alu.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace petrel::x86emu {
namespace {

uint64_t FlagsFromLahf(uint16_t ax) {
  // LAHF: AH = SF:ZF:0:AF:0:PF:1:CF (RFLAGS bits 7..0); SETO put OF in AL.
  return ((ax >> 8) & (kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf)) | ((ax & 1) ? kFlagOf : 0);
}

#define HOST_ALU(NAME, INSN, TYPE)                                                        \
  AluResult NAME(uint64_t a, uint64_t b) {                                                \
    TYPE x = static_cast<TYPE>(a);                                                        \
    TYPE y = static_cast<TYPE>(b);                                                        \
    uint16_t ax;                                                                          \
    asm volatile(INSN " %[y], %[x]\n\tlahf\n\tseto %%al"                                  \
                 : [x] "+r"(x), "=&a"(ax)                                                 \
                 : [y] "r"(y)                                                             \
                 : "cc");                                                                 \
    return {static_cast<uint64_t>(x), FlagsFromLahf(ax)};                                 \
  }
#define HOST_ALU_SIZES(OP, MN)                  \
  HOST_ALU(Host##OP##8, MN "b", uint8_t)        \
  HOST_ALU(Host##OP##16, MN "w", uint16_t)      \
  HOST_ALU(Host##OP##32, MN "l", uint32_t)      \
  HOST_ALU(Host##OP##64, MN "q", uint64_t)
HOST_ALU_SIZES(Add, "add")
HOST_ALU_SIZES(Sub, "sub")
HOST_ALU_SIZES(And, "and")
HOST_ALU_SIZES(Or, "or")
HOST_ALU_SIZES(Xor, "xor")

using HostFn = AluResult (*)(uint64_t, uint64_t);
struct HostOp {
  AluOp op;
  HostFn by_size[4];
  const char* name;
};

const HostOp kHostOps[] = {
    {AluOp::kAdd, {HostAdd8, HostAdd16, HostAdd32, HostAdd64}, "add"},
    {AluOp::kSub, {HostSub8, HostSub16, HostSub32, HostSub64}, "sub"},
    {AluOp::kAnd, {HostAnd8, HostAnd16, HostAnd32, HostAnd64}, "and"},
    {AluOp::kOr, {HostOr8, HostOr16, HostOr32, HostOr64}, "or"},
    {AluOp::kXor, {HostXor8, HostXor16, HostXor32, HostXor64}, "xor"},
};

std::vector<uint64_t> EdgeValues() {
  std::vector<uint64_t> v = {0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000,
                             0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
                             0x7fffffffffffffff, 0x8000000000000000, ~0ull, 0x123456789abcdef0,
                             0xfedcba9876543210};
  uint64_t x = 0x9e3779b97f4a7c15;
  for (int i = 0; i < 24; ++i) {  // a fixed pseudo-random tail
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    v.push_back(x);
  }
  return v;
}

TEST(X86EmuAlu, MatchesHostCpuForEveryOpSizeAndEdgeValue) {
  const auto values = EdgeValues();
  int checked = 0;
  for (const HostOp& op : kHostOps) {
    for (unsigned s = 0; s < 4; ++s) {
      const unsigned size = 1u << s;
      for (uint64_t a : values) {
        for (uint64_t b : values) {
          const AluResult want = op.by_size[s](a, b);
          const AluResult got = Alu(op.op, a, b, size);
          ASSERT_EQ(got.value, want.value) << op.name << size << " " << a << "," << b;
          ASSERT_EQ(got.flags, want.flags) << op.name << size << " " << std::hex << a << "," << b;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 5 * 4 * 46 * 46);
}

TEST(X86EmuAlu, HandComputedFlags) {
  // 0x7f + 1 at 8 bits: signed overflow, half carry, sign, no carry.
  EXPECT_EQ(Alu(AluOp::kAdd, 0x7f, 1, 1).flags, kFlagOf | kFlagAf | kFlagSf);
  // 0xff + 1: carry, zero, half carry, parity of 0 is even.
  EXPECT_EQ(Alu(AluOp::kAdd, 0xff, 1, 1).flags, kFlagCf | kFlagZf | kFlagAf | kFlagPf);
  // 0 - 1 at 32 bits: borrow, sign, half borrow, 0xff has even parity.
  EXPECT_EQ(Alu(AluOp::kSub, 0, 1, 4).value, 0xffffffffu);
  EXPECT_EQ(Alu(AluOp::kSub, 0, 1, 4).flags, kFlagCf | kFlagSf | kFlagAf | kFlagPf);
  // 0x8000 - 1 at 16 bits: signed overflow (negative minus positive is positive).
  EXPECT_EQ(Alu(AluOp::kSub, 0x8000, 1, 2).flags, kFlagOf | kFlagAf | kFlagPf);
  // Logic ops clear CF and OF: 0x80 & 0x81 = 0x80 (sign, odd parity).
  EXPECT_EQ(Alu(AluOp::kAnd, 0x80, 0x81, 1).flags, kFlagSf);
}

#define HOST_SETCC(CC)                                                         \
  bool HostSet##CC(uint64_t a, uint64_t b) {                                   \
    uint8_t r;                                                                 \
    asm volatile("cmpq %[b], %[a]\n\tset" #CC " %[r]"                          \
                 : [r] "=r"(r)                                                 \
                 : [a] "r"(a), [b] "r"(b)                                      \
                 : "cc");                                                      \
    return r != 0;                                                             \
  }
HOST_SETCC(o) HOST_SETCC(no) HOST_SETCC(b) HOST_SETCC(ae) HOST_SETCC(e) HOST_SETCC(ne)
HOST_SETCC(be) HOST_SETCC(a) HOST_SETCC(s) HOST_SETCC(ns) HOST_SETCC(p) HOST_SETCC(np)
HOST_SETCC(l) HOST_SETCC(ge) HOST_SETCC(le) HOST_SETCC(g)

TEST(X86EmuAlu, ConditionsMatchHostSetccAfterCmp) {
  using SetFn = bool (*)(uint64_t, uint64_t);
  const SetFn by_cc[16] = {HostSeto, HostSetno, HostSetb, HostSetae, HostSete, HostSetne,
                           HostSetbe, HostSeta, HostSets, HostSetns, HostSetp, HostSetnp,
                           HostSetl, HostSetge, HostSetle, HostSetg};
  for (uint64_t a : EdgeValues()) {
    for (uint64_t b : EdgeValues()) {
      const uint64_t flags = Alu(AluOp::kSub, a, b, 8).flags;
      for (uint8_t cc = 0; cc < 16; ++cc) {
        ASSERT_EQ(ConditionHolds(cc, flags), by_cc[cc](a, b)) << int(cc) << " " << a << "," << b;
      }
    }
  }
}

// ADC/SBB with a carry in, and SHL/SHR/SAR by 1 (where OF is defined) and
// by CL, 64-bit, against the host: STC/CLC sets the carry in.
#define HOST_CARRY(NAME, INSN)                                                  \
  AluResult NAME(uint64_t a, uint64_t b, bool carry) {                          \
    uint16_t ax;                                                                \
    asm volatile("bt $0, %[c]\n\t" INSN " %[y], %[x]\n\tlahf\n\tseto %%al"   \
                 : [x] "+r"(a), "=&a"(ax)                                       \
                 : [y] "r"(b), [c] "r"(uint64_t{carry})                         \
                 : "cc");                                                       \
    return {a, FlagsFromLahf(ax)};                                              \
  }
HOST_CARRY(HostAdc, "adcq")
HOST_CARRY(HostSbb, "sbbq")

#define HOST_SHIFT(NAME, INSN)                                                  \
  AluResult NAME(uint64_t a, uint8_t count) {                                   \
    uint16_t ax;                                                                \
    asm volatile(INSN " %%cl, %[x]\n\tlahf\n\tseto %%al"                        \
                 : [x] "+r"(a), "=&a"(ax)                                       \
                 : "c"(count)                                                   \
                 : "cc");                                                       \
    return {a, FlagsFromLahf(ax)};                                              \
  }
HOST_SHIFT(HostShl, "shlq")
HOST_SHIFT(HostShr, "shrq")
HOST_SHIFT(HostSar, "sarq")

TEST(X86EmuAlu, AdcSbbMatchHost) {
  for (uint64_t a : EdgeValues()) {
    for (uint64_t b : EdgeValues()) {
      for (bool carry : {false, true}) {
        const AluResult adc = AluWithCarry(false, a, b, carry, 8);
        const AluResult host_adc = HostAdc(a, b, carry);
        ASSERT_EQ(adc.value, host_adc.value) << std::hex << a << "," << b << "," << carry;
        ASSERT_EQ(adc.flags, host_adc.flags) << std::hex << a << "," << b << "," << carry;
        const AluResult sbb = AluWithCarry(true, a, b, carry, 8);
        const AluResult host_sbb = HostSbb(a, b, carry);
        ASSERT_EQ(sbb.value, host_sbb.value) << std::hex << a << "," << b << "," << carry;
        ASSERT_EQ(sbb.flags, host_sbb.flags) << std::hex << a << "," << b << "," << carry;
      }
    }
  }
}

TEST(X86EmuAlu, ShiftsMatchHost) {
  const struct {
    ShiftOp op;
    AluResult (*host)(uint64_t, uint8_t);
  } ops[] = {{ShiftOp::kShl, HostShl}, {ShiftOp::kShr, HostShr}, {ShiftOp::kSar, HostSar}};
  for (const auto& op : ops) {
    for (uint64_t a : EdgeValues()) {
      for (uint8_t count : {1, 2, 7, 31, 63, 64 + 3}) {
        const ShiftResult got = Shift(op.op, a, count, 8);
        const AluResult want = op.host(a, count);
        ASSERT_EQ(got.value, want.value) << std::hex << a << " by " << int{count};
        // OF only for a count of 1 (undefined otherwise); AF undefined.
        const uint64_t compare = (count == 1 ? got.mask : got.mask & ~kFlagOf);
        ASSERT_EQ(got.flags & compare, want.flags & compare) << std::hex << a << " by " << int{count};
      }
    }
  }
  EXPECT_EQ(Shift(ShiftOp::kShl, 5, 64, 8).mask, 0u);  // masked to 0: no flag changes
}

TEST(X86EmuAlu, MultiplyHighHalvesAndOverflow) {
  const MulResult u = Multiply(false, ~0ull, 2, 8);
  EXPECT_EQ(u.low, ~0ull - 1);
  EXPECT_EQ(u.high, 1u);
  EXPECT_TRUE(u.overflow);
  const MulResult s = Multiply(true, ~0ull, 2, 8);  // -1 * 2
  EXPECT_EQ(s.low, static_cast<uint64_t>(-2));
  EXPECT_EQ(s.high, ~0ull);
  EXPECT_FALSE(s.overflow);
  EXPECT_TRUE(Multiply(true, 0x40, 2, 1).overflow);  // 128 does not fit in int8
  EXPECT_FALSE(Multiply(true, 0xc0, 2, 1).overflow);  // -64 * 2 = -128 does
}

TEST(X86EmuAlu, TruncateAndSignExtend) {
  EXPECT_EQ(Truncate(0x1234567890, 4), 0x34567890u);
  EXPECT_EQ(SignExtend(0x80, 1), 0xffffffffffffff80ull);
  EXPECT_EQ(SignExtend(0x7fff, 2), 0x7fffull);
  EXPECT_EQ(SignExtend(0x80000000, 4), 0xffffffff80000000ull);
}

}  // namespace
}  // namespace petrel::x86emu
