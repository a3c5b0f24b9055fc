// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuDevice: config space and the request queue (see iommu_device.h).
#include "devices/virtio/iommu/iommu_device.h"

#include <algorithm>
#include <array>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/iommu/iommu_dma.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {

namespace {

constexpr uint32_t kLargestRequest = kIommuProbeBytes;

}  // namespace

void IommuDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  std::array<uint8_t, kIommuConfigBytes> cfg{};
  const IommuMappings::Limits& l = mappings_->limits();
  StoreLe<uint64_t>(cfg, kIommuCfgPageSizeMask, ~(l.page_size - 1));
  StoreLe<uint64_t>(cfg, kIommuCfgInputStart, 0);
  StoreLe<uint64_t>(cfg, kIommuCfgInputEnd, l.input_end);
  StoreLe<uint32_t>(cfg, kIommuCfgDomainStart, 0);
  StoreLe<uint32_t>(cfg, kIommuCfgDomainEnd, l.domain_end);
  StoreLe<uint32_t>(cfg, kIommuCfgProbeSize, kIommuProbeSize);
  cfg[kIommuCfgBypass] = mappings_->bypass_unattached() ? 1 : 0;
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < cfg.size() ? cfg[offset + i] : 0;
  }
}

void IommuDevice::WriteConfig(uint64_t offset, std::span<const uint8_t> data) {
  if (offset <= kIommuCfgBypass && offset + data.size() > kIommuCfgBypass) {
    mappings_->SetBypassUnattached((data[kIommuCfgBypass - offset] & 1) != 0);
  }
}

std::shared_ptr<DmaTranslator> IommuDevice::DmaFor(uint32_t endpoint) const {
  return std::make_shared<IommuEndpointDma>(mappings_, faults_, endpoint);
}

Result<void> IommuDevice::Activate(VirtioContext& context) {
  context_ = &context;
  failed_ = false;
  // A fault reported from another device's thread is delivered on this
  // device's loop. The posted call runs on the loop that Reset() runs on,
  // before the device can be destroyed (its worker stops first).
  EventLoop* loop = &context.queue_loop(kIommuEventQueue);
  faults_->SetWaker([this, loop] {
    (void)loop->Post([this] { QueueNotified(kIommuEventQueue); });
  });
  return Ok();
}

void IommuDevice::Reset() {
  faults_->SetWaker(nullptr);
  faults_->Clear();
  context_ = nullptr;
  failed_ = false;
  mappings_->Clear();
}

void IommuDevice::QueueNotified(uint16_t index) {
  ServeNotifiedQueue(context_, failed_, "virtio-iommu", index, kIommuQueueCount,
                     [&](SplitQueue& queue) {
                       return index == kIommuRequestQueue ? Serve(queue) : DeliverFaults();
                     });
}

Result<void> IommuDevice::DeliverFaults() {
  SplitQueue& queue = context_->queue(kIommuEventQueue);
  while (!faults_->empty()) {
    PETREL_ASSIGN_OR_RETURN(std::optional<DescriptorChain> chain, queue.Pop());
    if (!chain) return Ok();  // the rest wait for the driver's next buffers
    if (chain->writable_len < kIommuFaultBytes)
      return Error(ErrorCode::kMalformed, "an event buffer of " +
                                              std::to_string(chain->writable_len) +
                                              " writable bytes, short of a fault's 24");
    const std::optional<IommuFault> fault = faults_->Take();
    if (!fault) return queue.AddUsed(chain->head, 0);  // cannot happen: one loop takes
    ChainWriter out(context_->memory(), *chain);
    PETREL_TRY(out.Write(fault->Encode()));
    PETREL_TRY(queue.AddUsed(chain->head, out.written()));
    faults_delivered_.fetch_add(1, std::memory_order_relaxed);
  }
  return Ok();
}

