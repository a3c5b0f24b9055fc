// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MADT builder (see madt.h).
#include "core/acpi/madt.h"

#include <algorithm>

#include "core/acpi/sdt.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {

uint32_t ApicIdOf(const AcpiConfig& config, uint32_t index) {
  return config.apic_ids.empty() ? index : config.apic_ids[index];
}

std::vector<uint8_t> MadtProcessorEntry(uint32_t uid, uint32_t apic_id, uint32_t flags) {
  if (apic_id <= kMaxXapicId && uid <= 0xff) {
    // 5.2.12.2 Processor Local APIC: type, length, ACPI Processor UID, APIC ID, flags.
    std::vector<uint8_t> e(8, 0);
    e[0] = kMadtLocalApic;
    e[1] = 8;
    e[2] = static_cast<uint8_t>(uid);
    e[3] = static_cast<uint8_t>(apic_id);
    PutLe(e, 4, flags, 4);
    return e;
  }
  // 5.2.12.12 Processor Local x2APIC: type, length, reserved(2), x2APIC ID, flags, UID.
  std::vector<uint8_t> e(16, 0);
  e[0] = kMadtLocalX2Apic;
  e[1] = 16;
  PutLe(e, 4, apic_id, 4);
  PutLe(e, 8, flags, 4);
  PutLe(e, 12, uid, 4);
  return e;
}

std::vector<uint8_t> MadtProcessorEntry(uint32_t index, uint32_t flags) {
  return MadtProcessorEntry(index, index, flags);
}

std::vector<uint8_t> BuildMadt(const AcpiConfig& config) {
  Sdt t("APIC", kMadtRevision, "PTAPIC", 8);
  t.Put32(kMadtLapicAddress, static_cast<uint32_t>(x86::kLapicStart));
  t.Put32(kMadtFlags, config.pcat_compat ? kMadtPcatCompat : 0);

  for (uint32_t i = 0; i < config.max_vcpus; ++i) {
    // Boot vCPUs are enabled; the others can be brought online later (hotplug).
    t.Append(MadtProcessorEntry(i, ApicIdOf(config, i),
                                i < config.boot_vcpus ? kLapicEnabled : kLapicOnlineCapable));
  }
  uint32_t max_apic_id = 0;
  for (uint32_t i = 0; i < config.max_vcpus; ++i) max_apic_id = std::max(max_apic_id, ApicIdOf(config, i));

  // 5.2.12.3 I/O APIC: type, length, id, reserved, address, GSI base.
  std::vector<uint8_t> ioapic(12, 0);
  ioapic[0] = kMadtIoApic;
  ioapic[1] = 12;
  ioapic[2] = kIoapicId;
  PutLe(ioapic, 4, x86::kIoapicStart, 4);
  PutLe(ioapic, 8, 0, 4);
  t.Append(ioapic);

  // 5.2.12.7 Local APIC NMI: type, length, UID 0xFF (all processors), MPS INTI
  // flags 0 (conforms to the bus), LINT#.
  const std::vector<uint8_t> nmi = {kMadtLocalApicNmi, 6, 0xFF, 0, 0, kNmiLint};
  t.Append(nmi);
  if (max_apic_id > kMaxXapicId || config.max_vcpus > kMaxXapicId + 1) {
    // 5.2.12.13 Local x2APIC NMI for the x2APIC processors: type, length,
    // flags(2), UID 0xFFFFFFFF (all), LINT#, reserved(3).
    std::vector<uint8_t> x2nmi(12, 0);
    x2nmi[0] = kMadtLocalX2ApicNmi;
    x2nmi[1] = 12;
    PutLe(x2nmi, 4, 0xFFFF'FFFF, 4);
    x2nmi[8] = kNmiLint;
    t.Append(x2nmi);
  }
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
