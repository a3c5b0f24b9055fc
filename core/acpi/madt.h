// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The MADT (Multiple APIC Description Table, signature "APIC"), revision 5:
// ACPI 6.4 5.2.12. One processor entry per possible vCPU (APIC id = vCPU
// index, ACPI processor UID = vCPU index), the IOAPIC and LINT1 as NMI.
//
// Interrupt source overrides: none. KVM's in-kernel irqchip routes GSI n to
// IOAPIC pin n for the ISA IRQs (kvm_setup_default_irq_routing), so the PIT
// (IRQ 0) arrives on pin 0, which is what the ACPI default identity mapping
// of ISA IRQs says; the GED interrupt (edge, active high) matches the ISA
// default polarity and trigger, so it needs no override either.
// PCAT_COMPAT = AcpiConfig::pcat_compat: 1 with KVM's full in-kernel irqchip,
// which also has the 8259 PICs; 0 with the VMM's IOAPIC alone (the split
// irqchip has no PIC), as Cloud Hypervisor's MADT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/acpi/tables.h"

namespace petrel::acpi {

inline constexpr uint8_t kMadtRevision = 5;  // ACPI 6.3+: the Online Capable flag
inline constexpr size_t kMadtLapicAddress = 36;
inline constexpr size_t kMadtFlags = 40;
inline constexpr size_t kMadtEntries = 44;
inline constexpr uint32_t kMadtPcatCompat = 1;  // 5.2.12 Table 5.20

// 5.2.12 Table 5.21 interrupt controller structure types and lengths.
inline constexpr uint8_t kMadtLocalApic = 0;        // 8 bytes
inline constexpr uint8_t kMadtIoApic = 1;           // 12 bytes
inline constexpr uint8_t kMadtLocalApicNmi = 4;     // 6 bytes
inline constexpr uint8_t kMadtLocalX2Apic = 9;      // 16 bytes
inline constexpr uint8_t kMadtLocalX2ApicNmi = 10;  // 12 bytes
// 5.2.12.2 Table 5.23 Local APIC flags.
inline constexpr uint32_t kLapicEnabled = 1u << 0;
inline constexpr uint32_t kLapicOnlineCapable = 1u << 1;
// APIC ids from 255 on need x2APIC structures (5.2.12.12).
inline constexpr uint32_t kMaxXapicId = 254;
inline constexpr uint8_t kIoapicId = 0;
inline constexpr uint8_t kNmiLint = 1;  // LINT1 is wired to NMI

// vCPU `index`'s APIC id: AcpiConfig::apic_ids[index], or `index` without them.
uint32_t ApicIdOf(const AcpiConfig& config, uint32_t index);

// The processor structure (type 0, or 9 when the id needs x2APIC) for ACPI
// processor UID `uid` with `apic_id` and the given flags; also what the
// processor device's _MAT returns.
std::vector<uint8_t> MadtProcessorEntry(uint32_t uid, uint32_t apic_id, uint32_t flags);
// The same with UID = APIC id = `index`.
std::vector<uint8_t> MadtProcessorEntry(uint32_t index, uint32_t flags);

std::vector<uint8_t> BuildMadt(const AcpiConfig& config);

}  // namespace petrel::acpi
