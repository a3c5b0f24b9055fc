// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The DSDT (Differentiated System Description Table): the AML namespace of
// Petrel's platform, built with the encoder in aml.h.
//
//   \_SB_.COM1  PNP0501, _CRS IO(0x3F8, 8) + IRQNoFlags(serial_irq)   (if serial)
//   \_SB_.RTC_  PNP0B00 CMOS RTC, _CRS IO(rtc_port, 2) + IRQNoFlags(rtc_irq)   (if rtc)
//   \_SB_.TPM2  "MSFT0101" TPM 2.0 (CRB), _STA 0xF, _CRS Memory32Fixed(RW,
//               tpm_crb_mmio, x86::kTpmCrbSize)   (if tpm_crb_mmio)
//   \_SB_.PWRB  PNP0C0C power button, notified by the GED
//   \_SB_.GED_  ACPI0013, _CRS Interrupt(ged_irq, edge, active high), the event
//               byte GDAT (OpRegion GDST over ged_mmio) and _EVT   (if ged_mmio)
//   \_SB_.PHPR  PNP0A06 PCI hot-plug controller: its registers as fields
//               (pci_hotplug_registers.h), PCEJ (eject) and PSCN, which the
//               GED's PCI event (bit 2) calls   (if pci and pci_hotplug_mmio)
//   \_SB_.MHPC  PNP0A06 memory hot-plug controller: its registers as fields
//               (memory_hotplug_registers.h), MTFY, MSCN (which the GED's
//               memory event, bit 1, calls), MSTA, MCRS and MDEJ (eject), and
//               M000.. PNP0C80 per slot with _UID = its index and _STA, _CRS
//               and _EJ0 asking the controller   (if memory_hotplug_mmio)
//   \_SB_.MBRD  PNP0C02 motherboard resources: the PM ports, PM timer, GED byte
//   \_SB_.PRES  PNP0A06 CPU hot-plug controller: its registers as fields
//               (cpu_hotplug_registers.h)   (if cpu_hotplug_mmio)
//   \_SB_.PCI0  PNP0A08 host bridge of segment 0 (if pci). With PCI hot-plug
//               it holds S001..S031, one per PCI device 1..31 of bus 0 with
//               _SUN, _ADR and _EJ0 (PHPR.PCEJ), and DVNT and PCNT, which
//               notify them of what PCIU and PCID announce
//   \_SB_.CPUS  ACPI0010 processor container, C000.. ACPI0007 per possible vCPU
//               with _UID = its index, _STA (0xF boot / 0 absent), _MAT. With
//               hot-plug, _STA asks the controller (CSTA) and _EJ0 ejects
//               (CEJ0); the container holds CSTA, CTFY, CEJ0 and CSCN, which
//               the GED's CPU event (bit 0) calls
//   \_S5_       Package {5, 0, 0, 0}: SLP_TYP 5 for poweroff (pm_registers.h)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/acpi/aml.h"
#include "core/acpi/tables.h"

namespace petrel::acpi {

inline constexpr uint8_t kDsdtRevision = 6;  // >= 2: 64-bit AML integers
// ACPI 6.4 6.3.7 _STA: present, enabled, shown in UI, functioning.
inline constexpr uint64_t kStaPresent = 0x0F;
inline constexpr uint64_t kStaAbsent = 0x00;
// ACPI 6.4 5.6.6 Table 5.169: device object notification 0x80 for the power button.
inline constexpr uint64_t kNotifyPowerButton = 0x80;

// "C000".. for vCPU index 0, 1, ... (index < 4096).
std::string CpuDeviceName(uint32_t index);
// "S001".. for PCI slot (device number) 1, 2, ... on bus 0, as Cloud
// Hypervisor names them (slot < 32).
std::string PciSlotDeviceName(uint8_t slot);

// "M000".. for memory hot-plug slot 0, 1, ..., as Cloud Hypervisor names
// them (slot < 1000).
std::string MemorySlotDeviceName(uint32_t slot);

// The AML body (everything after the header), for byte-level tests.
aml::TermList DsdtTerms(const AcpiConfig& config);

std::vector<uint8_t> BuildDsdt(const AcpiConfig& config);

}  // namespace petrel::acpi
