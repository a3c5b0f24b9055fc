// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MCFG builder (see mcfg.h).
#include "core/acpi/mcfg.h"

#include "core/acpi/sdt.h"

namespace petrel::acpi {

std::vector<uint8_t> BuildMcfg(const PciHostConfig& pci) {
  Sdt t("MCFG", kMcfgRevision, "PTMCFG", kMcfgAllocations + kMcfgAllocationSize - kSdtHeaderSize);
  t.Put64(kMcfgAllocations, pci.ecam_base);
  t.Put16(kMcfgAllocations + 8, 0);  // PCI segment group 0
  t.Put8(kMcfgAllocations + 10, 0);  // start bus
  t.Put8(kMcfgAllocations + 11, pci.end_bus);
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
