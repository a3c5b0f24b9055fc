// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The ACPI tables Petrel gives an x86 guest: RSDP, XSDT, FADT, DSDT, MADT,
// (with PCI) MCFG, (with guest NUMA nodes) SRAT and SLIT and (with a TPM)
// TPM2, built from an AcpiConfig and written into the reserved low area at
// x86::kEbdaStart (0xA0000 - 0xFFFFF, which the e820 map reserves).
//
// The platform is hardware-reduced ACPI (FADT HW_REDUCED_ACPI), as in Cloud
// Hypervisor: no SCI, no PM1/GPE blocks; power-off and reset go through the
// sleep control and reset registers (pm_registers.h), the power button and
// later hotplug through the GED device (ACPI0013).
//
// The loaders pass `AcpiTables::rsdp_addr` to Linux (boot_params.acpi_rsdp_addr
// for bzImage, hvm_start_info.rsdp_paddr for PVH): 0xA0000 is not in the
// ranges Linux scans for "RSD PTR ".
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/acpi/memory_hotplug_registers.h"
#include "core/acpi/numa_tables.h"
#include "core/arch/x86_layout.h"
#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::acpi {

// Named cap: one MADT entry and one DSDT processor device per possible vCPU.
// CPU device names are "C" + 3 hex digits, so the naming alone would allow 4096.
inline constexpr uint32_t kMaxAcpiVcpus = 1024;
// The IOAPIC Petrel describes has 24 pins (GSI 0-23), as KVM's.
inline constexpr uint32_t kIoapicPins = 24;

// PCI segment 0 (one host bridge, PNP0A08): its ECAM window (MCFG, and
// reserved in the motherboard resources as PCI Firmware 3.2 §4.1.2 requires)
// and the windows its devices' BARs are allocated from (the bridge's _CRS).
struct PciHostConfig {
  uint64_t ecam_base = 0;  // 1 MiB per bus (PCIe §7.2.2)
  uint8_t end_bus = 0;     // buses 0..end_bus
  uint32_t mmio32_start = 0, mmio32_end = 0;  // inclusive
  uint64_t mmio64_start = 0, mmio64_end = 0;  // inclusive; start 0 = none
};

struct AcpiConfig {
  uint32_t boot_vcpus = 1, max_vcpus = 1;  // MADT/DSDT: one processor per possible vCPU
  // APIC id of each possible vCPU (from the CPU topology), or empty for
  // id = index. The processor UID is always the index.
  std::vector<uint32_t> apic_ids;
  bool serial = true;                      // COM1 (PNP0501) in the DSDT
  uint32_t serial_irq = 4;                 // ISA IRQ, < 16
  // The CMOS RTC (PNP0B00 in the DSDT, FADT CENTURY): ports rtc_port and
  // rtc_port + 1, ISA IRQ rtc_irq (< 16), century at CMOS index rtc_century.
  bool rtc = true;
  uint16_t rtc_port = 0x70;
  uint32_t rtc_irq = 8;
  uint8_t rtc_century = 0x32;
  uint16_t pm_port = 0x600;                // sleep control/status + reset (pm_registers.h)
  uint8_t reset_value = 1;                 // FADT RESET_VALUE
  uint64_t ged_mmio = 0;                   // GED event byte; 0 = no GED device
  uint32_t ged_irq = 5;                    // GED interrupt (GSI), < kIoapicPins
  // The CPU hot-plug controller's registers (cpu_hotplug_registers.h): the
  // DSDT gets \_SB_.PRES and the CSTA/CTFY/CEJ0/CSCN methods, each processor's
  // _STA asks the controller and _EJ0 ejects, and the GED's CPU event runs
  // CSCN. Needs the GED. 0 = no hot-plug: _STA is fixed by boot_vcpus.
  uint64_t cpu_hotplug_mmio = 0;
  // The PCI hot-plug controller's registers (pci_hotplug_registers.h): the
  // DSDT gets \_SB_.PHPR, PCI0 gets a slot object with _EJ0 per PCI device
  // 1..31 of bus 0 and the PCNT scan, and the GED's PCI event runs
  // \_SB_.PHPR.PSCN. Needs the GED and pci. 0 = no PCI hot-plug.
  uint64_t pci_hotplug_mmio = 0;
  // The memory hot-plug controller's registers (memory_hotplug_registers.h):
  // the DSDT gets \_SB_.MHPC with its methods and one memory device (PNP0C80)
  // per slot, M000 .. M<memory_hotplug_slots - 1>, whose _STA, _CRS and _EJ0
  // ask the controller, and the GED's memory event (bit 1) runs
  // \_SB_.MHPC.MSCN. Needs the GED. Absent = no memory hot-plug (unlike
  // Cloud Hypervisor, no MHPC at all).
  std::optional<uint64_t> memory_hotplug_mmio;
  // The slots the DSDT describes: 1 .. kMemoryHotplugSlots, the controller's.
  uint32_t memory_hotplug_slots = kMemoryHotplugSlots;
  uint16_t pm_timer_port = 0x608;          // FADT X_PM_TMR_BLK; 0 = no PM timer
  std::optional<PciHostConfig> pci;        // PCI0 in the DSDT + MCFG; none = no PCI
  // MADT PCAT_COMPAT: the VM has the dual 8259 PICs (KVM's full in-kernel
  // irqchip). False with the VMM's IOAPIC alone (split irqchip).
  bool pcat_compat = true;
  // Guest NUMA nodes (numa_tables.h): the SRAT and SLIT. Empty = neither
  // table, as Cloud Hypervisor without --numa. Their APIC ids must be
  // possible vCPUs' (apic_ids above, or the indices).
  std::vector<NumaNode> numa_nodes;
  // The TPM's CRB register page (x86::kTpmCrbSize bytes, tpm2.h): gives the
  // DSDT a TPM device \_SB_.TPM2 (MSFT0101) claiming it and adds the TPM2
  // table pointing at its control area. Page-aligned and below 4 GiB (the
  // _CRS is a Memory32Fixed). Absent = no TPM.
  std::optional<uint64_t> tpm_crb_mmio;
  // A virtio-iommu (viot.h): the VIOT table names it (its BDF on segment 0)
  // and the devices it translates (their BDFs, each its own endpoint id).
  // Absent = no VIOT.
  struct Iommu {
    uint16_t bdf = 0;
    std::vector<uint16_t> endpoints;
  };
  std::optional<Iommu> iommu;
};

