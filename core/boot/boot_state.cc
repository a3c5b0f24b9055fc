// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Boot vCPU state and its GDT/IDT/page tables (see boot_state.h).
#include "core/boot/boot_state.h"

#include <array>
#include <span>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::boot {
namespace {

// A segment descriptor (SDM 3A 3.4.5, figure 3-8). `flags` holds the access
// byte (P, DPL, S, type) in bits 7..0 and G, D/B, L, AVL in bits 15..12.
constexpr uint64_t GdtEntry(uint16_t flags, uint32_t base, uint32_t limit) {
  return ((static_cast<uint64_t>(base) & 0xff00'0000) << 32) |
         ((static_cast<uint64_t>(base) & 0x00ff'ffff) << 16) |
         (static_cast<uint64_t>(limit) & 0x0000'ffff) |
         ((static_cast<uint64_t>(limit) & 0x000f'0000) << 32) |
         ((static_cast<uint64_t>(flags) & 0xf0ff) << 40);
}

// Access byte + flags: P=1, DPL=0, S=1; type 0xb = code execute/read accessed,
// 0x3 = data read/write accessed (SDM 3A table 3-1). 0xa = G|L, 0xc = G|D/B.
constexpr uint16_t kCode64Flags = 0xa09b;
constexpr uint16_t kCode32Flags = 0xc09b;
constexpr uint16_t kDataFlags = 0xc093;
constexpr uint32_t kFlatLimit20 = 0xfffff;
constexpr uint32_t kFlatLimit = 0xffff'ffff;  // byte granular, see boot_state.h

// Page-table entry bits (SDM 3A 4.5): present, writable, page size (2 MiB).
constexpr uint64_t kPtePresent = 1ULL << 0;
constexpr uint64_t kPteWritable = 1ULL << 1;
constexpr uint64_t kPtePageSize = 1ULL << 7;
constexpr uint64_t kPageTableEntries = 512;
constexpr uint64_t kHugePageSize = 2ULL << 20;

Result<void> WriteTables(GuestMemory& memory, uint16_t code_flags) {
  std::array<uint8_t, kGdtEntries * 8> gdt{};
  StoreLe<uint64_t>(gdt, kBootCodeSelector, GdtEntry(code_flags, 0, kFlatLimit20));
  StoreLe<uint64_t>(gdt, kBootDataSelector, GdtEntry(kDataFlags, 0, kFlatLimit20));
  static_assert(x86::kBootGdtStart + kGdtEntries * 8 <= x86::kBootIdtStart);
  PETREL_TRY(memory.Write(x86::kBootGdtStart, gdt).Wrap("writing boot GDT"));
  PETREL_TRY(memory.WriteObj<uint64_t>(x86::kBootIdtStart, 0).Wrap("writing boot IDT"));
  return Ok();
}

hv::Segment FlatSegment(uint16_t selector, uint8_t type, bool code64) {
  hv::Segment s;
  s.base = 0;
  s.limit = kFlatLimit;
  s.selector = selector;
  s.type = type;
  s.present = true;
  s.dpl = 0;
  s.db = !code64;
  s.s = true;
  s.l = code64;
  s.g = true;
  return s;
}

hv::BootVcpuState CommonState(bool long_mode) {
  hv::BootVcpuState st;
  hv::Sregs& sr = st.sregs;
  sr.cs = FlatSegment(kBootCodeSelector, 0xb, long_mode);
  sr.ds = sr.es = sr.fs = sr.gs = sr.ss = FlatSegment(kBootDataSelector, 0x3, false);
  // TR: a busy 32-bit TSS (type 0xb, SDM 3A 7.2.2), as after reset; LDT unused.
  sr.tr.type = 0xb;
  sr.tr.present = true;
  sr.tr.limit = 0x67;  // minimal 32-bit TSS (PVH ABI: limit 0x67)
  sr.ldt.type = 0x2;
  sr.ldt.present = true;
  sr.ldt.limit = 0xffff;
  sr.ldt.unusable = true;
  sr.gdt = {x86::kBootGdtStart, static_cast<uint16_t>(kGdtEntries * 8 - 1)};
  sr.idt = {x86::kBootIdtStart, 7};
  sr.apic_base = kApicBaseBsp;
  st.regs.rflags = 0x2;  // reserved bit 1; IF clear
  return st;
}

}  // namespace

Result<void> WriteLongModeTables(GuestMemory& memory) {
  PETREL_TRY(WriteTables(memory, kCode64Flags));
  PETREL_TRY(
      memory.WriteObj<uint64_t>(x86::kPml4Start, x86::kPdpteStart | kPtePresent | kPteWritable)
          .Wrap("writing PML4"));
  PETREL_TRY(
      memory.WriteObj<uint64_t>(x86::kPdpteStart, x86::kPdeStart | kPtePresent | kPteWritable)
          .Wrap("writing PDPTE"));
  std::array<uint8_t, kPageTableEntries * 8> pde{};
  for (uint64_t i = 0; i < kPageTableEntries; ++i) {
    StoreLe<uint64_t>(pde, i * 8, (i * kHugePageSize) | kPtePresent | kPteWritable | kPtePageSize);
  }
  return memory.Write(x86::kPdeStart, pde).Wrap("writing PDE");
}

Result<void> WriteProtectedModeTables(GuestMemory& memory) {
  return WriteTables(memory, kCode32Flags);
}

hv::BootVcpuState LongModeBootState(uint64_t entry, uint64_t boot_params) {
  hv::BootVcpuState st = CommonState(/*long_mode=*/true);
  st.sregs.cr0 = kCr0Pe | kCr0Et | kCr0Pg;
  st.sregs.cr3 = x86::kPml4Start;
  st.sregs.cr4 = kCr4Pae;
  st.sregs.efer = kEferLme | kEferLma;
  st.regs.rip = entry;
  st.regs.gpr[hv::kRsi] = boot_params;
  st.regs.gpr[hv::kRsp] = x86::kBootStackPointer;
  st.regs.gpr[hv::kRbp] = x86::kBootStackPointer;
  return st;
}

hv::BootVcpuState PvhBootState(uint32_t entry, uint64_t start_info) {
  hv::BootVcpuState st = CommonState(/*long_mode=*/false);
  st.sregs.cr0 = kCr0Pe | kCr0Et;
  st.regs.rip = entry;
  st.regs.gpr[hv::kRbx] = start_info;
  return st;
}

}  // namespace petrel::boot
