// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Builds and places the whole ACPI table set (see tables.h).
#include "core/acpi/tables.h"

#include <set>
#include <string>
#include <utility>

#include "core/acpi/cpu_hotplug_registers.h"
#include "core/acpi/dsdt.h"
#include "core/acpi/fadt.h"
#include "core/acpi/madt.h"
#include "core/acpi/mcfg.h"
#include "core/acpi/memory_hotplug_registers.h"
#include "core/acpi/numa_tables.h"
#include "core/acpi/pci_hotplug_registers.h"
#include "core/acpi/pm_registers.h"
#include "core/acpi/rsdp.h"
#include "core/acpi/sdt.h"
#include "core/acpi/tpm2.h"
#include "core/acpi/viot.h"
#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::acpi {
namespace {

constexpr uint64_t kTableAlign = 16;

uint64_t AlignUp(uint64_t v) {
  return (v + kTableAlign - 1) & ~(kTableAlign - 1);
}

Error Invalid(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "acpi: " + what);
}

}  // namespace

Result<void> ValidateAcpiConfig(const AcpiConfig& c) {
  if (c.max_vcpus == 0 || c.max_vcpus > kMaxAcpiVcpus) {
    return Invalid("max vCPUs " + std::to_string(c.max_vcpus) + " not in 1.." +
                   std::to_string(kMaxAcpiVcpus));
  }
  if (!c.apic_ids.empty() && c.apic_ids.size() != c.max_vcpus) {
    return Invalid(std::to_string(c.apic_ids.size()) + " APIC ids for " +
                   std::to_string(c.max_vcpus) + " vCPUs");
  }
  if (c.boot_vcpus == 0 || c.boot_vcpus > c.max_vcpus) {
    return Invalid("boot vCPUs " + std::to_string(c.boot_vcpus) + " not in 1.." +
                   std::to_string(c.max_vcpus));
  }
  if (c.serial && c.serial_irq >= 16) {
    return Invalid("serial IRQ " + std::to_string(c.serial_irq) + " is not an ISA IRQ (< 16)");
  }
  if (c.rtc && c.rtc_irq >= 16) {
    return Invalid("RTC IRQ " + std::to_string(c.rtc_irq) + " is not an ISA IRQ (< 16)");
  }
  if (c.rtc && (c.rtc_port == 0 || c.rtc_port == 0xFFFF || c.rtc_century >= 128)) {
    return Invalid("bad RTC port or century index");
  }
  if (c.pm_port == 0 || c.pm_port > 0xFFFF - (kPmPortCount - 1)) {
    return Invalid("bad PM port " + std::to_string(c.pm_port));
  }
  if (c.pm_timer_port > 0xFFFF - (kPmTimerPortCount - 1)) {
    return Invalid("bad PM timer port " + std::to_string(c.pm_timer_port));
  }
  if (c.pm_timer_port != 0 && c.pm_timer_port < c.pm_port + kPmPortCount &&
      c.pm_port < c.pm_timer_port + kPmTimerPortCount) {
    return Invalid("PM timer ports overlap the PM ports");
  }
  if (c.ged_mmio != 0) {
    if (c.ged_irq >= kIoapicPins) {
      return Invalid("GED IRQ " + std::to_string(c.ged_irq) + " is not an IOAPIC pin");
    }
    if (c.ged_mmio > ~uint64_t{0} - kGedMmioSize) return Invalid("GED MMIO address wraps");
    if (c.serial && c.ged_irq == c.serial_irq) return Invalid("GED IRQ equals the serial IRQ");
  }
  if (c.cpu_hotplug_mmio != 0) {
    if (c.ged_mmio == 0) return Invalid("CPU hot-plug needs the GED, which delivers its events");
    if (c.cpu_hotplug_mmio > ~uint64_t{0} - kCpuHotplugSize) {
      return Invalid("CPU hot-plug MMIO address wraps");
    }
    if (RangesOverlap(c.cpu_hotplug_mmio, kCpuHotplugSize, c.ged_mmio, kGedMmioSize)) {
      return Invalid("CPU hot-plug registers overlap the GED");
    }
  }
  if (c.pci_hotplug_mmio != 0) {
    if (c.ged_mmio == 0) return Invalid("PCI hot-plug needs the GED, which delivers its events");
    if (!c.pci) return Invalid("PCI hot-plug needs the PCI host bridge");
    if (c.pci_hotplug_mmio > ~uint64_t{0} - kPciHotplugSize) {
      return Invalid("PCI hot-plug MMIO address wraps");
    }
    if (RangesOverlap(c.pci_hotplug_mmio, kPciHotplugSize, c.ged_mmio, kGedMmioSize)) {
      return Invalid("PCI hot-plug registers overlap the GED");
    }
    if (c.cpu_hotplug_mmio != 0 &&
        RangesOverlap(c.pci_hotplug_mmio, kPciHotplugSize, c.cpu_hotplug_mmio, kCpuHotplugSize)) {
      return Invalid("PCI hot-plug registers overlap the CPU hot-plug registers");
    }
  }
  if (c.memory_hotplug_mmio) {
    const uint64_t mmio = *c.memory_hotplug_mmio;
    if (c.ged_mmio == 0) return Invalid("memory hot-plug needs the GED, which delivers its events");
    if (c.memory_hotplug_slots == 0 || c.memory_hotplug_slots > kMemoryHotplugSlots) {
      return Invalid("memory hot-plug slots " + std::to_string(c.memory_hotplug_slots) +
                     " not in 1.." + std::to_string(kMemoryHotplugSlots));
    }
    // 0 is what the other controllers' fields use for "absent": refuse it
    // rather than describe registers over the guest's RAM.
    if (mmio == 0) return Invalid("memory hot-plug MMIO address 0");
    if (mmio > ~uint64_t{0} - kMemoryHotplugSize) {
      return Invalid("memory hot-plug MMIO address wraps");
    }
    if (RangesOverlap(mmio, kMemoryHotplugSize, c.ged_mmio, kGedMmioSize)) {
      return Invalid("memory hot-plug registers overlap the GED");
    }
    if (c.cpu_hotplug_mmio != 0 &&
        RangesOverlap(mmio, kMemoryHotplugSize, c.cpu_hotplug_mmio, kCpuHotplugSize)) {
      return Invalid("memory hot-plug registers overlap the CPU hot-plug registers");
    }
    if (c.pci_hotplug_mmio != 0 &&
        RangesOverlap(mmio, kMemoryHotplugSize, c.pci_hotplug_mmio, kPciHotplugSize)) {
      return Invalid("memory hot-plug registers overlap the PCI hot-plug registers");
    }
  }
  if (c.tpm_crb_mmio) {
    const uint64_t crb = *c.tpm_crb_mmio;
    if (crb % x86::kTpmCrbSize != 0) return Invalid("TPM CRB page is not page-aligned");
    // The DSDT's _CRS describes the page with a Memory32Fixed.
    if (crb > 0x1'0000'0000ull - x86::kTpmCrbSize) {
      return Invalid("TPM CRB page must lie below 4 GiB");
    }
    // 0 is what the other controllers' fields use for "absent": refuse it
    // rather than describe registers over the guest's RAM.
    if (crb == 0) return Invalid("TPM CRB address 0");
    const std::pair<uint64_t, uint64_t> others[] = {
        {c.ged_mmio, kGedMmioSize},
        {c.cpu_hotplug_mmio, kCpuHotplugSize},
        {c.pci_hotplug_mmio, kPciHotplugSize},
        {c.memory_hotplug_mmio.value_or(0), kMemoryHotplugSize},
    };
    for (const auto& [addr, size] : others) {
      if (addr != 0 && RangesOverlap(crb, x86::kTpmCrbSize, addr, size)) {
        return Invalid("TPM CRB page overlaps the GED or hot-plug registers");
      }
    }
    if (c.pci && RangesOverlap(crb, x86::kTpmCrbSize, c.pci->ecam_base,
                               (uint64_t{c.pci->end_bus} + 1) << 20)) {
      return Invalid("TPM CRB page overlaps the PCI ECAM window");
    }
  }
  if (c.iommu) {
    // A PCI IOMMU needs a PCI bus; a device cannot be its own IOMMU, and the
    // node count is a u16 (the IOMMU's node counts too).
    if (!c.pci) return Invalid("a virtio-iommu without PCI");
    const auto& eps = c.iommu->endpoints;
    if (eps.size() >= 0xffff) return Invalid("too many devices behind the virtio-iommu");
    std::set<uint16_t> seen;
    for (uint16_t bdf : eps) {
      if (bdf == c.iommu->bdf) return Invalid("the virtio-iommu cannot translate itself");
      if (!seen.insert(bdf).second) return Invalid("a device listed twice behind the virtio-iommu");
    }
  }
  if (c.pci) {
    const PciHostConfig& p = *c.pci;
    if (p.ecam_base == 0 || p.ecam_base % (1ull << 20) != 0) {
      return Invalid("PCI ECAM base must be a non-zero multiple of 1 MiB");
    }
    if (p.ecam_base + ((uint64_t{p.end_bus} + 1) << 20) > 0x1'0000'0000ull) {
      return Invalid("PCI ECAM window must lie below 4 GiB");
    }
    if (p.mmio32_start == 0 || p.mmio32_end <= p.mmio32_start) return Invalid("bad PCI 32-bit window");
    if (p.mmio64_start != 0 && p.mmio64_end <= p.mmio64_start) return Invalid("bad PCI 64-bit window");
  }
  if (!c.numa_nodes.empty()) {
    PETREL_TRY(ValidateNumaNodes(c.numa_nodes));
    std::set<uint32_t> vcpu_apic_ids;
    for (uint32_t i = 0; i < c.max_vcpus; ++i) vcpu_apic_ids.insert(ApicIdOf(c, i));
    for (const NumaNode& node : c.numa_nodes) {
      for (const uint32_t id : node.apic_ids) {
        if (!vcpu_apic_ids.contains(id)) {
          return Invalid("NUMA node " + std::to_string(node.proximity_domain) + ": APIC id " +
                         std::to_string(id) + " is no possible vCPU's");
        }
      }
    }
  }
  return Ok();
}

