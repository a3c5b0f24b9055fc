// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ConsoleDevice: the virtio console device (virtio 1.2 §5.3), single port.
#include "devices/virtio/console/console_device.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"

namespace petrel::virtio {
namespace {

// Bytes read from a transmitq chain per call to the sink.
constexpr size_t kTxChunk = 4096;

void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

ConsoleDevice::ConsoleDevice(ConsoleOutputSink output, ConsoleSize size)
    : output_(std::move(output)), size_(size), alive_(std::make_shared<ConsoleDevice*>(this)) {}

ConsoleDevice::~ConsoleDevice() = default;

void ConsoleDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  std::array<uint8_t, kConsoleConfigSize> config{};
  {
    std::lock_guard lock(mu_);
    PutLe16(&config[kConsoleConfigColsOffset], size_.cols);
    PutLe16(&config[kConsoleConfigRowsOffset], size_.rows);
  }
  // §5.3.4: max_nr_ports is only meaningful with MULTIPORT; one port here.
  PutLe32(&config[kConsoleConfigMaxNrPortsOffset], 1);
  // emerg_wr (offset 8) reads 0.
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    data[i] = (at >= offset && at < config.size()) ? config[at] : 0;
  }
}

void ConsoleDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

Result<void> ConsoleDevice::Activate(VirtioContext& context) {
  context_ = &context;
  features_ = context.features();
  failed_ = false;
  {
    std::lock_guard lock(mu_);
    loop_ = &context.loop();
  }
  // Input that arrived before activation (or across a reset).
  DeliverInput();
  return Ok();
}

void ConsoleDevice::Reset() {
  context_ = nullptr;
  features_ = 0;
  failed_ = false;
  std::lock_guard lock(mu_);
  loop_ = nullptr;
  // input_ and size_ are kept on purpose (see the header).
}

void ConsoleDevice::QueueNotified(uint16_t index) {
  if (context_ == nullptr || failed_) return;
  if (index == kConsoleReceiveQueue) {
    DeliverInput();
    return;
  }
  if (index != kConsoleTransmitQueue) return;
  SplitQueue& queue = context_->queue(index);
  if (!queue.ready()) return;
  bool used = false;
  Result<void> r = DrainTransmit(queue, used);
  // Chains completed before an error are still handed back.
  if (used) context_->SignalUsed(index);
  if (!r.ok()) FailWith(r.error());
}

Result<void> ConsoleDevice::DrainTransmit(SplitQueue& queue, bool& used) {
  std::array<uint8_t, kTxChunk> buf;
  for (uint32_t n = 0;; ++n) {
    if (n == kMaxChainsPerTurn) {
      context_->NotifyAgain(kConsoleTransmitQueue);
      return Ok();
    }
    PETREL_ASSIGN_OR_RETURN(auto chain, queue.Pop());
    if (!chain) return Ok();
    // §5.3.6.1: "The driver MUST NOT put a device-writable buffer in a transmitq."
    if (chain->writable_len != 0) {
      return Error(ErrorCode::kMalformed, "transmitq chain has a device-writable buffer");
    }
    ChainReader in(context_->memory(), *chain);
    uint32_t budget = std::min(chain->readable_len, kConsoleMaxTxBytesPerChain);
    uint64_t sent = 0;
    while (budget > 0) {
      const size_t want = std::min<size_t>(budget, buf.size());
      PETREL_ASSIGN_OR_RETURN(size_t got, in.ReadSome(std::span<uint8_t>(buf.data(), want)));
      if (got == 0) break;
      if (output_) output_(std::span<const uint8_t>(buf.data(), got));
      budget -= static_cast<uint32_t>(got);
      sent += got;
    }
    const uint64_t dropped = chain->readable_len - sent;
    if (dropped > 0) {
      PETREL_LOG_ONCE(kWarn, "virtio-console-tx-cap")
          << "virtio-console: transmit chain longer than " << kConsoleMaxTxBytesPerChain
          << " bytes; dropping the rest";
    }
    {
      std::lock_guard lock(mu_);
      stats_.output_bytes += sent;
      stats_.output_bytes_dropped += dropped;
    }
    // The device wrote nothing into the chain (§2.7.8 used len).
    PETREL_TRY(queue.AddUsed(chain->head, 0));
    used = true;
  }
}

void ConsoleDevice::DeliverInput() {
  if (context_ == nullptr || failed_) return;
  SplitQueue& queue = context_->queue(kConsoleReceiveQueue);
  if (!queue.ready()) return;
  bool used = false;
  Result<void> r = FillReceiveBuffers(queue, used);
  if (used) context_->SignalUsed(kConsoleReceiveQueue);
  if (!r.ok()) FailWith(r.error());
}

