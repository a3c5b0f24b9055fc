// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuEndpointDma (see iommu_dma.h).
#include "devices/virtio/iommu/iommu_dma.h"

#include <string>

#include "core/base/hex.h"

namespace petrel::virtio {

Result<DmaExtent> IommuEndpointDma::Translate(uint64_t iova, uint64_t len,
                                              DmaAccess access) const {
  const bool write = access == DmaAccess::kWrite;
  const IommuMappings::Translation t = mappings_->TranslatePrefix(endpoint_, iova, len, write);
  if (t.len != 0) return DmaExtent{.gpa = t.gpa, .len = t.len};
  faults_->Report({.reason = t.fault_reason,
                   .flags = (write ? kIommuFaultFlagWrite : kIommuFaultFlagRead) |
                            kIommuFaultFlagAddress,
                   .endpoint = endpoint_,
                   .address = iova});
  return Error(ErrorCode::kOutOfRange, std::string("IOMMU fault: endpoint ") + Hex(endpoint_) +
                                           (write ? " writing " : " reading ") + Hex(iova) +
                                           (t.fault_reason == kIommuFaultReasonDomain
                                                ? " while in no domain"
                                                : ", which no mapping allows"));
}

}  // namespace petrel::virtio
