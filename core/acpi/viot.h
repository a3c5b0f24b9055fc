// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The VIOT table (Virtual I/O Translation table, ACPI 6.5 §5.2.32 "VIOT"):
// tells the guest which PCI devices a paravirtualized IOMMU translates, and
// where that IOMMU is. Petrel describes one virtio-pci IOMMU node and one
// PCI range node per device behind it, as Cloud Hypervisor does; a device's
// endpoint id (what the guest's virtio-iommu driver names it by in ATTACH
// and PROBE) is its BDF (bus << 8 | device << 3 | function) on segment 0.
// Linux's drivers/acpi/viot.c reads it and defers the devices' probe until
// the virtio-iommu driver is up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace petrel::acpi {

// §5.2.32 Table 5.179: after the header, u16 node count, u16 offset of the
// first node, 8 reserved bytes; the nodes start at 48.
inline constexpr size_t kViotNodeCount = 36;
inline constexpr size_t kViotNodeOffset = 38;
inline constexpr size_t kViotFirstNode = 48;
inline constexpr uint8_t kViotRevision = 0;
// §5.2.32.1 node types and sizes.
inline constexpr uint8_t kViotNodePciRange = 1;
inline constexpr uint8_t kViotNodeVirtioPci = 3;
inline constexpr size_t kViotPciRangeSize = 24;
inline constexpr size_t kViotVirtioPciSize = 16;
// Node field offsets (from the node's start). PCI range (Table 5.181):
// u32 endpoint start, u16 segment start, u16 segment end, u16 BDF start,
// u16 BDF end, u16 output node (table offset of the IOMMU's node).
inline constexpr size_t kViotNodeType = 0;
inline constexpr size_t kViotNodeLength = 2;
inline constexpr size_t kViotRangeEndpointStart = 4;
inline constexpr size_t kViotRangeSegmentStart = 8;
inline constexpr size_t kViotRangeSegmentEnd = 10;
inline constexpr size_t kViotRangeBdfStart = 12;
inline constexpr size_t kViotRangeBdfEnd = 14;
inline constexpr size_t kViotRangeOutputNode = 16;
// virtio-pci IOMMU (Table 5.183): u16 segment, u16 BDF.
inline constexpr size_t kViotVirtioPciSegment = 4;
inline constexpr size_t kViotVirtioPciBdf = 6;

// The VIOT for a virtio-iommu at PCI `iommu_bdf` translating the devices at
// `endpoint_bdfs` (all on segment 0); checksum set.
std::vector<uint8_t> BuildViot(uint16_t iommu_bdf, std::span<const uint16_t> endpoint_bdfs);

}  // namespace petrel::acpi
