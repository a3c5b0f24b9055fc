// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DetermineMode: CR0.PE, RFLAGS.VM, EFER.LMA, CS.L and CS.D to a CpuMode
// (Intel SDM Vol. 3A 2.2, 5.2.1 "Code-segment descriptor in 64-bit mode").
#include "core/x86emu/cpu_mode.h"

namespace petrel::x86emu {

ModeResult DetermineMode(uint64_t cr0, uint64_t efer, uint64_t rflags, const hv::Segment& cs) {
  if (!(cr0 & kCr0Pe)) return {CpuMode::kReal16, true};
  if (efer & kEferLma) {
    if (cs.l) return {CpuMode::kLong64, !cs.db};  // L=1, D=1 is reserved (SDM 3A 5.2.1)
    return {cs.db ? CpuMode::kCompat32 : CpuMode::kCompat16, true};
  }
  if (rflags & kRflagsVm) return {CpuMode::kVirtual8086, true};
  return {cs.db ? CpuMode::kProtected32 : CpuMode::kProtected16, true};
}

unsigned AddressSizeOf(CpuMode mode) {
  switch (mode) {
    case CpuMode::kLong64: return 8;
    case CpuMode::kProtected32:
    case CpuMode::kCompat32: return 4;
    default: return 2;
  }
}

const char* CpuModeName(CpuMode mode) {
  switch (mode) {
    case CpuMode::kReal16: return "real";
    case CpuMode::kVirtual8086: return "virtual-8086";
    case CpuMode::kProtected16: return "protected-16";
    case CpuMode::kProtected32: return "protected-32";
    case CpuMode::kCompat16: return "compat-16";
    case CpuMode::kCompat32: return "compat-32";
    case CpuMode::kLong64: return "long-64";
  }
  return "?";
}

}  // namespace petrel::x86emu