uint8_t IommuDevice::Handle(std::span<const uint8_t> req, std::span<uint8_t> properties) {
  if (req.size() < 4) return kIommuStatusInval;
  const uint8_t type = req[0];
  auto needs = [&](uint32_t bytes) { return req.size() >= bytes; };
  switch (type) {
    case kIommuReqAttach:
      if (!needs(kIommuAttachBytes)) return kIommuStatusInval;
      return mappings_->Attach(LoadLe<uint32_t>(req, 4), LoadLe<uint32_t>(req, 8),
                               LoadLe<uint32_t>(req, 12));
    case kIommuReqDetach:
      if (!needs(kIommuDetachBytes)) return kIommuStatusInval;
      return mappings_->Detach(LoadLe<uint32_t>(req, 4), LoadLe<uint32_t>(req, 8));
    case kIommuReqMap:
      if (!needs(kIommuMapBytes)) return kIommuStatusInval;
      return mappings_->Map(LoadLe<uint32_t>(req, 4), LoadLe<uint64_t>(req, 8),
                            LoadLe<uint64_t>(req, 16), LoadLe<uint64_t>(req, 24),
                            LoadLe<uint32_t>(req, 32));
    case kIommuReqUnmap:
      if (!needs(kIommuUnmapBytes)) return kIommuStatusInval;
      return mappings_->Unmap(LoadLe<uint32_t>(req, 4), LoadLe<uint64_t>(req, 8),
                              LoadLe<uint64_t>(req, 16));
    case kIommuReqProbe: {
      if (!needs(kIommuProbeBytes) || properties.size() < kIommuProbeSize) {
        return kIommuStatusInval;
      }
      if (!mappings_->Knows(LoadLe<uint32_t>(req, 4))) return kIommuStatusNoEnt;
      // §5.13.6.8.2: {le16 type, le16 length} then struct
      // virtio_iommu_probe_resv_mem {u8 subtype; u8 reserved[3]; le64 start;
      // le64 end}; the zeroed rest is the NONE terminator.
      std::fill(properties.begin(), properties.end(), 0);
      StoreLe<uint16_t>(properties, 0, kIommuProbeTResvMem);
      StoreLe<uint16_t>(properties, 2, 20);
      properties[4] = kIommuResvMemMsi;
      StoreLe<uint64_t>(properties, 8, kIommuMsiStart);
      StoreLe<uint64_t>(properties, 16, kIommuMsiEnd);
      return kIommuStatusOk;
    }
    default:
      return kIommuStatusUnsupp;
  }
}

Result<void> IommuDevice::Serve(SplitQueue& queue) {
  return ServeChains(*context_, kIommuRequestQueue, queue,
                     [&](const DescriptorChain& chain) -> Result<void> {
    if (chain.writable_len < kIommuTailBytes) {
      return Error(ErrorCode::kMalformed, "a request without room for its 4-byte status (" +
                                              std::to_string(chain.writable_len) +
                                              " writable bytes)");
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    std::vector<uint8_t> req(std::min(chain.readable_len, kLargestRequest));
    ChainReader in(context_->memory(), chain);
    PETREL_TRY(in.Read(req));
    const bool probe = !req.empty() && req[0] == kIommuReqProbe;
    // PROBE's properties come before the tail, when the driver gave room.
    std::vector<uint8_t> properties;
    if (probe && chain.writable_len >= kIommuProbeSize + kIommuTailBytes) {
      properties.assign(kIommuProbeSize, 0);
    }
    const uint8_t status = Handle(req, properties);
    if (status != kIommuStatusOk) errors_.fetch_add(1, std::memory_order_relaxed);
    ChainWriter out(context_->memory(), chain);
    if (!properties.empty()) PETREL_TRY(out.Write(properties));
    const uint8_t tail[kIommuTailBytes] = {status, 0, 0, 0};
    PETREL_TRY(out.Write(tail));
    return queue.AddUsed(chain.head, out.written());
  });
}

std::map<std::string, uint64_t> IommuDevice::Counters() const {
  return {{"requests", requests_.load(std::memory_order_relaxed)},
          {"errors", errors_.load(std::memory_order_relaxed)},
          {"mappings", mappings_->mapping_count()},
          {"faults", faults_->reported()},
          {"faults_delivered", faults_delivered_.load(std::memory_order_relaxed)}};
}

}  // namespace petrel::virtio
