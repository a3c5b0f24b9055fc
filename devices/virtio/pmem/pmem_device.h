// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemDevice: the virtio persistent memory device (virtio 1.2 §5.19).
//
// The memory itself is not the device's business: the VMM maps the file
// (PmemBacking) at `start` with hv::Vm::MapDeviceMemory and the guest reads
// and writes it directly. The device tells the driver where it is (config
// space: start, size) and serves one request queue of flushes, answering
// each once `flush` has put the file's data on stable storage.
//
//   auto pmem = std::make_shared<PmemDevice>(gpa, backing->size(),
//                                            [b = backing.get()] { return b->Flush(); });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>

#include "core/base/result.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// §5.19.1-2: device id 27, one queue ("requestq"); CH's queue size 256.
inline constexpr uint16_t kDeviceIdPmem = 27;
inline constexpr uint16_t kPmemQueueCount = 1;
inline constexpr uint16_t kPmemMaxQueueSize = 256;
// §5.19.4 struct virtio_pmem_config: le64 start, le64 size.
inline constexpr uint64_t kPmemConfigStart = 0;
inline constexpr uint64_t kPmemConfigSize = 8;
inline constexpr uint64_t kPmemConfigBytes = 16;
// §5.19.6 struct virtio_pmem_req { le32 type; } and struct virtio_pmem_resp
// { le32 ret; }.
inline constexpr uint32_t kPmemReqTypeFlush = 0;
inline constexpr uint32_t kPmemRespOk = 0;
inline constexpr uint32_t kPmemRespEio = 1;

// Snapshot state: where the memory is (the file itself is the user's). A
// restore checks the device it is restored into has the same.
struct PmemDeviceState {
  uint64_t start = 0;
  uint64_t size = 0;
  bool operator==(const PmemDeviceState&) const = default;
};

class PmemDevice final : public VirtioDevice {
 public:
  // `flush` runs on the device's worker for each flush request.
  using Flush = std::function<Result<void>()>;
  PmemDevice(uint64_t start, uint64_t size, Flush flush)
      : start_(start), size_(size), flush_(std::move(flush)) {}

  uint16_t device_type() const override { return kDeviceIdPmem; }
  // fsync(2) of the file.
  isolation::SyscallRules WorkerSyscalls() const override;
  uint64_t device_features() const override { return 0; }  // §5.19.3: none
  uint16_t queue_count() const override { return kPmemQueueCount; }
  uint16_t max_queue_size() const override { return kPmemMaxQueueSize; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  // §5.19.4: the configuration is read-only; writes are ignored.
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;
  std::map<std::string, uint64_t> Counters() const override;

  uint64_t start() const { return start_; }
  uint64_t size() const { return size_; }

  PmemDeviceState Save() const { return {start_, size_}; }
  // Into a device that is not active with the same start and size (the VMM
  // placed the memory where the snapshot had it): kBusy / kInvalidArgument.
  Result<void> Restore(const PmemDeviceState& state);

 private:
  Result<void> Serve(SplitQueue& queue);

  const uint64_t start_;
  const uint64_t size_;
  Flush flush_;
  VirtioContext* context_ = nullptr;
  bool failed_ = false;
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> flush_errors_{0};
};

}  // namespace petrel::virtio
