// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockDevice: the virtio socket device (see the header).
#include "devices/virtio/vsock/vsock_device.h"

#include <sys/syscall.h>

#include <algorithm>

#include "core/base/log.h"

namespace petrel::virtio {

Result<std::unique_ptr<VsockDevice>> VsockDevice::Create(const VsockConfig& config) {
  PETREL_TRY(Validate(config).Wrap("virtio-vsock"));
  PETREL_ASSIGN_OR_RETURN(auto muxer,
                          VsockMuxer::Create(config.socket, config.cid).Wrap("virtio-vsock"));
  return std::unique_ptr<VsockDevice>(new VsockDevice(config, std::move(muxer)));
}

VsockDevice::~VsockDevice() { Reset(); }

void VsockDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  // The cid never changes after creation: vCPU threads read it unlocked.
  uint8_t cfg[kVsockConfigSize];
  for (size_t i = 0; i < kVsockConfigSize; ++i) {
    cfg[i] = static_cast<uint8_t>(config_.cid >> (8 * i));
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    data[i] = (at >= offset && at < kVsockConfigSize) ? cfg[at] : 0;
  }
}

void VsockDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

isolation::SyscallRules VsockDevice::WorkerSyscalls() const {
  return {
      SYS_accept4,                 // host programs connecting to the socket
      SYS_socket, SYS_connect,     // guest connections to "<socket>_<port>"
      SYS_sendto,                  // send(MSG_NOSIGNAL): data and "OK <port>\n"
      SYS_shutdown,                // the guest shut its send side
      SYS_fcntl,                   // F_DUPFD_CLOEXEC: the writable watch's fd
      SYS_poll, SYS_ppoll,         // at EOF: did the host hang up entirely?
  };
}

std::map<std::string, uint64_t> VsockDevice::Counters() const {
  return {{"rx_bytes", muxer_->rx_bytes()}, {"tx_bytes", muxer_->tx_bytes()}};
}

Result<void> VsockDevice::Activate(VirtioContext& context) {
  if (context_ != nullptr) Reset();
  PETREL_TRY(muxer_->Start(context.loop(), [this] { ProcessRx(); }).Wrap("virtio-vsock activate"));
  context_ = &context;
  failed_ = false;
  paused_ = false;
  tx_stalled_ = false;
  payload_.resize(kVsockMaxPayload);
  if (!restored_.empty()) {
    muxer_->OweResets(std::move(restored_));
    restored_.clear();
  }
  return Ok();
}

void VsockDevice::Reset() {
  muxer_->Stop();
  held_rx_.reset();
  // A Restore()d state waiting for its Activate() stays.
  if (context_ != nullptr) restored_.clear();
  context_ = nullptr;
  failed_ = false;
  paused_ = false;
  tx_stalled_ = false;
  transport_reset_pending_ = false;
}

void VsockDevice::Fail(const std::string& why) {
  if (context_ == nullptr || failed_) return;
  failed_ = true;
  context_->Fail("virtio-vsock: " + why);
}

void VsockDevice::QuiesceQueueGroup(uint16_t /*group*/, std::function<void()> done) {
  paused_ = true;
  // The chain held for the next rx packet goes back empty (Linux drops a
  // used rx buffer shorter than a header and posts another), so no chain
  // is in flight across a snapshot.
  if (held_rx_ && context_ != nullptr && !failed_) {
    SplitQueue& q = context_->queue(kVsockRxQueue);
    const uint16_t head = held_rx_->head;
    held_rx_.reset();
    if (auto r = q.AddUsed(head, 0); !r.ok()) {
      Fail("rx: " + r.error().message());
    } else {
      context_->SignalUsed(kVsockRxQueue);
    }
  }
  held_rx_.reset();
  done();
}

void VsockDevice::ResumeQueueGroup(uint16_t /*group*/) {
  paused_ = false;
  if (!Running()) return;
  ProcessTx();
  ProcessRx();
  ProcessEvents();
}

void VsockDevice::QueueNotified(uint16_t index) {
  if (!Running()) return;
  switch (index) {
    case kVsockRxQueue:
      return ProcessRx();
    case kVsockTxQueue:
      ProcessTx();
      return ProcessRx();  // answers to what was sent
    case kVsockEventQueue:
      return ProcessEvents();
    default:
      return;
  }
}

void VsockDevice::SendTransportReset() {
  transport_reset_pending_ = true;
  if (context_ == nullptr) return;
  // The guest drops its connections on this event: so does the host side.
  muxer_->CloseAll();
  ProcessEvents();
}

// ---------------------------------------------------------------------------
// tx

