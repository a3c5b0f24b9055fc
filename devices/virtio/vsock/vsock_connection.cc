// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockConnection: one connection's state machine and credit (see the header).
#include "devices/virtio/vsock/vsock_connection.h"

#include <algorithm>
#include <cstring>

namespace petrel::virtio {

// ---------------------------------------------------------------------------
// VsockTxBuffer

bool VsockTxBuffer::Push(std::span<const uint8_t> bytes) {
  if (bytes.size() > room()) return false;
  if (bytes.empty()) return true;
  if (data_.empty()) data_.resize(kVsockConnBufAlloc);
  const size_t cap = data_.size();
  size_t tail = (head_ + size_) % cap;
  size_t done = 0;
  while (done < bytes.size()) {
    const size_t n = std::min(bytes.size() - done, cap - tail);
    std::memcpy(data_.data() + tail, bytes.data() + done, n);
    done += n;
    tail = (tail + n) % cap;
  }
  size_ += bytes.size();
  return true;
}

std::span<const uint8_t> VsockTxBuffer::Front() const {
  if (size_ == 0) return {};
  return {data_.data() + head_, std::min(size_, data_.size() - head_)};
}

void VsockTxBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  head_ = size_ == 0 ? 0 : (head_ + n) % data_.size();
}

void VsockTxBuffer::Clear() {
  head_ = 0;
  size_ = 0;
}

// ---------------------------------------------------------------------------
// VsockConnection

VsockConnection::VsockConnection(uint64_t guest_cid, uint32_t local_port, uint32_t peer_port,
                                 VsockConnState state, uint8_t pending)
    : guest_cid_(guest_cid),
      local_port_(local_port),
      peer_port_(peer_port),
      state_(state),
      pending_(pending) {}

VsockConnection VsockConnection::HostInitiated(uint64_t guest_cid, uint32_t local_port,
                                               uint32_t peer_port) {
  return VsockConnection(guest_cid, local_port, peer_port, VsockConnState::kLocalInit,
                         kPendRequest);
}

VsockConnection VsockConnection::GuestInitiated(uint64_t guest_cid, const VsockHeader& request) {
  VsockConnection c(guest_cid, request.dst_port, request.src_port, VsockConnState::kPeerInit,
                    kPendResponse);
  c.peer_buf_alloc_ = request.buf_alloc;
  c.peer_fwd_cnt_ = request.fwd_cnt;
  return c;
}

VsockHeader VsockConnection::Header(uint16_t op) {
  VsockHeader h;
  h.src_cid = kVsockHostCid;
  h.dst_cid = guest_cid_;
  h.src_port = local_port_;
  h.dst_port = peer_port_;
  h.type = kVsockTypeStream;
  h.op = op;
  h.buf_alloc = kVsockConnBufAlloc;
  h.fwd_cnt = fwd_cnt_;
  // The guest hears the current count: no separate update is owed.
  last_fwd_cnt_sent_ = fwd_cnt_;
  pending_ &= static_cast<uint8_t>(~kPendCreditUpdate);
  return h;
}

void VsockConnection::UpdatePeerCredit(const VsockHeader& h) {
  if (h.buf_alloc != peer_buf_alloc_ || h.fwd_cnt != peer_fwd_cnt_) credit_requested_ = false;
  peer_buf_alloc_ = h.buf_alloc;
  peer_fwd_cnt_ = h.fwd_cnt;
}

uint32_t VsockConnection::PeerCredit() const {
  const uint32_t in_flight = rx_cnt_ - peer_fwd_cnt_;  // wraps, as the counters do
  return in_flight >= peer_buf_alloc_ ? 0 : peer_buf_alloc_ - in_flight;
}

VsockConnection::GuestAction VsockConnection::OnGuestPacket(const VsockHeader& h) {
  if (done_) return GuestAction::kNone;
  if (h.op == kVsockOpRst) {
    done_ = true;
    pending_ = 0;
    tx_.Clear();
    return GuestAction::kClose;
  }
  if (state_ == VsockConnState::kKilled) return GuestAction::kNone;  // our RST is on its way
  UpdatePeerCredit(h);
  GuestAction action = GuestAction::kNone;
  switch (h.op) {
    case kVsockOpRequest:
      // A second REQUEST for a live connection: the guest lost track of it.
      Kill();
      break;
    case kVsockOpResponse:
      if (state_ == VsockConnState::kLocalInit) {
        state_ = VsockConnState::kEstablished;
        action = GuestAction::kAckHost;
      }
      break;
    case kVsockOpRw:
      if (state_ != VsockConnState::kEstablished || (guest_shut_ & kVsockShutdownSend) ||
          h.len == 0) {
        break;  // no data expected now: dropped
      }
      if (h.len > tx_.room()) {
        Kill();  // §5.10.6.3: beyond the credit the device gave
        break;
      }
      action = GuestAction::kForward;
      break;
    case kVsockOpShutdown:
      if (state_ == VsockConnState::kEstablished) {
        OnGuestShutdown(h.flags & kVsockShutdownBoth);
      } else if (state_ == VsockConnState::kClosing) {
        Kill();  // the host is gone and the guest is done too
      }
      break;
    case kVsockOpCreditRequest:
      if (state_ == VsockConnState::kEstablished || state_ == VsockConnState::kPeerInit) {
        pending_ |= kPendCreditUpdate;
      }
      break;
    default:  // CREDIT_UPDATE (the credit is taken above) and unknown ops
      break;
  }
  MaybeRequestCredit();
  return action;
}