Result<TableBlobs> BuildAcpiTables(const AcpiConfig& config, uint64_t base_addr) {
  PETREL_TRY(ValidateAcpiConfig(config));
  TableBlobs b;
  b.dsdt = BuildDsdt(config);
  b.madt = BuildMadt(config);
  if (config.pci) b.mcfg = BuildMcfg(*config.pci);
  if (!config.numa_nodes.empty()) {
    PETREL_ASSIGN_OR_RETURN(NumaTables numa, BuildNumaTables(config.numa_nodes));
    b.srat = std::move(numa.srat);
    b.slit = std::move(numa.slit);
  }
  if (config.tpm_crb_mmio) b.tpm2 = BuildTpm2(*config.tpm_crb_mmio);
  if (config.iommu) b.viot = BuildViot(config.iommu->bdf, config.iommu->endpoints);
  // The tables after the MADT that are present, in XSDT order.
  const std::pair<std::vector<uint8_t>*, uint64_t*> optional_tables[] = {
      {&b.mcfg, &b.mcfg_addr},
      {&b.srat, &b.srat_addr},
      {&b.slit, &b.slit_addr},
      {&b.tpm2, &b.tpm2_addr},
      {&b.viot, &b.viot_addr}};
  // The XSDT lists FADT, MADT and those.
  size_t xsdt_entries = 2;
  uint64_t optional_span = 0;
  for (const auto& [blob, addr] : optional_tables) {
    if (blob->empty()) continue;
    ++xsdt_entries;
    optional_span += AlignUp(blob->size());
  }
  // Sizes of the fixed tables are known before their contents (which hold addresses).
  const uint64_t xsdt_size = kSdtHeaderSize + 8 * xsdt_entries;
  const uint64_t span = AlignUp(kRsdpSize) + AlignUp(xsdt_size) + AlignUp(kFadtSize) +
                        AlignUp(b.dsdt.size()) + AlignUp(b.madt.size()) + optional_span;
  if (base_addr % kTableAlign != 0 || base_addr > ~uint64_t{0} - span) {
    return Invalid("bad table base address");
  }
  b.rsdp_addr = base_addr;
  b.xsdt_addr = AlignUp(b.rsdp_addr + kRsdpSize);
  b.fadt_addr = AlignUp(b.xsdt_addr + xsdt_size);
  b.dsdt_addr = AlignUp(b.fadt_addr + kFadtSize);
  b.madt_addr = AlignUp(b.dsdt_addr + b.dsdt.size());
  b.end_addr = b.madt_addr + b.madt.size();
  std::vector<uint64_t> entries = {b.fadt_addr, b.madt_addr};
  for (const auto& [blob, addr] : optional_tables) {
    if (blob->empty()) continue;
    *addr = AlignUp(b.end_addr);
    b.end_addr = *addr + blob->size();
    entries.push_back(*addr);
  }
  b.fadt = BuildFadt(config, b.dsdt_addr);
  b.xsdt = BuildXsdt(entries);
  b.rsdp = BuildRsdp(b.xsdt_addr);
  return b;
}

