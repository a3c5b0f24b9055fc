// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Virtio 1.2 constants shared by the virtqueue, the transports and devices:
// split-ring layout and flags, feature bits, device status bits. Section
// numbers refer to "Virtual I/O Device (VIRTIO) Version 1.2" (OASIS).
// Everything on the wire is little-endian (§2.7 "le16/le32/le64").
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §2.1 Device Status Field.
inline constexpr uint8_t kStatusAcknowledge = 1;        // §2.1: ACKNOWLEDGE
inline constexpr uint8_t kStatusDriver = 2;             // §2.1: DRIVER
inline constexpr uint8_t kStatusDriverOk = 4;           // §2.1: DRIVER_OK
inline constexpr uint8_t kStatusFeaturesOk = 8;         // §2.1: FEATURES_OK
inline constexpr uint8_t kStatusDeviceNeedsReset = 64;  // §2.1: DEVICE_NEEDS_RESET
inline constexpr uint8_t kStatusFailed = 128;           // §2.1: FAILED

// §6 Reserved Feature Bits (bit numbers, not masks).
inline constexpr unsigned kFIndirectDesc = 28;    // §6: VIRTIO_F_INDIRECT_DESC
inline constexpr unsigned kFEventIdx = 29;        // §6: VIRTIO_F_EVENT_IDX
inline constexpr unsigned kFVersion1 = 32;        // §6: VIRTIO_F_VERSION_1
inline constexpr unsigned kFAccessPlatform = 33;  // §6: VIRTIO_F_ACCESS_PLATFORM
inline constexpr unsigned kFRingPacked = 34;      // §6: VIRTIO_F_RING_PACKED

constexpr uint64_t FeatureBit(unsigned bit) {
  return uint64_t{1} << bit;
}

// §2.7: "Queue Size ... maximum Queue Size is 32768"; it is a power of 2.
inline constexpr uint32_t kMaxQueueSize = 32768;

// §2.7.5 The Virtqueue Descriptor Table: struct virtq_desc, 16 bytes,
// { le64 addr; le32 len; le16 flags; le16 next; }, 16-byte aligned table.
inline constexpr uint64_t kDescSize = 16;
inline constexpr uint64_t kDescTableAlign = 16;  // §2.7 table "Alignment" column
inline constexpr uint16_t kDescFNext = 1;        // §2.7.5: VIRTQ_DESC_F_NEXT
inline constexpr uint16_t kDescFWrite = 2;       // §2.7.5: VIRTQ_DESC_F_WRITE
inline constexpr uint16_t kDescFIndirect = 4;    // §2.7.5: VIRTQ_DESC_F_INDIRECT

// §2.7.6 The Virtqueue Available Ring: { le16 flags; le16 idx;
// le16 ring[size]; le16 used_event; /* only if VIRTIO_F_EVENT_IDX */ }.
inline constexpr uint64_t kAvailRingAlign = 2;
inline constexpr uint64_t kAvailFlagsOffset = 0;
inline constexpr uint64_t kAvailIdxOffset = 2;
inline constexpr uint64_t kAvailRingOffset = 4;
inline constexpr uint16_t kAvailFNoInterrupt = 1;  // §2.7.6: VIRTQ_AVAIL_F_NO_INTERRUPT

// §2.7.8 The Virtqueue Used Ring: { le16 flags; le16 idx;
// struct virtq_used_elem { le32 id; le32 len; } ring[size];
// le16 avail_event; /* only if VIRTIO_F_EVENT_IDX */ }.
inline constexpr uint64_t kUsedRingAlign = 4;
inline constexpr uint64_t kUsedFlagsOffset = 0;
inline constexpr uint64_t kUsedIdxOffset = 2;
inline constexpr uint64_t kUsedRingOffset = 4;
inline constexpr uint64_t kUsedElemSize = 8;
inline constexpr uint16_t kUsedFNoNotify = 1;  // §2.7.8: VIRTQ_USED_F_NO_NOTIFY

// §2.7 table: sizes of the three parts for a queue of `size` entries,
// including the trailing event fields.
constexpr uint64_t DescTableBytes(uint32_t size) {
  return kDescSize * size;
}
constexpr uint64_t AvailRingBytes(uint32_t size) {
  return 6 + 2 * uint64_t{size};
}
constexpr uint64_t UsedRingBytes(uint32_t size) {
  return 6 + kUsedElemSize * size;
}
// §2.7.6 used_event sits after ring[size]; §2.7.8 avail_event after ring[size].
constexpr uint64_t UsedEventOffset(uint32_t size) {
  return kAvailRingOffset + 2 * uint64_t{size};
}
constexpr uint64_t AvailEventOffset(uint32_t size) {
  return kUsedRingOffset + kUsedElemSize * size;
}

// §2.7.7 / §2.7.10 (Linux's vring_need_event): with VIRTIO_F_EVENT_IDX the other
// side asked to be notified once idx moves past `event_idx`. True if moving
// from `old_idx` to `new_idx` crossed it (all arithmetic mod 2^16).
constexpr bool VringNeedEvent(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event_idx - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace petrel::virtio
