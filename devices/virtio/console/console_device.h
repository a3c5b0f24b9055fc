// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ConsoleDevice: the virtio console device (virtio 1.2 §5.3) with a single
// port and no multiport (so no control queues): receiveq0 carries host input
// to the guest, transmitq0 carries guest output to a byte sink. Offers
// VIRTIO_CONSOLE_F_SIZE with settable cols/rows.
//
//   auto dev = std::make_unique<ConsoleDevice>(
//       [out](std::span<const uint8_t> b) { out->Write(b); }, ConsoleSize{80, 25});
//   out->AttachInput(loop, [d = dev.get()](std::span<const uint8_t> b) { d->QueueInput(b); });
//
// Output: on a transmitq doorbell every available chain's readable bytes go
// to the sink (on the loop thread), and the chain is returned with length 0.
// Input: QueueInput() buffers up to kConsoleMaxPendingInput bytes (the rest
// is dropped and counted) and posts a delivery to the loop, which fills
// receiveq buffers; a receiveq doorbell and Activate() also deliver. Input
// that arrives before activation waits in the buffer.
// Reset(): drops the activation (queues, context, failed state) but KEEPS the
// buffered input and the size, so keys typed while the guest reboots reach
// the next driver.
// Malformed chains (a device-writable buffer in transmitq, a device-readable
// buffer or no writable space in receiveq, a broken ring) call
// context.Fail(); the device then ignores the queues until Reset().
//
// Threads: QueueInput, SetSize, size, pending_input, stats, Save, Restore,
// ReadConfig and WriteConfig may be called from any thread; the other
// VirtioDevice calls come from the loop thread (virtio_device.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "devices/virtio/console/console_spec.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

inline constexpr uint16_t kConsoleMaxQueueSize = 256;
// Host input held for the guest while it has no receive buffers (or before
// activation); bytes beyond it are dropped and counted.
inline constexpr size_t kConsoleMaxPendingInput = 64 * 1024;
// Readable bytes of one transmitq chain passed to the sink at most (the guest
// chooses chain lengths, up to 4 GiB); the rest is skipped and counted.
inline constexpr uint32_t kConsoleMaxTxBytesPerChain = 64 * 1024;

// Where guest output goes (e.g. vmm::ConsoleOutput::Write). Runs on the loop thread.
using ConsoleOutputSink = std::function<void(std::span<const uint8_t>)>;

// §5.3.4 cols and rows.
struct ConsoleSize {
  uint16_t cols = 0;
  uint16_t rows = 0;
  bool operator==(const ConsoleSize&) const = default;
};

struct ConsoleStats {
  uint64_t output_bytes = 0;          // passed to the sink
  uint64_t output_bytes_dropped = 0;  // beyond kConsoleMaxTxBytesPerChain
  uint64_t input_bytes = 0;           // written into receiveq buffers
  uint64_t input_bytes_dropped = 0;   // beyond kConsoleMaxPendingInput
};

// Plain snapshot state (no guest memory, no queue state: the transport saves those).
struct ConsoleDeviceState {
  ConsoleSize size;
  std::vector<uint8_t> pending_input;  // at most kConsoleMaxPendingInput bytes
  bool operator==(const ConsoleDeviceState&) const = default;
};

class ConsoleDevice final : public VirtioDevice {
 public:
  // A null `output` discards guest output.
  explicit ConsoleDevice(ConsoleOutputSink output, ConsoleSize size = {});
  ~ConsoleDevice() override;
  ConsoleDevice(const ConsoleDevice&) = delete;
  ConsoleDevice& operator=(const ConsoleDevice&) = delete;

  uint16_t device_type() const override { return kDeviceIdConsole; }
  // None of its own: the output callback's needs are its owner's to add.
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return FeatureBit(kConsoleFSize); }
  uint16_t queue_count() const override { return kConsoleQueueCount; }
  uint16_t max_queue_size() const override { return kConsoleMaxQueueSize; }
  // §5.3.4 struct virtio_console_config (12 bytes); max_nr_ports reads 1.
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  // Ignored: cols/rows/max_nr_ports are read-only and EMERG_WRITE is not offered.
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;

  // Host input for the guest (thread-safe). Buffered; delivered from the loop.
  void QueueInput(std::span<const uint8_t> bytes);
  // Sets cols/rows (thread-safe). If they changed while active with
  // VIRTIO_CONSOLE_F_SIZE negotiated, a config-change interrupt follows
  // (posted to the loop).
  void SetSize(ConsoleSize size);
  ConsoleSize size() const;
  // Input bytes buffered, not yet given to the guest.
  size_t pending_input() const;
  ConsoleStats stats() const;

  ConsoleDeviceState Save() const;
  // Into a device that is not active (freshly created, before the
  // transport's Restore posts Activate): kBusy otherwise. kInvalidArgument
  // (state unchanged) if pending_input exceeds the cap.
  Result<void> Restore(const ConsoleDeviceState& state);

 private:
  // Loop thread: fills receiveq buffers from the input buffer.
  void DeliverInput();
  Result<void> FillReceiveBuffers(SplitQueue& queue, bool& used);
  // Loop thread: drains transmitq into the sink.
  Result<void> DrainTransmit(SplitQueue& queue, bool& used);
  void FailWith(const Error& error);
  // Posts `fn` to the active loop, guarded against the device's destruction.
  // Caller holds mu_.
  void PostLocked(std::function<void(ConsoleDevice&)> fn);

  const ConsoleOutputSink output_;
  // Loop-thread state.
  VirtioContext* context_ = nullptr;
  uint64_t features_ = 0;
  bool failed_ = false;
  // Shared state.
  mutable std::mutex mu_;
  EventLoop* loop_ = nullptr;  // the active context's loop, for Post()
  bool input_post_pending_ = false;
  std::deque<uint8_t> input_;
  ConsoleSize size_;
  ConsoleStats stats_;
  // Posted handlers hold a weak_ptr to this and do nothing once it expired.
  std::shared_ptr<ConsoleDevice*> alive_;
};

}  // namespace petrel::virtio
