// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The boot vCPU's starting state, and the GDT / page tables it relies on.
//
// bzImage: the 64-bit boot protocol (Documentation/arch/x86/boot.rst, "64-bit
// Boot Protocol"): long mode, paging on with an identity map of the first
// 1 GiB, flat __BOOT_CS (0x10) / __BOOT_DS (0x18), rsi = zero page.
// PVH: xen/include/public/arch-x86/hvm/start_info.h: 32-bit protected mode,
// paging off, flat 4 GiB CS (execute/read) and DS/ES/SS (read/write), TR a
// 32-bit TSS, ebx = hvm_start_info.
//
// Segment limits are byte granular, as the VMCS/VMCB and KVM's kvm_segment
// hold them (SDM 3C 26.3.1.2): a 4 GiB flat segment has limit 0xffffffff and
// g = 1 (the GDT entry's 20-bit limit 0xfffff scaled by 4 KiB).
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "core/hv/x86_state.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

// GDT selectors; Linux boot.rst requires __BOOT_CS = 0x10, __BOOT_DS = 0x18.
inline constexpr uint16_t kBootCodeSelector = 0x10;
inline constexpr uint16_t kBootDataSelector = 0x18;
// GDT entries: null, null (reserved), code, data. 32 bytes, ends at the IDT.
inline constexpr uint64_t kGdtEntries = 4;

// WriteLongModeTables maps [0, 1 GiB) with 2 MiB pages.
inline constexpr uint64_t kIdentityMappedSize = 1ULL << 30;

// Control register and EFER bits (SDM 3A 2.5, 2.2.1).
inline constexpr uint64_t kCr0Pe = 1ULL << 0;
inline constexpr uint64_t kCr0Et = 1ULL << 4;
inline constexpr uint64_t kCr0Pg = 1ULL << 31;
inline constexpr uint64_t kCr4Pae = 1ULL << 5;
inline constexpr uint64_t kEferLme = 1ULL << 8;
inline constexpr uint64_t kEferLma = 1ULL << 10;
// IA32_APIC_BASE (SDM 3A 11.4.4): default base, BSP flag (bit 8), enable (bit 11).
inline constexpr uint64_t kApicBaseBsp = 0xfee0'0000ULL | (1ULL << 8) | (1ULL << 11);

// Writes the long-mode GDT at x86::kBootGdtStart, a null IDT at
// x86::kBootIdtStart and identity-mapping page tables (PML4 0x9000, PDPTE
// 0xa000, PDE 0xb000: 512 x 2 MiB pages = the first 1 GiB).
Result<void> WriteLongModeTables(GuestMemory& memory);
// Writes the 32-bit GDT and null IDT for a PVH entry.
Result<void> WriteProtectedModeTables(GuestMemory& memory);

// Long mode at `entry` with rsi = `boot_params` and the boot stack.
hv::BootVcpuState LongModeBootState(uint64_t entry, uint64_t boot_params);
// 32-bit protected mode at `entry` with ebx = `start_info`.
hv::BootVcpuState PvhBootState(uint32_t entry, uint64_t start_info);

}  // namespace petrel::boot
