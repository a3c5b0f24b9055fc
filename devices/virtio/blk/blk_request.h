// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseBlkRequest: one virtio-blk request chain (virtio 1.2 §5.2.6) checked
// and turned into host I/O. A chain without a 16-byte header or a status
// byte is malformed (an Error: the device needs reset). A well-formed chain
// with a bad request (unknown type, sector range past the capacity, length
// not a multiple of 512, too many segments, a write to a read-only disk)
// yields an immediate status for the driver; a good one yields the
// IoRequests to submit.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "devices/block/io_engine.h"
#include "devices/virtio/blk/blk_spec.h"
#include "devices/virtio/descriptor_chain.h"

namespace petrel::virtio {

// What the device allows (fixed at creation).
struct BlkLimits {
  uint64_t capacity_sectors = 0;
  bool readonly = false;
  bool discard = false;       // VIRTIO_BLK_F_DISCARD offered
  bool write_zeroes = false;  // VIRTIO_BLK_F_WRITE_ZEROES offered
  uint32_t max_discard_seg = 0;
  uint32_t max_discard_sectors = 0;
  uint32_t max_write_zeroes_seg = 0;
  uint32_t max_write_zeroes_sectors = 0;
  size_t max_iovecs = kMaxIovecsPerRequest;
  std::array<uint8_t, kBlkIdBytes> id{};  // GET_ID answer, NUL padded
};

struct BlkRequest {
  uint32_t type = 0;
  uint64_t status_gpa = 0;  // the last writable byte
  // Set: complete now with this status (no I/O).
  std::optional<uint8_t> status;
  // Written at the start of the writable part before the status (GET_ID).
  std::vector<uint8_t> inline_data;
  // To submit, all at once, when `status` is unset (user_data left 0).
  std::vector<IoRequest> io;
  // kRead/kWrite: the byte count each must transfer.
  uint64_t data_len = 0;
  // Used length to report on success (data read in + status byte).
  uint32_t used_len = 1;
  // kIn: the guest ranges the read fills, to mark dirty again on completion
  // (guest_iovec.h MarkDirtyRanges).
  std::vector<DirtyRange> device_writes;
};

Result<BlkRequest> ParseBlkRequest(const GuestMemory& memory, const DescriptorChain& chain,
                                   const BlkLimits& limits);

// True if [sector, sector + count) lies within `capacity` sectors (overflow-safe).
constexpr bool SectorRangeOk(uint64_t sector, uint64_t count, uint64_t capacity) {
  return sector <= capacity && count <= capacity - sector;
}

}  // namespace petrel::virtio
