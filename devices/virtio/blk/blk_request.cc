// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseBlkRequest: virtio-blk request chains (virtio 1.2 §5.2.6) to host I/O.
#include "devices/virtio/blk/blk_request.h"

#include <algorithm>

#include "devices/virtio/blk/guest_iovec.h"

namespace petrel::virtio {
namespace {

BlkRequest WithStatus(BlkRequest r, uint8_t status) {
  r.status = status;
  r.io.clear();
  r.inline_data.clear();
  r.used_len = 1;
  return r;
}

// IN / OUT: the data is the writable part before the status byte (IN) or
// the readable part after the header (OUT).
BlkRequest ParseReadWrite(const GuestMemory& memory, const DescriptorChain& chain,
                          const BlkLimits& limits, const BlkReqHeader& h, BlkRequest r) {
  const bool in = h.type == kBlkTIn;
  if (!in && limits.readonly) return WithStatus(std::move(r), kBlkSIoErr);
  const uint64_t len = in ? chain.writable_len - 1 : chain.readable_len - sizeof(BlkReqHeader);
  if (len % kSectorSize != 0) return WithStatus(std::move(r), kBlkSIoErr);
  if (!SectorRangeOk(h.sector, len >> kSectorShift, limits.capacity_sectors)) {
    return WithStatus(std::move(r), kBlkSIoErr);
  }
  if (len == 0) return WithStatus(std::move(r), kBlkSOk);
  IoRequest io;
  io.op = in ? IoRequest::Op::kRead : IoRequest::Op::kWrite;
  io.offset = h.sector << kSectorShift;  // < 2^64: checked against capacity
  if (!AppendChainIovecs(memory, chain, /*writable=*/in, in ? 0 : sizeof(BlkReqHeader), len,
                         limits.max_iovecs, io.iov, in ? &r.device_writes : nullptr)
           .ok()) {
    return WithStatus(std::move(r), kBlkSIoErr);  // too many segments
  }
  r.data_len = len;
  r.used_len = in ? static_cast<uint32_t>(len + 1) : 1;
  r.io.push_back(std::move(io));
  return r;
}

// DISCARD / WRITE_ZEROES: the readable part after the header is an array
// of struct virtio_blk_discard_write_zeroes (§5.2.6).
Result<BlkRequest> ParseRanges(const GuestMemory& memory, const DescriptorChain& chain,
                               const BlkLimits& limits, const BlkReqHeader& h, BlkRequest r) {
  const bool discard = h.type == kBlkTDiscard;
  if (limits.readonly) return WithStatus(std::move(r), kBlkSIoErr);
  if (discard ? !limits.discard : !limits.write_zeroes)
    return WithStatus(std::move(r), kBlkSUnsupp);
  const uint32_t bytes = chain.readable_len - static_cast<uint32_t>(sizeof(BlkReqHeader));
  const uint32_t max_seg = discard ? limits.max_discard_seg : limits.max_write_zeroes_seg;
  const uint32_t max_sectors =
      discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors;
  if (bytes == 0 || bytes % sizeof(BlkDiscardSegment) != 0 ||
      bytes / sizeof(BlkDiscardSegment) > max_seg) {
    return WithStatus(std::move(r), kBlkSIoErr);
  }
  ChainReader in(memory, chain);
  PETREL_TRY(in.Skip(sizeof(BlkReqHeader)));
  for (uint32_t i = 0; i < bytes / sizeof(BlkDiscardSegment); ++i) {
    PETREL_ASSIGN_OR_RETURN(BlkDiscardSegment seg, in.ReadObj<BlkDiscardSegment>());
    // §5.2.6.2: discard must not set unmap; write-zeroes only unmap.
    const uint32_t allowed = discard ? 0 : kBlkDiscardFUnmap;
    if ((seg.flags & ~allowed) != 0) return WithStatus(std::move(r), kBlkSUnsupp);
    if (seg.num_sectors > max_sectors ||
        !SectorRangeOk(seg.sector, seg.num_sectors, limits.capacity_sectors)) {
      return WithStatus(std::move(r), kBlkSIoErr);
    }
    if (seg.num_sectors == 0) continue;
    IoRequest io;
    io.op = discard ? IoRequest::Op::kDiscard : IoRequest::Op::kWriteZeroes;
    io.offset = seg.sector << kSectorShift;
    io.length = uint64_t{seg.num_sectors} << kSectorShift;
    r.io.push_back(std::move(io));
  }
  if (r.io.empty()) return WithStatus(std::move(r), kBlkSOk);
  return r;
}

}  // namespace

Result<BlkRequest> ParseBlkRequest(const GuestMemory& memory, const DescriptorChain& chain,
                                   const BlkLimits& limits) {
  // §5.2.6.1: the header is device-readable, the status its last writable byte.
  if (chain.writable_len == 0) return Error(ErrorCode::kMalformed, "request without status byte");
  if (chain.readable_len < sizeof(BlkReqHeader)) {
    return Error(ErrorCode::kMalformed, "request header too short");
  }
  ChainReader reader(memory, chain);
  PETREL_ASSIGN_OR_RETURN(BlkReqHeader h, reader.ReadObj<BlkReqHeader>());
  BlkRequest r;
  r.type = h.type;
  PETREL_ASSIGN_OR_RETURN(r.status_gpa, WritableByteGpa(chain, chain.writable_len - 1));
  switch (h.type) {
    case kBlkTIn:
    case kBlkTOut: return ParseReadWrite(memory, chain, limits, h, std::move(r));
    case kBlkTFlush: {
      IoRequest io;
      io.op = IoRequest::Op::kFlush;
      r.io.push_back(std::move(io));
      return r;
    }
    case kBlkTGetId: {
      const uint32_t room = std::min(chain.writable_len - 1, kBlkIdBytes);
      r.inline_data.assign(limits.id.begin(), limits.id.begin() + room);
      r.status = kBlkSOk;
      r.used_len = room + 1;
      return r;
    }
    case kBlkTDiscard:
    case kBlkTWriteZeroes: return ParseRanges(memory, chain, limits, h, std::move(r));
    default: return WithStatus(std::move(r), kBlkSUnsupp);
  }
}

}  // namespace petrel::virtio
