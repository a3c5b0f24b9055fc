// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// virtio-net constants and wire structures (virtio 1.2 §5.1): feature bits,
// configuration layout, the packet header and the control queue protocol.
// All multi-byte fields are little-endian.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §5.1.3 Feature bits (bit numbers).
inline constexpr unsigned kNetFCsum = 0;               // VIRTIO_NET_F_CSUM
inline constexpr unsigned kNetFGuestCsum = 1;          // VIRTIO_NET_F_GUEST_CSUM
inline constexpr unsigned kNetFCtrlGuestOffloads = 2;  // VIRTIO_NET_F_CTRL_GUEST_OFFLOADS
inline constexpr unsigned kNetFMtu = 3;                // VIRTIO_NET_F_MTU
inline constexpr unsigned kNetFMac = 5;                // VIRTIO_NET_F_MAC
inline constexpr unsigned kNetFGuestTso4 = 7;          // VIRTIO_NET_F_GUEST_TSO4
inline constexpr unsigned kNetFGuestTso6 = 8;          // VIRTIO_NET_F_GUEST_TSO6
inline constexpr unsigned kNetFGuestEcn = 9;           // VIRTIO_NET_F_GUEST_ECN
inline constexpr unsigned kNetFGuestUfo = 10;          // VIRTIO_NET_F_GUEST_UFO
inline constexpr unsigned kNetFHostTso4 = 11;          // VIRTIO_NET_F_HOST_TSO4
inline constexpr unsigned kNetFHostTso6 = 12;          // VIRTIO_NET_F_HOST_TSO6
inline constexpr unsigned kNetFHostEcn = 13;           // VIRTIO_NET_F_HOST_ECN
inline constexpr unsigned kNetFHostUfo = 14;           // VIRTIO_NET_F_HOST_UFO
inline constexpr unsigned kNetFMrgRxbuf = 15;          // VIRTIO_NET_F_MRG_RXBUF
inline constexpr unsigned kNetFStatus = 16;            // VIRTIO_NET_F_STATUS
inline constexpr unsigned kNetFCtrlVq = 17;            // VIRTIO_NET_F_CTRL_VQ
inline constexpr unsigned kNetFCtrlRx = 18;            // VIRTIO_NET_F_CTRL_RX
inline constexpr unsigned kNetFMq = 22;                // VIRTIO_NET_F_MQ
inline constexpr unsigned kNetFCtrlMacAddr = 23;       // VIRTIO_NET_F_CTRL_MAC_ADDR
inline constexpr unsigned kNetFGuestUso4 = 54;         // VIRTIO_NET_F_GUEST_USO4
inline constexpr unsigned kNetFGuestUso6 = 55;         // VIRTIO_NET_F_GUEST_USO6

// §5.1.4 Device configuration layout: struct virtio_net_config.
inline constexpr uint64_t kNetCfgMac = 0;          // u8 mac[6]
inline constexpr uint64_t kNetCfgStatus = 6;       // le16 status
inline constexpr uint64_t kNetCfgMaxVqPairs = 8;   // le16 max_virtqueue_pairs
inline constexpr uint64_t kNetCfgMtu = 10;         // le16 mtu
inline constexpr uint64_t kNetCfgSize = 12;        // Petrel serves up to mtu
inline constexpr uint16_t kNetStatusLinkUp = 1;    // §5.1.4: VIRTIO_NET_S_LINK_UP
inline constexpr uint16_t kNetStatusAnnounce = 2;  // §5.1.4: VIRTIO_NET_S_ANNOUNCE

// §5.1.4: max_virtqueue_pairs is 1..0x8000 (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN/MAX).
inline constexpr uint16_t kNetMinVqPairs = 1;
inline constexpr uint16_t kNetMaxVqPairs = 0x8000;
// §5.1.4.1: "The device MUST set mtu to between 68 and 65535".
inline constexpr uint16_t kNetMinMtu = 68;

// §5.1.6 struct virtio_net_hdr (with VIRTIO_F_VERSION_1: 12 bytes).
struct VirtioNetHdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;
};
static_assert(sizeof(VirtioNetHdr) == 12);
inline constexpr uint64_t kNetHdrNumBuffersOffset = 10;  // §5.1.6: num_buffers

// §5.1.6.5 Control virtqueue: struct virtio_net_ctrl { u8 class; u8 command;
// u8 command-specific-data[]; u8 ack; }.
inline constexpr uint8_t kNetOk = 0;   // §5.1.6.5: VIRTIO_NET_OK
inline constexpr uint8_t kNetErr = 1;  // §5.1.6.5: VIRTIO_NET_ERR

inline constexpr uint8_t kNetCtrlRx = 0;  // §5.1.6.5.1: VIRTIO_NET_CTRL_RX
inline constexpr uint8_t kNetCtrlRxPromisc = 0;
inline constexpr uint8_t kNetCtrlRxAllmulti = 1;
inline constexpr uint8_t kNetCtrlRxAlluni = 2;
inline constexpr uint8_t kNetCtrlRxNomulti = 3;
inline constexpr uint8_t kNetCtrlRxNouni = 4;
inline constexpr uint8_t kNetCtrlRxNobcast = 5;

inline constexpr uint8_t kNetCtrlMac = 1;  // §5.1.6.5.2: VIRTIO_NET_CTRL_MAC
inline constexpr uint8_t kNetCtrlMacTableSet = 0;
inline constexpr uint8_t kNetCtrlMacAddrSet = 1;

inline constexpr uint8_t kNetCtrlMq = 4;  // §5.1.6.5.5: VIRTIO_NET_CTRL_MQ
inline constexpr uint8_t kNetCtrlMqVqPairsSet = 0;

inline constexpr uint8_t kNetCtrlGuestOffloads = 5;  // §5.1.6.5.6
inline constexpr uint8_t kNetCtrlGuestOffloadsSet = 0;

}  // namespace petrel::virtio
