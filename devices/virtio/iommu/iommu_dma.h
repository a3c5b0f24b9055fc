// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuEndpointDma: the DmaTranslator of one device behind a virtio-iommu:
// its DMA goes through the mappings of the domain its endpoint (PCI
// requester id) is attached to, and a fault is reported to the IOMMU's
// fault queue, with the faulting address, before the device is told.
// Holds the mappings and the queue by shared_ptr: a device behind the
// IOMMU never outlives what it translates through.
#pragma once

#include <cstdint>
#include <memory>

#include "devices/virtio/dma_translator.h"
#include "devices/virtio/iommu/iommu_faults.h"
#include "devices/virtio/iommu/iommu_mappings.h"

namespace petrel::virtio {

class IommuEndpointDma final : public DmaTranslator {
 public:
  IommuEndpointDma(std::shared_ptr<const IommuMappings> mappings,
                   std::shared_ptr<IommuFaultQueue> faults, uint32_t endpoint)
      : mappings_(std::move(mappings)), faults_(std::move(faults)), endpoint_(endpoint) {}

  Result<DmaExtent> Translate(uint64_t iova, uint64_t len, DmaAccess access) const override;
  uint32_t endpoint() const { return endpoint_; }

 private:
  const std::shared_ptr<const IommuMappings> mappings_;
  const std::shared_ptr<IommuFaultQueue> faults_;
  const uint32_t endpoint_;
};

}  // namespace petrel::virtio
