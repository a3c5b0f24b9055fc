// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Platform: what the emulator needs from the VM around the vCPU: guest
// virtual to physical translation, memory by guest physical address (RAM or
// MMIO: the platform decides), port I/O, and the guest faults it reports;
// for the sim profile also CPUID, MSRs and the TSC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/base/result.h"

namespace petrel::x86emu {

// An exception to deliver to the guest (SDM 3A 6.3.1, Table 6-1).
struct Fault {
  uint8_t vector = 0;
  std::optional<uint32_t> error_code;
  uint64_t cr2 = 0;  // #PF: the faulting linear address
  bool operator==(const Fault&) const = default;
};
inline constexpr uint8_t kVectorBp = 3;
inline constexpr uint8_t kVectorUd = 6;
inline constexpr uint8_t kVectorNp = 11;
inline constexpr uint8_t kVectorSs = 12;
inline constexpr uint8_t kVectorGp = 13;
inline constexpr uint8_t kVectorPf = 14;

enum class Access : uint8_t { kRead, kWrite, kFetch };

// What a translation needs of the vCPU's paging state.
struct PagingContext {
  uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
  bool user = false;  // CPL 3
  bool ac = false;    // RFLAGS.AC (SMAP allows supervisor data access to user pages when set)
  uint8_t maxphyaddr = 52;  // CPUID 80000008H:EAX[7:0]; bits above it in an entry are reserved
};

// CPUID's four output registers (SDM 2A 3.2 "CPUID").
struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidResult&) const = default;
};

// A translation: the guest physical address, or the #PF to deliver.
struct Translation {
  std::optional<uint64_t> gpa;
  Fault fault;  // when !gpa
};

class Platform {
 public:
  virtual ~Platform() = default;
  // Translates the linear address `gva` for `access` (called only with
  // CR0.PG set). A host failure is an Error; a guest #PF is a Translation
  // without gpa. Backends that cannot ask the hypervisor use WalkPageTables
  // (page_walk.h).
  virtual Result<Translation> Translate(uint64_t gva, Access access, const PagingContext& paging) = 0;
  // One access within a page, 1 to 16 bytes (16: a 64-bit IDT gate).
  virtual Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) = 0;
  virtual Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) = 0;
  virtual Result<void> PortIn(uint16_t port, std::span<uint8_t> data) = 0;
  virtual Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) = 0;

  // The sim profile's. Each default fails with kUnsupported (a host Error:
  // a platform that runs only the mmio profile never sees these calls).
  // CPUID leaf EAX, subleaf ECX.
  virtual Result<CpuidResult> Cpuid(uint32_t leaf, uint32_t subleaf);
  // RDMSR/WRMSR of any MSR but IA32_EFER (the emulator keeps EFER in the
  // register file): nullopt / false is the guest's #GP(0) (SDM 2B RDMSR:
  // "If the value in ECX specifies a reserved or unimplemented MSR address").
  virtual Result<std::optional<uint64_t>> ReadMsr(uint32_t index);
  virtual Result<bool> WriteMsr(uint32_t index, uint64_t value);
  // The time-stamp counter RDTSC reads (SDM 3B 18.17).
  virtual Result<uint64_t> ReadTsc();
};

inline Result<CpuidResult> Platform::Cpuid(uint32_t, uint32_t) {
  return Error(ErrorCode::kUnsupported, "x86emu: this platform has no CPUID");
}
inline Result<std::optional<uint64_t>> Platform::ReadMsr(uint32_t) {
  return Error(ErrorCode::kUnsupported, "x86emu: this platform has no MSRs");
}
inline Result<bool> Platform::WriteMsr(uint32_t, uint64_t) {
  return Error(ErrorCode::kUnsupported, "x86emu: this platform has no MSRs");
}
inline Result<uint64_t> Platform::ReadTsc() {
  return Error(ErrorCode::kUnsupported, "x86emu: this platform has no TSC");
}

}  // namespace petrel::x86emu
