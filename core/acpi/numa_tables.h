// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The guest NUMA tables: the SRAT (System Resource Affinity Table, ACPI 6.5
// §5.2.16), which puts memory ranges and processors in proximity domains, and
// the SLIT (System Locality Information Table, §5.2.17), the distance matrix
// between those domains. Both are built from one list of NumaNode, as Cloud
// Hypervisor builds them from its --numa nodes.
//
// SRAT: per node (in proximity domain order) one Memory Affinity structure
// per memory range, then one Processor Local x2APIC Affinity structure per
// APIC id (x2APIC structures for every id, as Cloud Hypervisor).
// SLIT: locality i is proximity domain i (§5.2.17), so the domains must be
// 0..N-1; entry (i, j) is 10 on the diagonal, else the distance node i gives
// to j, else the one j gives to i, else 20 (Cloud Hypervisor's default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/base/result.h"

namespace petrel::acpi {

// A guest-physical range [base, base + size) of one node.
struct NumaMemoryRange {
  uint64_t base = 0;
  uint64_t size = 0;
  bool hotpluggable = false;  // a hot-plug area (SRAT Hot Pluggable flag)
};

struct NumaNode {
  uint32_t proximity_domain = 0;
  std::vector<NumaMemoryRange> memory;
  std::vector<uint32_t> apic_ids;  // the node's processors, by (x2)APIC id
  // Destination proximity domain -> distance (SLIT units, 10 = local). A
  // distance to the node itself is ignored (the diagonal is always 10).
  std::vector<std::pair<uint32_t, uint8_t>> distances;
};

// Named cap on the node count: the SLIT holds N*N bytes, and Linux ignores
// proximity domains from 256 on (MAX_PXM_DOMAINS, include/acpi/acpi_numa.h).
inline constexpr size_t kMaxNumaNodes = 256;

// ACPI 6.5 §5.2.16: SRAT revision 3; after the header 4 bytes "reserved to
// be 1 for backward compatibility" (QEMU and firmware write 1, Cloud
// Hypervisor 0; iasl shows them as "Table Revision"), then 8 reserved bytes.
inline constexpr uint8_t kSratRevision = 3;
inline constexpr size_t kSratLegacyReserved = 36;  // u32, value 1
inline constexpr uint32_t kSratLegacyReservedValue = 1;
inline constexpr size_t kSratEntries = 48;
// §5.2.16.2 Memory Affinity structure, type 1, 40 bytes:
// type, length, proximity domain (4, offset 2), reserved (2), base (8,
// offset 8), length (8, offset 16), reserved (4), flags (4, offset 28),
// reserved (8).
inline constexpr uint8_t kSratMemoryAffinity = 1;
inline constexpr size_t kSratMemoryAffinitySize = 40;
// §5.2.16.2 Memory Affinity flags.
inline constexpr uint32_t kSratMemoryEnabled = 1u << 0;
inline constexpr uint32_t kSratMemoryHotPluggable = 1u << 1;
// §5.2.16.3 Processor Local x2APIC Affinity structure, type 2,
// 24 bytes: type, length, reserved (2), proximity domain (4, offset 4),
// x2APIC id (4, offset 8), flags (4, offset 12), clock domain (4), reserved (4).
inline constexpr uint8_t kSratX2ApicAffinity = 2;
inline constexpr size_t kSratX2ApicAffinitySize = 24;
// §5.2.16.3 x2APIC Affinity flags (as the Local APIC Affinity's, §5.2.16.1).
inline constexpr uint32_t kSratProcessorEnabled = 1u << 0;

// ACPI 6.5 §5.2.17: SLIT revision 1; Number of System Localities
// (u64) after the header, then the N*N entries, row i = from locality i.
inline constexpr uint8_t kSlitRevision = 1;
inline constexpr size_t kSlitLocalityCount = 36;
inline constexpr size_t kSlitEntries = 44;
// §5.2.17: 10 is a locality's distance to itself, 0-9 are reserved, 255
// means unreachable (not accepted here).
inline constexpr uint8_t kLocalDistance = 10;
inline constexpr uint8_t kMaxRemoteDistance = 254;
// Cloud Hypervisor's distance between two nodes when neither gives one.
inline constexpr uint8_t kDefaultRemoteDistance = 20;

// Checks the nodes: 1..kMaxNumaNodes of them, proximity domains exactly
// 0..N-1 (in any order), each distance's destination an existing node and
// (unless it is the node itself) 10..254, no destination given twice by a
// node, memory ranges non-empty, not wrapping and not overlapping, and no
// APIC id in two nodes.
Result<void> ValidateNumaNodes(std::span<const NumaNode> nodes);

// Validates the nodes; the SLIT's N*N matrix, row-major, row i = from
// proximity domain i.
Result<std::vector<uint8_t>> NumaDistanceMatrix(std::span<const NumaNode> nodes);

struct NumaTables {
  std::vector<uint8_t> srat, slit;  // finished tables (length, checksum)
};
// Validates the nodes and builds both tables.
Result<NumaTables> BuildNumaTables(std::span<const NumaNode> nodes);

}  // namespace petrel::acpi
