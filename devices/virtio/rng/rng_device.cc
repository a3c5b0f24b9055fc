// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RngDevice: the virtio entropy device (virtio 1.2 §5.4).
#include "devices/virtio/rng/rng_device.h"

#include <algorithm>
#include <vector>

#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {

Result<std::unique_ptr<RngDevice>> RngDevice::Create(const RngConfig& config) {
  PETREL_TRY(Validate(config).Wrap("virtio-rng"));
  PETREL_ASSIGN_OR_RETURN(EntropySource source, FileEntropySource(config.src).Wrap("virtio-rng"));
  return std::make_unique<RngDevice>(std::move(source));
}

void RngDevice::ReadConfig(uint64_t /*offset*/, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
}

void RngDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

Result<void> RngDevice::Activate(VirtioContext& context) {
  context_ = &context;
  failed_ = false;
  return Ok();
}

void RngDevice::Reset() {
  context_ = nullptr;
  failed_ = false;
}

Result<void> RngDevice::Restore(const RngDeviceState& /*state*/) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-rng: restore into an active device is unsupported");
  }
  return Ok();
}

void RngDevice::QueueNotified(uint16_t index) {
  ServeNotifiedQueue(context_, failed_, "virtio-rng", index, kRngQueueCount,
                     [&](SplitQueue& queue) { return Serve(index, queue); });
}

Result<void> RngDevice::Serve(uint16_t index, SplitQueue& queue) {
  std::vector<uint8_t> bytes;
  return ServeChains(*context_, index, queue, [&](const DescriptorChain& chain) -> Result<void> {
    // §5.4.6.1: the driver's buffers are device-writable; a request with
    // none cannot be answered.
    if (chain.writable_len == 0) {
      return Error(ErrorCode::kMalformed, "request has no writable buffer");
    }
    const uint32_t len = std::min(chain.writable_len, kRngMaxBytesPerChain);
    bytes.resize(len);
    uint32_t used = 0;
    if (Result<void> got = source_(bytes); got.ok()) {
      ChainWriter out(context_->memory(), chain);
      PETREL_TRY(out.Write(bytes));
      used = out.written();
    } else {
      // A host problem, not the driver's: return the chain empty.
      PETREL_LOG_ONCE(kWarn, "virtio-rng-source") << "virtio-rng: " << got.error().message();
    }
    return queue.AddUsed(chain.head, used);
  });
}

}  // namespace petrel::virtio
