// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockConnection: one stream connection between a guest socket and a host
// UNIX stream, as the device sees it: its state machine (virtio 1.2
// §5.10.6.5), its credit accounting both ways (§5.10.6.3) and the guest
// data it holds for a host peer that reads slowly. It is pure: no fds, no
// clock. The muxer (vsock_muxer.h) moves the bytes, asks it what the guest
// is owed next (TakeControl / TakeData), and does what it asks of the host
// socket (WantsHostWriteShutdown, WantsTimer, done()).
//
// The model is Cloud Hypervisor's (virtio-devices/src/vsock/csm):
//   - host-initiated: created with a REQUEST due; the guest's RESPONSE
//     establishes it (the muxer then writes "OK <port>\n" to the host);
//   - guest-initiated: created once the host socket is connected, with a
//     RESPONSE due;
//   - credit: the device advertises kVsockConnBufAlloc and counts what it
//     forwarded to the host (fwd_cnt); a guest RW beyond the free space is
//     a protocol violation and the connection is reset. Host data goes to
//     the guest only within the guest's credit (buf_alloc - (rx_cnt -
//     fwd_cnt), u32 arithmetic); without credit the device asks once
//     (CREDIT_REQUEST). A CREDIT_UPDATE is sent when the guest asks, and
//     whenever a quarter of the buffer was forwarded since the guest last
//     heard the count (every packet carries it);
//   - shutdown: the guest's SHUTDOWN flags accumulate. SEND: the host's
//     socket is shut for writing once the buffered data is out; both, or
//     SEND after the host's EOF: an RST ends it once the data is out (within
//     kVsockConnTimeoutNs). The host's EOF: SHUTDOWN(SEND) to the guest; the
//     host hanging up entirely: SHUTDOWN(RCV|SEND) and an RST after the
//     guest's reply or the timeout;
//   - any packet from the guest with RST ends it at once; an RST the device
//     sends ends it once it is in the guest's rx ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "devices/virtio/vsock/vsock_spec.h"

namespace petrel::virtio {

// Guest data waiting for the host: a ring of at most kVsockConnBufAlloc
// bytes, allocated at the first Push.
class VsockTxBuffer {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t room() const { return kVsockConnBufAlloc - size_; }
  // Appends all of `bytes`, or nothing (false) if they do not fit.
  bool Push(std::span<const uint8_t> bytes);
  // The oldest bytes, contiguous (maybe only part of size()).
  std::span<const uint8_t> Front() const;
  void Consume(size_t n);
  void Clear();

 private:
  std::vector<uint8_t> data_;
  size_t head_ = 0;
  size_t size_ = 0;
};

enum class VsockConnState : uint8_t {
  kLocalInit,    // host-initiated: REQUEST due or sent, waiting for the RESPONSE
  kPeerInit,     // guest-initiated: the host socket is connected, RESPONSE due
  kEstablished,  // data flows, each way until that way is shut down
  kClosing,      // the host hung up: SHUTDOWN(RCV|SEND) due or sent, RST awaited
  kKilled,       // an RST is due to the guest; then the connection is done
};

class VsockConnection {
 public:
  // What the muxer does after OnGuestPacket.
  enum class GuestAction {
    kNone,     // nothing (a control packet absorbed, or dropped)
    kForward,  // an accepted RW: write its payload to the host (Forward*)
    kAckHost,  // the guest accepted a host-initiated connection: write "OK <port>\n"
    kClose,    // the guest reset it: close now, send nothing
  };

  // A host program asked for guest port `peer_port`; `local_port` is the
  // host-side port the device gave it. A REQUEST is due.
  static VsockConnection HostInitiated(uint64_t guest_cid, uint32_t local_port,
                                       uint32_t peer_port);
  // The guest's REQUEST (to host port request.dst_port) whose host socket
  // is connected. A RESPONSE is due.
  static VsockConnection GuestInitiated(uint64_t guest_cid, const VsockHeader& request);

  uint32_t local_port() const { return local_port_; }  // the host side's port
  uint32_t peer_port() const { return peer_port_; }    // the guest side's port
  VsockConnState state() const { return state_; }
  // The guest's SHUTDOWN flags so far (kVsockShutdown*).
  uint32_t guest_shutdown() const { return guest_shut_; }
  bool host_eof() const { return host_eof_; }

  // ---- guest -> host
  // A packet of this connection from the guest (cids, type and length
  // already checked by the device). Every packet carries the guest's credit.
  GuestAction OnGuestPacket(const VsockHeader& h);
  // After kForward: the host took `n` bytes of the payload directly.
  void OnForwarded(uint32_t n);
  // After kForward: the rest of the payload, which the host could not take
  // now (it fits: OnGuestPacket checked the credit).
  void Buffer(std::span<const uint8_t> rest);
  bool tx_empty() const { return tx_.empty(); }
  size_t tx_size() const { return tx_.size(); }
  std::span<const uint8_t> tx_front() const { return tx_.Front(); }
  // `n` buffered bytes went to the host.
  void OnFlushed(uint32_t n);

