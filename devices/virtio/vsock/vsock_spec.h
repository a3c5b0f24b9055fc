// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The virtio socket device's wire format (virtio 1.2 §5.10): queue indices,
// the configuration layout, the packet header (struct virtio_vsock_hdr,
// 44 bytes, little-endian) with its type, op and flag values, the event
// layout; and Cloud Hypervisor's limits for its hybrid (UNIX socket) host
// side. Encode/Decode copy the header to and from its wire bytes; they
// check nothing (the device checks every field it uses).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace petrel::virtio {

// §5.10.2: the three virtqueues.
inline constexpr uint16_t kVsockRxQueue = 0;     // device -> driver packets
inline constexpr uint16_t kVsockTxQueue = 1;     // driver -> device packets
inline constexpr uint16_t kVsockEventQueue = 2;  // device events (§5.10.6.7)
inline constexpr uint16_t kVsockQueueCount = 3;
// Cloud Hypervisor's queue size (virtio-devices/src/vsock/device.rs).
inline constexpr uint16_t kVsockMaxQueueSize = 256;

// §5.10.4: struct virtio_vsock_config { le64 guest_cid; }.
inline constexpr uint64_t kVsockConfigSize = 8;

// §5.10.4 / §5.10.6.2: well-known CIDs. 0 (hypervisor), 1 (local), 2 (the
// host) and 0xffffffff (VMADDR_CID_ANY) are never a guest's; the upper 32
// bits of a CID are reserved and zero.
inline constexpr uint64_t kVsockHostCid = 2;
inline constexpr uint64_t kVsockMinGuestCid = 3;
inline constexpr uint64_t kVsockCidAny = 0xffff'ffff;

// §5.10.6: struct virtio_vsock_hdr.
inline constexpr size_t kVsockHeaderSize = 44;

// §5.10.6 type: only stream sockets (VIRTIO_VSOCK_F_SEQPACKET is not offered).
inline constexpr uint16_t kVsockTypeStream = 1;
inline constexpr uint16_t kVsockTypeSeqpacket = 2;

// §5.10.6 op.
inline constexpr uint16_t kVsockOpInvalid = 0;
inline constexpr uint16_t kVsockOpRequest = 1;
inline constexpr uint16_t kVsockOpResponse = 2;
inline constexpr uint16_t kVsockOpRst = 3;
inline constexpr uint16_t kVsockOpShutdown = 4;
inline constexpr uint16_t kVsockOpRw = 5;
inline constexpr uint16_t kVsockOpCreditUpdate = 6;
inline constexpr uint16_t kVsockOpCreditRequest = 7;

// §5.10.6.5 SHUTDOWN flags: the sender will receive / send no more.
inline constexpr uint32_t kVsockShutdownRcv = 1;
inline constexpr uint32_t kVsockShutdownSend = 2;
inline constexpr uint32_t kVsockShutdownBoth = kVsockShutdownRcv | kVsockShutdownSend;

// §5.10.6.7: struct virtio_vsock_event { le32 id; }.
inline constexpr uint32_t kVsockEventTransportReset = 0;
inline constexpr uint32_t kVsockEventSize = 4;

// Cloud Hypervisor's limits (virtio-devices/src/vsock/{mod.rs,csm/mod.rs,
// unix/mod.rs}):
// The largest payload of one packet, either way (MAX_PKT_BUF_SIZE).
inline constexpr uint32_t kVsockMaxPayload = 64 * 1024;
// The receive buffer each connection advertises (buf_alloc, §5.10.6.3)
// and the most guest data it holds for a slow host peer (CONN_TX_BUF_SIZE).
inline constexpr uint32_t kVsockConnBufAlloc = 64 * 1024;
// Open connections at most (MAX_CONNECTIONS); a new one beyond is refused.
inline constexpr size_t kVsockMaxConnections = 1023;
// How long a host-initiated REQUEST waits for the guest's RESPONSE, and how
// long an orderly shutdown waits for the last RST (CONN_REQUEST_TIMEOUT_MS,
// CONN_SHUTDOWN_TIMEOUT_MS).
inline constexpr uint64_t kVsockConnTimeoutNs = 2'000'000'000;
// Host-initiated connections take host ports from 2^30 upwards (wrapping
// within [2^30, 2^31)), unique among live connections.
inline constexpr uint32_t kVsockFirstLocalPort = 1u << 30;

struct VsockHeader {
  uint64_t src_cid = 0;
  uint64_t dst_cid = 0;
  uint32_t src_port = 0;
  uint32_t dst_port = 0;
  uint32_t len = 0;  // payload bytes after the header (RW only)
  uint16_t type = 0;
  uint16_t op = 0;
  uint32_t flags = 0;
  uint32_t buf_alloc = 0;  // §5.10.6.3: the sender's receive buffer
  uint32_t fwd_cnt = 0;    // §5.10.6.3: bytes the sender has consumed
  bool operator==(const VsockHeader&) const = default;
};

using VsockHeaderBytes = std::array<uint8_t, kVsockHeaderSize>;

namespace vsock_detail {
template <class T>
void PutLe(uint8_t* at, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
}
template <class T>
T GetLe(const uint8_t* at) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (T{at[i]} << (8 * i)));
  return v;
}
}  // namespace vsock_detail

// §5.10.6 field offsets: src_cid 0, dst_cid 8, src_port 16, dst_port 20,
// len 24, type 28, op 30, flags 32, buf_alloc 36, fwd_cnt 40.
inline VsockHeaderBytes EncodeVsockHeader(const VsockHeader& h) {
  using vsock_detail::PutLe;
  VsockHeaderBytes b{};
  PutLe(&b[0], h.src_cid);
  PutLe(&b[8], h.dst_cid);
  PutLe(&b[16], h.src_port);
  PutLe(&b[20], h.dst_port);
  PutLe(&b[24], h.len);
  PutLe(&b[28], h.type);
  PutLe(&b[30], h.op);
  PutLe(&b[32], h.flags);
  PutLe(&b[36], h.buf_alloc);
  PutLe(&b[40], h.fwd_cnt);
  return b;
}

inline VsockHeader DecodeVsockHeader(std::span<const uint8_t, kVsockHeaderSize> b) {
  using vsock_detail::GetLe;
  VsockHeader h;
  h.src_cid = GetLe<uint64_t>(&b[0]);
  h.dst_cid = GetLe<uint64_t>(&b[8]);
  h.src_port = GetLe<uint32_t>(&b[16]);
  h.dst_port = GetLe<uint32_t>(&b[20]);
  h.len = GetLe<uint32_t>(&b[24]);
  h.type = GetLe<uint16_t>(&b[28]);
  h.op = GetLe<uint16_t>(&b[30]);
  h.flags = GetLe<uint32_t>(&b[32]);
  h.buf_alloc = GetLe<uint32_t>(&b[36]);
  h.fwd_cnt = GetLe<uint32_t>(&b[40]);
  return h;
}

}  // namespace petrel::virtio
