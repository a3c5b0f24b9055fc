// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VIOT table builder (see viot.h).
#include "core/acpi/viot.h"

#include "core/acpi/sdt.h"

namespace petrel::acpi {

std::vector<uint8_t> BuildViot(uint16_t iommu_bdf, std::span<const uint16_t> endpoint_bdfs) {
  const size_t size =
      kViotFirstNode + kViotVirtioPciSize + kViotPciRangeSize * endpoint_bdfs.size();
  Sdt t("VIOT", kViotRevision, "PTVIOT", size - kSdtHeaderSize);
  t.Put16(kViotNodeCount, static_cast<uint16_t>(endpoint_bdfs.size() + 1));
  t.Put16(kViotNodeOffset, kViotFirstNode);
  // The IOMMU's node first: the range nodes point at it.
  size_t at = kViotFirstNode;
  t.Put8(at + kViotNodeType, kViotNodeVirtioPci);
  t.Put16(at + kViotNodeLength, kViotVirtioPciSize);
  t.Put16(at + kViotVirtioPciSegment, 0);
  t.Put16(at + kViotVirtioPciBdf, iommu_bdf);
  at += kViotVirtioPciSize;
  for (uint16_t bdf : endpoint_bdfs) {
    t.Put8(at + kViotNodeType, kViotNodePciRange);
    t.Put16(at + kViotNodeLength, kViotPciRangeSize);
    t.Put32(at + kViotRangeEndpointStart, bdf);
    t.Put16(at + kViotRangeSegmentStart, 0);
    t.Put16(at + kViotRangeSegmentEnd, 0);
    t.Put16(at + kViotRangeBdfStart, bdf);
    t.Put16(at + kViotRangeBdfEnd, bdf);
    t.Put16(at + kViotRangeOutputNode, kViotFirstNode);
    at += kViotPciRangeSize;
  }
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