  // ---- host -> guest
  // Whether the host socket is read for the guest at all: established, the
  // guest still receives, the host has not ended its side.
  bool WantsHostData() const;
  // The muxer saw the host socket readable (true) or drained it (false).
  void SetHostReadable(bool readable);
  bool host_readable() const { return host_readable_; }
  // Bytes the guest can take now: buf_alloc - (rx_cnt - fwd_cnt), 0 if the
  // guest's counters make no sense (fwd_cnt ahead of what it was sent).
  uint32_t PeerCredit() const;
  // A data packet can go: host readable, WantsHostData(), credit.
  bool HasData() const { return host_readable_ && WantsHostData() && PeerCredit() > 0; }
  // The RW header for `len` (1..PeerCredit()) bytes read from the host.
  VsockHeader TakeData(uint32_t len);
  // read() on the host socket returned 0; `hung_up`: it is closed both ways.
  void OnHostEof(bool hung_up);

  // ---- control
  bool HasControl() const { return pending_ != 0; }
  bool HasRxWork() const { return HasControl() || HasData(); }
  // The next control packet for the guest (RST, RESPONSE, REQUEST,
  // SHUTDOWN, CREDIT_REQUEST, CREDIT_UPDATE in that order), or nullopt.
  std::optional<VsockHeader> TakeControl();
  // Reset the connection: an RST is due; host data and buffered guest data
  // are dropped (a host socket error, a protocol violation, a timeout).
  void Kill();
  // The timer WantsTimer() asked for ran out.
  void OnExpired() { Kill(); }

  // ---- what the muxer does to the host side
  // The guest will send no more and its data is out: shut the host
  // socket's write side (then call OnHostWriteShutdown).
  bool WantsHostWriteShutdown() const;
  void OnHostWriteShutdown() { host_write_shut_ = true; }
  // A kVsockConnTimeoutNs timer should run (waiting for a RESPONSE, for
  // the data to drain before an RST, or for the guest's RST).
  bool WantsTimer() const;
  // The host socket is of no more use (an RST is due or done).
  bool host_closed() const { return state_ == VsockConnState::kKilled || done_; }
  // Finished: the guest sent RST or the device's RST was taken. Remove it.
  bool done() const { return done_; }

  // Counters as the guest sees them (tests).
  uint32_t fwd_cnt() const { return fwd_cnt_; }
  uint32_t rx_cnt() const { return rx_cnt_; }

 private:
  enum Pending : uint8_t {
    kPendRst = 1,
    kPendResponse = 2,
    kPendRequest = 4,
    kPendShutdown = 8,
    kPendCreditRequest = 16,
    kPendCreditUpdate = 32,
  };
  VsockConnection(uint64_t guest_cid, uint32_t local_port, uint32_t peer_port, VsockConnState state,
                  uint8_t pending);
  VsockHeader Header(uint16_t op);
  void UpdatePeerCredit(const VsockHeader& h);
  void OnGuestShutdown(uint32_t flags);
  // Both ways are over once the buffered data is out: RST now, or when
  // drained (OnFlushed), within the timeout.
  void FinishWhenDrained();
  // Asks the guest for credit when host data waits for it.
  void MaybeRequestCredit();
  void MaybeUpdateCredit();

  uint64_t guest_cid_;
  uint32_t local_port_;
  uint32_t peer_port_;
  VsockConnState state_;
  uint8_t pending_;
  uint32_t shutdown_to_send_ = 0;  // flags of the due SHUTDOWN
  bool done_ = false;

  // Guest -> host (§5.10.6.3, the device as receiver).
  VsockTxBuffer tx_;
  uint32_t fwd_cnt_ = 0;            // bytes forwarded to the host
  uint32_t last_fwd_cnt_sent_ = 0;  // fwd_cnt in the last packet to the guest
  // Host -> guest (the device as sender).
  uint32_t peer_buf_alloc_ = 0;
  uint32_t peer_fwd_cnt_ = 0;
  uint32_t rx_cnt_ = 0;  // bytes sent to the guest
  bool credit_requested_ = false;

  uint32_t guest_shut_ = 0;  // the guest's SHUTDOWN flags so far
  bool finishing_ = false;   // an RST follows once tx_ is drained
  bool host_eof_ = false;    // the host sends no more
  bool host_readable_ = false;
  bool host_write_shut_ = false;
};

}  // namespace petrel::virtio