Result<AcpiTables> WriteAcpiTables(GuestMemory& memory, const AcpiConfig& config) {
  PETREL_ASSIGN_OR_RETURN(TableBlobs b, BuildAcpiTables(config, x86::kEbdaStart));
  if (b.end_addr > kAcpiAreaEnd) {
    return Error(ErrorCode::kOutOfRange,
                 "acpi: tables need " + std::to_string(b.end_addr - x86::kEbdaStart) +
                     " bytes, more than the " + std::to_string(kAcpiAreaEnd - x86::kEbdaStart) +
                     " reserved at 0xA0000");
  }
  const std::pair<uint64_t, const std::vector<uint8_t>*> parts[] = {
      {b.rsdp_addr, &b.rsdp}, {b.xsdt_addr, &b.xsdt}, {b.fadt_addr, &b.fadt},
      {b.dsdt_addr, &b.dsdt}, {b.madt_addr, &b.madt}, {b.mcfg_addr, &b.mcfg},
      {b.srat_addr, &b.srat}, {b.slit_addr, &b.slit}, {b.tpm2_addr, &b.tpm2},
      {b.viot_addr, &b.viot},
  };
  for (const auto& [addr, blob] : parts) {
    if (blob->empty()) continue;
    PETREL_TRY(memory.Write(addr, *blob).Wrap("acpi: writing tables"));
  }
  return AcpiTables{b.rsdp_addr};
}

}  // namespace petrel::acpi
