// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The Intel MultiProcessor Specification 1.4 table, so Linux finds the vCPUs
// and the IOAPIC without ACPI.
//
// Layout at x86::kMptableStart (the last KiB of base memory, which Linux
// scans, MP spec 4.0): floating pointer (16 bytes), then the configuration
// table: header, one processor entry per vCPU (APIC id = index, BSP = 0), an
// ISA bus, one IOAPIC (id = vcpus, at x86::kIoapicStart), I/O interrupt
// entries for ISA IRQs 0-15 (IRQ0 -> IOAPIC pin 2 and no entry for the
// cascade IRQ2, as QEMU/SeaBIOS and Firecracker-derived VMMs route it), and
// local interrupt entries: ExtINT -> LINT0 of the BSP, NMI -> LINT1 of all.
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

// The table must end below the EBDA (x86::kEbdaStart), where the RSDP goes.
inline constexpr uint32_t kMaxMptableVcpus = 40;

// MP spec 4.1/4.2 sizes.
inline constexpr uint64_t kMpFloatingPointerSize = 16;
inline constexpr uint64_t kMpConfigHeaderSize = 44;
inline constexpr uint64_t kMpProcessorEntrySize = 20;
inline constexpr uint64_t kMpSmallEntrySize = 8;  // bus, IOAPIC, interrupt entries

// Bytes the whole table (floating pointer included) takes for `vcpus`.
uint64_t MptableSize(uint32_t vcpus);

// Writes the MP table for `vcpus` (1..kMaxMptableVcpus) vCPUs.
Result<void> WriteMptable(GuestMemory& memory, uint32_t vcpus);

}  // namespace petrel::boot
