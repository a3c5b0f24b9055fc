// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The MCFG table (PCI Firmware Specification 3.2 §4.1.2, "MCFG Table
// Description"): where each PCI segment's ECAM window lives. Petrel has one
// segment (0) whose window covers buses start_bus..end_bus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/acpi/tables.h"

namespace petrel::acpi {

inline constexpr uint8_t kMcfgRevision = 1;
// PCI Firmware 3.2 Table 4-2/4-3: 8 reserved bytes after the header, then
// 16-byte allocation structures: base address (8), segment group (2), start
// bus (1), end bus (1), reserved (4).
inline constexpr size_t kMcfgAllocations = 44;
inline constexpr size_t kMcfgAllocationSize = 16;

std::vector<uint8_t> BuildMcfg(const PciHostConfig& pci);

}  // namespace petrel::acpi
