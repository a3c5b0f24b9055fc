// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuMode: which of the x86 operating modes the vCPU is in, derived from
// its control state (Intel SDM Vol. 3A 2.2 "Modes of operation", 9.8.5
// "Initializing IA-32e mode", 3.4.5 "Segment descriptors" for CS.L/CS.D).
// The decoder's default operand and address sizes follow from it.
#pragma once

#include <cstdint>

#include "core/hv/x86_state.h"

namespace petrel::x86emu {

enum class CpuMode : uint8_t {
  kReal16,         // CR0.PE = 0
  kVirtual8086,    // CR0.PE = 1, RFLAGS.VM = 1 (not emulated: reported unsupported)
  kProtected16,    // CR0.PE = 1, EFER.LMA = 0, CS.D = 0
  kProtected32,    // CR0.PE = 1, EFER.LMA = 0, CS.D = 1
  kCompat16,       // EFER.LMA = 1, CS.L = 0, CS.D = 0
  kCompat32,       // EFER.LMA = 1, CS.L = 0, CS.D = 1
  kLong64,         // EFER.LMA = 1, CS.L = 1 (CS.D must be 0)
};

inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Wp = 1ull << 16;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pse = 1ull << 4;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kCr4Smep = 1ull << 20;
inline constexpr uint64_t kCr4Smap = 1ull << 21;
inline constexpr uint64_t kCr4La57 = 1ull << 12;
inline constexpr uint64_t kEferLma = 1ull << 10;
inline constexpr uint64_t kEferNxe = 1ull << 11;
inline constexpr uint64_t kRflagsVm = 1ull << 17;

// `ok` is false for CS.L = 1 with CS.D = 1 in IA-32e mode, which SDM 3A
// 5.2.1 reserves (loading such a CS faults, so a real vCPU cannot hold it).
struct ModeResult {
  CpuMode mode;
  bool ok;
};
ModeResult DetermineMode(uint64_t cr0, uint64_t efer, uint64_t rflags, const hv::Segment& cs);

// Default operand/address size in bytes of a mode (2, 4 or 8 for addresses).
unsigned AddressSizeOf(CpuMode mode);
const char* CpuModeName(CpuMode mode);

}  // namespace petrel::x86emu