struct AcpiTables {
  uint64_t rsdp_addr;
};

// Checks the config (vCPU counts, IRQ numbers, port ranges, NUMA nodes, the
// TPM's register page, the IOMMU's endpoints).
Result<void> ValidateAcpiConfig(const AcpiConfig& config);

// The tables as separate finished blobs (checksums set), laid out as if
// written from `base_addr`: RSDP, then XSDT, FADT, DSDT, MADT, MCFG, SRAT,
// SLIT, TPM2, VIOT, each 16-byte aligned; the XSDT lists FADT, MADT, MCFG,
// SRAT, SLIT, TPM2, VIOT.
// An absent table is empty, with address 0. For tests and the iasl check.
struct TableBlobs {
  std::vector<uint8_t> rsdp, xsdt, fadt, dsdt, madt;
  std::vector<uint8_t> mcfg;        // empty without PCI
  std::vector<uint8_t> srat, slit;  // empty without NUMA nodes
  std::vector<uint8_t> tpm2;        // empty without tpm_crb_mmio
  std::vector<uint8_t> viot;        // empty without iommu
  uint64_t rsdp_addr = 0, xsdt_addr = 0, fadt_addr = 0, dsdt_addr = 0, madt_addr = 0,
           mcfg_addr = 0, srat_addr = 0, slit_addr = 0, tpm2_addr = 0, viot_addr = 0;
  uint64_t end_addr = 0;  // first byte past the last table
};
Result<TableBlobs> BuildAcpiTables(const AcpiConfig& config, uint64_t base_addr);

// The area the tables must fit in: [x86::kEbdaStart, kAcpiAreaEnd).
inline constexpr uint64_t kAcpiAreaEnd = 0x100000;

// Where WriteAcpiTables puts the RSDP: the kernel loaders write it into
// the boot parameters, which may come before the tables (the VIOT needs
// the devices placed).
inline constexpr uint64_t kRsdpAddress = x86::kEbdaStart;

// Builds the tables for base x86::kEbdaStart (the RSDP at kRsdpAddress),
// checks they fit below kAcpiAreaEnd and writes them into guest memory.
Result<AcpiTables> WriteAcpiTables(GuestMemory& memory, const AcpiConfig& config);

}  // namespace petrel::acpi
