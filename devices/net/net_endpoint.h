// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// NetEndpoint: the host side of one virtio-net queue pair, a packet
// interface that carries one frame per call, each frame preceded by a
// 12-byte virtio_net_hdr_v1 (virtio 1.2 §5.1.6). TapQueue (tap.h) is the
// production endpoint; tests use an in-memory fake.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/base/result.h"

namespace petrel::net {

// virtio 1.2 §5.1.6: struct virtio_net_hdr (v1, with num_buffers) is 12 bytes
// whenever VIRTIO_F_VERSION_1 is negotiated, which Petrel always requires.
inline constexpr size_t kVnetHeaderSize = 12;
// Largest Ethernet frame a guest may hand over (§5.1.6.2: a GSO frame of up
// to 64 KiB plus headers; Cloud Hypervisor's MAX_BUFFER_SIZE is 65562 - 12).
inline constexpr size_t kMaxFrameBytes = 65550;
inline constexpr size_t kMaxPacketBytes = kVnetHeaderSize + kMaxFrameBytes;

// Offload flags for TUNSETOFFLOAD (linux/if_tun.h): what the host may hand
// to the guest (checksum left to the receiver, segmentation offloads).
inline constexpr unsigned kTunOffloadCsum = 0x01;  // if_tun.h: TUN_F_CSUM
inline constexpr unsigned kTunOffloadTso4 = 0x02;  // if_tun.h: TUN_F_TSO4
inline constexpr unsigned kTunOffloadTso6 = 0x04;  // if_tun.h: TUN_F_TSO6
inline constexpr unsigned kTunOffloadEcn = 0x08;   // if_tun.h: TUN_F_TSO_ECN
inline constexpr unsigned kTunOffloadUfo = 0x10;   // if_tun.h: TUN_F_UFO
inline constexpr unsigned kTunOffloadUso4 = 0x20;  // if_tun.h: TUN_F_USO4
inline constexpr unsigned kTunOffloadUso6 = 0x40;  // if_tun.h: TUN_F_USO6

class NetEndpoint {
 public:
  virtual ~NetEndpoint() = default;
  // Readable (level-triggered) while a frame is waiting; the device watches
  // it on its event loop.
  virtual int fd() const = 0;
  // Reads one packet (header + frame) scattered over `iov` (at most
  // IOV_MAX entries); returns its length, or nullopt if none is waiting. A
  // packet longer than the iovecs is truncated.
  virtual Result<std::optional<size_t>> ReadV(std::span<const iovec> iov) = 0;
  // The same into one buffer.
  Result<std::optional<size_t>> Read(std::span<uint8_t> out) {
    const iovec one{out.data(), out.size()};
    return ReadV(std::span<const iovec>(&one, 1));
  }
  // Writes one packet (header + frame) gathered from `iov`. kBusy: the host
  // queue is full and the packet was not sent.
  virtual Result<void> Write(std::span<const iovec> iov) = 0;
  // Which offloads (kTunOffload*) the host may use in packets it hands us.
  virtual Result<void> SetOffload(unsigned flags) = 0;
  // Multi-queue: attach / detach this queue (inactive queue pairs receive
  // nothing). Endpoints without queues accept and ignore it.
  virtual Result<void> SetEnabled(bool enabled) {
    (void)enabled;
    return Ok();
  }
};

}  // namespace petrel::net