Result<void> ConsoleDevice::FillReceiveBuffers(SplitQueue& queue, bool& used) {
  std::vector<uint8_t> chunk;
  std::lock_guard lock(mu_);
  // Pop only while there is input: a popped chain must be filled and returned.
  for (uint32_t chains = 0; !input_.empty(); ++chains) {
    if (chains == kMaxChainsPerTurn) {  // one-byte chains: the rest on a later turn
      context_->NotifyAgain(kConsoleReceiveQueue);
      return Ok();
    }
    PETREL_ASSIGN_OR_RETURN(auto chain, queue.Pop());
    if (!chain) return Ok();
    // §5.3.6.1: "The driver MUST NOT put a device-readable in a receiveq."
    if (chain->readable_len != 0) {
      return Error(ErrorCode::kMalformed, "receiveq chain has a device-readable buffer");
    }
    if (chain->writable_len == 0) {
      return Error(ErrorCode::kMalformed, "receiveq chain has no writable buffer");
    }
    const size_t n = std::min<size_t>(input_.size(), chain->writable_len);
    chunk.assign(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
    ChainWriter out(context_->memory(), *chain);
    PETREL_TRY(out.Write(chunk));
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
    stats_.input_bytes += n;
    PETREL_TRY(queue.AddUsed(chain->head, out.written()));
    used = true;
  }
  return Ok();
}

void ConsoleDevice::FailWith(const Error& error) {
  failed_ = true;
  PETREL_LOG_ONCE(kWarn, "virtio-console-fail") << "virtio-console: " << error.message();
  context_->Fail("virtio-console: " + error.message());
}

void ConsoleDevice::PostLocked(std::function<void(ConsoleDevice&)> fn) {
  std::weak_ptr<ConsoleDevice*> weak = alive_;
  Result<void> r = loop_->Post([weak = std::move(weak), fn = std::move(fn)] {
    if (std::shared_ptr<ConsoleDevice*> self = weak.lock()) fn(**self);
  });
  if (!r.ok()) {
    PETREL_LOG_ONCE(kWarn, "virtio-console-post") << "virtio-console: " << r.error().message();
  }
}

void ConsoleDevice::QueueInput(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  std::lock_guard lock(mu_);
  const size_t room = kConsoleMaxPendingInput - input_.size();
  const size_t take = std::min(room, bytes.size());
  input_.insert(input_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
  if (take < bytes.size()) {
    stats_.input_bytes_dropped += bytes.size() - take;
    PETREL_LOG_ONCE(kWarn, "virtio-console-input-cap")
        << "virtio-console: input buffer full (" << kConsoleMaxPendingInput
        << " bytes); dropping input";
  }
  if (loop_ != nullptr && !input_post_pending_ && take > 0) {
    input_post_pending_ = true;
    PostLocked([](ConsoleDevice& self) {
      {
        std::lock_guard inner(self.mu_);
        self.input_post_pending_ = false;
      }
      self.DeliverInput();
    });
  }
}

void ConsoleDevice::SetSize(ConsoleSize size) {
  std::lock_guard lock(mu_);
  if (size == size_) return;
  size_ = size;
  if (loop_ == nullptr) return;
  // §2.5.1 / §5.3.4: the driver rereads cols/rows on a config change.
  PostLocked([](ConsoleDevice& self) {
    if (self.context_ != nullptr && !self.failed_ &&
        (self.features_ & FeatureBit(kConsoleFSize)) != 0) {
      self.context_->SignalConfigChange();
    }
  });
}

ConsoleSize ConsoleDevice::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

size_t ConsoleDevice::pending_input() const {
  std::lock_guard lock(mu_);
  return input_.size();
}

ConsoleStats ConsoleDevice::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

ConsoleDeviceState ConsoleDevice::Save() const {
  std::lock_guard lock(mu_);
  return ConsoleDeviceState{size_, std::vector<uint8_t>(input_.begin(), input_.end())};
}

Result<void> ConsoleDevice::Restore(const ConsoleDeviceState& state) {
  if (state.pending_input.size() > kConsoleMaxPendingInput) {
    return Error(ErrorCode::kInvalidArgument, "virtio-console: restored input exceeds the cap");
  }
  std::lock_guard lock(mu_);
  if (loop_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-console: restore into an active device is unsupported");
  }
  size_ = state.size;
  input_.assign(state.pending_input.begin(), state.pending_input.end());
  return Ok();
}

}  // namespace petrel::virtio
