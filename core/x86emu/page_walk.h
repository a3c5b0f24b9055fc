// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WalkPageTables: the 4-level IA-32e page walk (SDM 3A 4.5 "4-level
// paging"), over guest physical memory, for platforms whose hypervisor
// cannot translate for them. It checks present, write and user/supervisor
// rights (with CR0.WP, SMEP, SMAP and EFER.NXE) and reports the #PF error
// code of SDM 3A 4.7; it sets the accessed and dirty bits as the processor
// does (SDM 3A 4.8).
//
// Covered: CR0.PG with CR4.PAE and EFER.LMA (4-level), 4 KiB, 2 MiB and
// 1 GiB pages. Not covered (an Error kUnsupported): 32-bit paging, PAE
// paging without long mode, 5-level paging (CR4.LA57), protection keys.
#pragma once

#include <cstdint>
#include <span>

#include "core/base/result.h"
#include "core/x86emu/cpu_mode.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu {

class PhysicalMemory {
 public:
  virtual ~PhysicalMemory() = default;
  virtual Result<void> Read(uint64_t gpa, std::span<uint8_t> data) = 0;
  virtual Result<void> Write(uint64_t gpa, std::span<const uint8_t> data) = 0;
};

// #PF error code bits (SDM 3A 4.7, Figure 4-12).
inline constexpr uint32_t kPfPresent = 1u << 0;
inline constexpr uint32_t kPfWrite = 1u << 1;
inline constexpr uint32_t kPfUser = 1u << 2;
inline constexpr uint32_t kPfReserved = 1u << 3;
inline constexpr uint32_t kPfFetch = 1u << 4;

Result<Translation> WalkPageTables(PhysicalMemory& memory, const PagingContext& paging,
                                   uint64_t gva, Access access);

}  // namespace petrel::x86emu