void VsockConnection::OnGuestShutdown(uint32_t flags) {
  guest_shut_ |= flags;
  if (guest_shut_ == kVsockShutdownBoth ||
      ((guest_shut_ & kVsockShutdownSend) && host_eof_)) {
    FinishWhenDrained();
  }
}

void VsockConnection::FinishWhenDrained() {
  if (state_ == VsockConnState::kKilled) return;
  if (tx_.empty()) {
    Kill();
  } else {
    finishing_ = true;
  }
}

void VsockConnection::OnForwarded(uint32_t n) {
  fwd_cnt_ += n;
  MaybeUpdateCredit();
}

void VsockConnection::Buffer(std::span<const uint8_t> rest) {
  // OnGuestPacket checked len <= room(), and the payload is at most len.
  (void)tx_.Push(rest);
}

void VsockConnection::OnFlushed(uint32_t n) {
  tx_.Consume(n);
  fwd_cnt_ += n;
  if (tx_.empty() && finishing_) {
    finishing_ = false;
    Kill();
    return;
  }
  MaybeUpdateCredit();
}

void VsockConnection::MaybeUpdateCredit() {
  if (state_ == VsockConnState::kKilled) return;
  // The guest's view of our free space is a quarter of the buffer short.
  if (fwd_cnt_ - last_fwd_cnt_sent_ >= kVsockConnBufAlloc / 4) pending_ |= kPendCreditUpdate;
}

bool VsockConnection::WantsHostData() const {
  return state_ == VsockConnState::kEstablished && !(guest_shut_ & kVsockShutdownRcv) &&
         !host_eof_ && !done_;
}

void VsockConnection::SetHostReadable(bool readable) {
  host_readable_ = readable;
  MaybeRequestCredit();
}

void VsockConnection::MaybeRequestCredit() {
  if (host_readable_ && WantsHostData() && PeerCredit() == 0 && !credit_requested_) {
    pending_ |= kPendCreditRequest;
    credit_requested_ = true;
  }
}

VsockHeader VsockConnection::TakeData(uint32_t len) {
  VsockHeader h = Header(kVsockOpRw);
  h.len = len;
  rx_cnt_ += len;
  MaybeRequestCredit();
  return h;
}

void VsockConnection::OnHostEof(bool hung_up) {
  host_readable_ = false;
  if (state_ == VsockConnState::kKilled || done_ || host_eof_) return;
  host_eof_ = true;
  if (state_ != VsockConnState::kEstablished) {
    Kill();  // the host went away before the connection was up
    return;
  }
  pending_ |= kPendShutdown;
  if (hung_up) {
    // Nothing can reach the host any more: what it did not take is lost.
    tx_.Clear();
    finishing_ = false;
    state_ = VsockConnState::kClosing;
    shutdown_to_send_ = kVsockShutdownBoth;
    return;
  }
  shutdown_to_send_ = kVsockShutdownSend;
  if (guest_shut_ & kVsockShutdownSend) FinishWhenDrained();
}

void VsockConnection::Kill() {
  if (done_) return;
  state_ = VsockConnState::kKilled;
  pending_ = kPendRst;
  tx_.Clear();
  finishing_ = false;
  host_readable_ = false;
}

std::optional<VsockHeader> VsockConnection::TakeControl() {
  if (pending_ & kPendRst) {
    pending_ = 0;
    done_ = true;
    VsockHeader h = Header(kVsockOpRst);
    return h;
  }
  if (pending_ & kPendResponse) {
    pending_ &= static_cast<uint8_t>(~kPendResponse);
    state_ = VsockConnState::kEstablished;
    return Header(kVsockOpResponse);
  }
  if (pending_ & kPendRequest) {
    pending_ &= static_cast<uint8_t>(~kPendRequest);
    return Header(kVsockOpRequest);
  }
  if (pending_ & kPendShutdown) {
    pending_ &= static_cast<uint8_t>(~kPendShutdown);
    VsockHeader h = Header(kVsockOpShutdown);
    h.flags = shutdown_to_send_;
    return h;
  }
  if (pending_ & kPendCreditRequest) {
    pending_ &= static_cast<uint8_t>(~kPendCreditRequest);
    return Header(kVsockOpCreditRequest);
  }
  if (pending_ & kPendCreditUpdate) return Header(kVsockOpCreditUpdate);  // clears the bit
  return std::nullopt;
}

bool VsockConnection::WantsHostWriteShutdown() const {
  return (guest_shut_ & kVsockShutdownSend) && tx_.empty() && !host_write_shut_ &&
         state_ != VsockConnState::kKilled && !done_;
}

bool VsockConnection::WantsTimer() const {
  if (done_ || state_ == VsockConnState::kKilled) return false;
  return state_ == VsockConnState::kLocalInit || state_ == VsockConnState::kClosing || finishing_;
}

}  // namespace petrel::virtio
