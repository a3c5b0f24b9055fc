// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Virtio block device wire format (virtio 1.2 §5.2): feature bits, the
// configuration layout, request header, types, status values and the
// discard / write-zeroes segment. All fields little-endian.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §5.2.3 Feature bits (bit numbers).
inline constexpr unsigned kBlkFSizeMax = 1;       // §5.2.3: VIRTIO_BLK_F_SIZE_MAX
inline constexpr unsigned kBlkFSegMax = 2;        // §5.2.3: VIRTIO_BLK_F_SEG_MAX
inline constexpr unsigned kBlkFGeometry = 4;      // §5.2.3: VIRTIO_BLK_F_GEOMETRY
inline constexpr unsigned kBlkFRo = 5;            // §5.2.3: VIRTIO_BLK_F_RO
inline constexpr unsigned kBlkFBlkSize = 6;       // §5.2.3: VIRTIO_BLK_F_BLK_SIZE
inline constexpr unsigned kBlkFFlush = 9;         // §5.2.3: VIRTIO_BLK_F_FLUSH
inline constexpr unsigned kBlkFTopology = 10;     // §5.2.3: VIRTIO_BLK_F_TOPOLOGY
inline constexpr unsigned kBlkFConfigWce = 11;    // §5.2.3: VIRTIO_BLK_F_CONFIG_WCE
inline constexpr unsigned kBlkFMq = 12;           // §5.2.3: VIRTIO_BLK_F_MQ
inline constexpr unsigned kBlkFDiscard = 13;      // §5.2.3: VIRTIO_BLK_F_DISCARD
inline constexpr unsigned kBlkFWriteZeroes = 14;  // §5.2.3: VIRTIO_BLK_F_WRITE_ZEROES

// §5.2.4 struct virtio_blk_config (up to write_zeroes_may_unmap and its
// padding; the secure-erase and zoned fields follow and read as 0).
#pragma pack(push, 1)
struct BlkConfig {
  uint64_t capacity = 0;  // in 512-byte sectors
  uint32_t size_max = 0;
  uint32_t seg_max = 0;
  uint16_t geometry_cylinders = 0;
  uint8_t geometry_heads = 0;
  uint8_t geometry_sectors = 0;
  uint32_t blk_size = 0;
  uint8_t physical_block_exp = 0;  // topology
  uint8_t alignment_offset = 0;
  uint16_t min_io_size = 0;
  uint32_t opt_io_size = 0;
  uint8_t writeback = 0;
  uint8_t unused0 = 0;
  uint16_t num_queues = 0;
  uint32_t max_discard_sectors = 0;
  uint32_t max_discard_seg = 0;
  uint32_t discard_sector_alignment = 0;
  uint32_t max_write_zeroes_sectors = 0;
  uint32_t max_write_zeroes_seg = 0;
  uint8_t write_zeroes_may_unmap = 0;
  uint8_t unused1[3] = {};
};
#pragma pack(pop)
static_assert(sizeof(BlkConfig) == 60);

// §5.2.6: "The sector number indicates the offset (multiplied by 512)".
inline constexpr uint64_t kSectorSize = 512;
inline constexpr unsigned kSectorShift = 9;

// §5.2.6 struct virtio_blk_req header: le32 type; le32 reserved; le64 sector.
struct BlkReqHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
static_assert(sizeof(BlkReqHeader) == 16);

// §5.2.6 request types.
inline constexpr uint32_t kBlkTIn = 0;            // VIRTIO_BLK_T_IN
inline constexpr uint32_t kBlkTOut = 1;           // VIRTIO_BLK_T_OUT
inline constexpr uint32_t kBlkTFlush = 4;         // VIRTIO_BLK_T_FLUSH
inline constexpr uint32_t kBlkTGetId = 8;         // VIRTIO_BLK_T_GET_ID
inline constexpr uint32_t kBlkTDiscard = 11;      // VIRTIO_BLK_T_DISCARD
inline constexpr uint32_t kBlkTWriteZeroes = 13;  // VIRTIO_BLK_T_WRITE_ZEROES

// §5.2.6 status values (the last byte of the request).
inline constexpr uint8_t kBlkSOk = 0;      // VIRTIO_BLK_S_OK
inline constexpr uint8_t kBlkSIoErr = 1;   // VIRTIO_BLK_S_IOERR
inline constexpr uint8_t kBlkSUnsupp = 2;  // VIRTIO_BLK_S_UNSUPP

// §5.2.6: GET_ID returns a device id string of up to 20 bytes (NUL padded).
inline constexpr uint32_t kBlkIdBytes = 20;

// §5.2.6 struct virtio_blk_discard_write_zeroes: le64 sector;
// le32 num_sectors; le32 flags (bit 0: unmap, the rest reserved).
struct BlkDiscardSegment {
  uint64_t sector;
  uint32_t num_sectors;
  uint32_t flags;
};
static_assert(sizeof(BlkDiscardSegment) == 16);
inline constexpr uint32_t kBlkDiscardFUnmap = 1;

}  // namespace petrel::virtio