void VsockDevice::ProcessTx() {
  if (!Running()) return;
  SplitQueue& q = context_->queue(kVsockTxQueue);
  if (!q.ready()) return;
  bool used = false;
  for (uint32_t n = 0;; ++n) {
    if (n == kMaxChainsPerTurn) {
      context_->NotifyAgain(kVsockTxQueue);
      break;
    }
    // Each packet may need an RST answer: wait for rx room first.
    if (!muxer_->CanTakeTx()) {
      tx_stalled_ = true;
      break;
    }
    auto popped = q.Pop();
    if (!popped.ok()) {
      Fail("tx queue: " + popped.error().message());
      break;
    }
    if (!popped->has_value()) break;
    const DescriptorChain& chain = **popped;
    Result<void> r = HandleTxChain(chain);
    if (r.ok()) r = q.AddUsed(chain.head, 0);
    if (!r.ok()) {
      Fail("tx: " + r.error().message());
      break;
    }
    used = true;
    if (!Running()) break;
  }
  if (used && context_ != nullptr) context_->SignalUsed(kVsockTxQueue);
}

Result<void> VsockDevice::HandleTxChain(const DescriptorChain& chain) {
  ChainReader in(context_->memory(), chain);
  if (in.remaining() < kVsockHeaderSize) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-short-tx")
        << "virtio-vsock: dropped a tx packet of " << in.remaining()
        << " bytes (shorter than its header)";
    return Ok();
  }
  VsockHeaderBytes bytes;
  PETREL_TRY(in.Read(bytes));
  const VsockHeader h = DecodeVsockHeader(bytes);
  if (h.src_cid != config_.cid || h.dst_cid != kVsockHostCid) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-cid")
        << "virtio-vsock: dropped a tx packet from cid " << h.src_cid << " to cid " << h.dst_cid
        << " (the guest is " << config_.cid << ", the host " << kVsockHostCid << ")";
    return Ok();
  }
  if (h.type != kVsockTypeStream) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-type")
        << "virtio-vsock: refused a tx packet of type " << h.type << " (only streams)";
    muxer_->Refuse(h);
    return Ok();
  }
  if (h.len > kVsockMaxPayload || h.len > in.remaining()) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-len")
        << "virtio-vsock: refused a tx packet with len " << h.len << " (" << in.remaining()
        << " bytes follow its header; at most " << kVsockMaxPayload << ")";
    muxer_->Refuse(h);
    return Ok();
  }
  std::span<uint8_t> payload;
  if (h.op == kVsockOpRw) {
    payload = std::span<uint8_t>(payload_.data(), h.len);
    PETREL_TRY(in.Read(payload));
  }
  muxer_->OnGuestPacket(h, payload);
  return Ok();
}

// ---------------------------------------------------------------------------
// rx

void VsockDevice::ProcessRx() {
  if (!Running()) return;
  SplitQueue& q = context_->queue(kVsockRxQueue);
  if (!q.ready()) return;
  bool used = false;
  for (uint32_t n = 0; muxer_->HasRx();) {
    if (!held_rx_) {
      if (n == kMaxChainsPerTurn) {
        context_->NotifyAgain(kVsockRxQueue);
        break;
      }
      auto popped = q.Pop();
      if (!popped.ok()) {
        Fail("rx queue: " + popped.error().message());
        break;
      }
      if (!popped->has_value()) break;  // the guest's next rx kick resumes
      ++n;
      const DescriptorChain& chain = **popped;
      if (chain.readable_len != 0 || chain.writable_len < kVsockHeaderSize) {
        PETREL_LOG_ONCE(kWarn, "virtio-vsock-rx-chain")
            << "virtio-vsock: an rx buffer with " << chain.readable_len << " readable and "
            << chain.writable_len << " writable bytes handed back unused";
        if (auto r = q.AddUsed(chain.head, 0); !r.ok()) {
          Fail("rx: " + r.error().message());
          break;
        }
        used = true;
        continue;
      }
      held_rx_ = std::move(**popped);
    }
    Result<bool> filled = FillRxChain();
    if (!filled.ok()) {
      Fail("rx: " + filled.error().message());
      break;
    }
    if (*filled) {
      used = true;
      continue;
    }
    // Nothing fits: a buffer with room for a header only, while only data
    // is due, goes back empty (the guest's next buffer may be larger).
    if (held_rx_->writable_len == kVsockHeaderSize && muxer_->HasRx()) {
      const uint16_t head = held_rx_->head;
      held_rx_.reset();
      if (auto r = q.AddUsed(head, 0); !r.ok()) {
        Fail("rx: " + r.error().message());
        break;
      }
      used = true;
      continue;
    }
    break;  // the muxer has nothing now; the chain waits for the next packet
  }
  if (used && context_ != nullptr) context_->SignalUsed(kVsockRxQueue);
  // Room for refusals again: take the tx chains left waiting.
  if (tx_stalled_ && Running() && muxer_->CanTakeTx()) {
    tx_stalled_ = false;
    context_->NotifyAgain(kVsockTxQueue);
  }
}

