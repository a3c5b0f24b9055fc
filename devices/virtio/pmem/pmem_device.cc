// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemDevice: the virtio persistent memory device (virtio 1.2 §5.19).
#include "devices/virtio/pmem/pmem_device.h"

#include <sys/syscall.h>

#include <algorithm>

#include "core/base/bytes.h"
#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {

isolation::SyscallRules PmemDevice::WorkerSyscalls() const {
  return isolation::SyscallRules{SYS_fsync};
}

void PmemDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  uint8_t config[kPmemConfigBytes];
  StoreLe<uint64_t>(config, kPmemConfigStart, start_);
  StoreLe<uint64_t>(config, kPmemConfigSize, size_);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < kPmemConfigBytes ? config[offset + i] : 0;
  }
}

void PmemDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

Result<void> PmemDevice::Activate(VirtioContext& context) {
  context_ = &context;
  failed_ = false;
  return Ok();
}

void PmemDevice::Reset() {
  context_ = nullptr;
  failed_ = false;
}

std::map<std::string, uint64_t> PmemDevice::Counters() const {
  return {{"flushes", flushes_.load(std::memory_order_relaxed)},
          {"flush_errors", flush_errors_.load(std::memory_order_relaxed)}};
}

Result<void> PmemDevice::Restore(const PmemDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-pmem: restore into an active device is unsupported");
  }
  if (state.start != start_ || state.size != size_) {
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-pmem: the snapshot has its memory at " + std::to_string(state.start) + " (" +
                     std::to_string(state.size) + " bytes), this device at " +
                     std::to_string(start_) + " (" + std::to_string(size_) + " bytes)");
  }
  return Ok();
}

void PmemDevice::QueueNotified(uint16_t index) {
  ServeNotifiedQueue(context_, failed_, "virtio-pmem", index, kPmemQueueCount,
                     [&](SplitQueue& queue) { return Serve(queue); });
}

Result<void> PmemDevice::Serve(SplitQueue& queue) {
  return ServeChains(*context_, 0, queue, [&](const DescriptorChain& chain) -> Result<void> {
    // §5.19.6: the request (le32 type) is device-readable, the response
    // (le32 ret) device-writable.
    if (chain.readable_len < 4 || chain.writable_len < 4) {
      return Error(ErrorCode::kMalformed,
                   "a request needs a 4-byte type and a 4-byte response (readable " +
                       std::to_string(chain.readable_len) + ", writable " +
                       std::to_string(chain.writable_len) + ")");
    }
    ChainReader in(context_->memory(), chain);
    uint8_t type_bytes[4];
    PETREL_TRY(in.Read(type_bytes));
    const uint32_t type = LoadLe<uint32_t>(type_bytes, 0);
    uint32_t ret = kPmemRespEio;
    if (type == kPmemReqTypeFlush) {
      flushes_.fetch_add(1, std::memory_order_relaxed);
      if (Result<void> flushed = flush_ ? flush_() : Ok(); flushed.ok()) {
        ret = kPmemRespOk;
      } else {
        flush_errors_.fetch_add(1, std::memory_order_relaxed);
        PETREL_LOG_ONCE(kError, "virtio-pmem-flush") << "virtio-pmem: flush: " << flushed.error().message();
      }
    } else {
      PETREL_LOG_ONCE(kWarn, "virtio-pmem-type") << "virtio-pmem: unknown request type " << type;
    }
    uint8_t resp[4];
    StoreLe<uint32_t>(resp, 0, ret);
    ChainWriter out(context_->memory(), chain);
    PETREL_TRY(out.Write(resp));
    return queue.AddUsed(chain.head, out.written());
  });
}

}  // namespace petrel::virtio