Result<bool> VsockDevice::FillRxChain() {
  const DescriptorChain& chain = *held_rx_;
  const uint32_t room = std::min(chain.writable_len - static_cast<uint32_t>(kVsockHeaderSize),
                                 kVsockMaxPayload);
  VsockHeader h;
  const std::optional<uint32_t> len =
      muxer_->NextRxPacket(std::span<uint8_t>(payload_.data(), room), h);
  if (!len) return false;
  ChainWriter out(context_->memory(), chain);
  PETREL_TRY(out.Write(EncodeVsockHeader(h)));
  PETREL_TRY(out.Write(std::span<const uint8_t>(payload_.data(), *len)));
  const uint16_t head = chain.head;
  const uint32_t written = out.written();
  held_rx_.reset();
  PETREL_TRY(context_->queue(kVsockRxQueue).AddUsed(head, written));
  return true;
}

// ---------------------------------------------------------------------------
// event

void VsockDevice::ProcessEvents() {
  if (!Running() || !transport_reset_pending_) return;
  SplitQueue& q = context_->queue(kVsockEventQueue);
  if (!q.ready()) return;
  bool used = false;
  for (uint32_t n = 0; transport_reset_pending_; ++n) {
    if (n == kMaxChainsPerTurn) {
      context_->NotifyAgain(kVsockEventQueue);
      break;
    }
    auto popped = q.Pop();
    if (!popped.ok()) {
      Fail("event queue: " + popped.error().message());
      break;
    }
    if (!popped->has_value()) break;  // waits for the guest's next buffer
    const DescriptorChain& chain = **popped;
    uint32_t written = 0;
    if (chain.readable_len == 0 && chain.writable_len >= kVsockEventSize) {
      // §5.10.6.7: struct virtio_vsock_event { le32 id; }.
      const uint8_t event[kVsockEventSize] = {
          static_cast<uint8_t>(kVsockEventTransportReset), 0, 0, 0};
      ChainWriter out(context_->memory(), chain);
      if (auto r = out.Write(event); !r.ok()) {
        Fail("event: " + r.error().message());
        break;
      }
      written = out.written();
      transport_reset_pending_ = false;
    } else {
      PETREL_LOG_ONCE(kWarn, "virtio-vsock-event-chain")
          << "virtio-vsock: an event buffer with " << chain.readable_len << " readable and "
          << chain.writable_len << " writable bytes handed back unused";
    }
    if (auto r = q.AddUsed(chain.head, written); !r.ok()) {
      Fail("event: " + r.error().message());
      break;
    }
    used = true;
  }
  if (used && context_ != nullptr) context_->SignalUsed(kVsockEventQueue);
}

// ---------------------------------------------------------------------------
// Snapshot

VsockDeviceState VsockDevice::Save() const {
  VsockDeviceState s;
  s.guest_cid = config_.cid;
  s.connections = muxer_->Connections();
  s.connections.insert(s.connections.end(), restored_.begin(), restored_.end());
  std::sort(s.connections.begin(), s.connections.end());
  s.connections.erase(std::unique(s.connections.begin(), s.connections.end()),
                      s.connections.end());
  return s;
}

Result<void> VsockDevice::Restore(const VsockDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-vsock: restore into an active device is unsupported");
  }
  if (state.guest_cid != config_.cid) {
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-vsock: the snapshot's guest cid " + std::to_string(state.guest_cid) +
                     " is not this device's cid " + std::to_string(config_.cid));
  }
  if (state.connections.size() > kVsockMaxConnections) {
    return Error(ErrorCode::kInvalidArgument, "virtio-vsock: the snapshot lists " +
                                                  std::to_string(state.connections.size()) +
                                                  " connections (at most " +
                                                  std::to_string(kVsockMaxConnections) + ")");
  }
  for (size_t i = 1; i < state.connections.size(); ++i) {
    if (!(state.connections[i - 1] < state.connections[i])) {
      return Error(ErrorCode::kInvalidArgument,
                   "virtio-vsock: the snapshot's connections are not ascending and unique");
    }
  }
  restored_ = state.connections;
  return Ok();
}

}  // namespace petrel::virtio
