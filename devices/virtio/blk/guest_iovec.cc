// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Guest ranges and chain parts as host iovecs (see guest_iovec.h).
#include "devices/virtio/blk/guest_iovec.h"

#include <algorithm>

namespace petrel::virtio {

Result<void> AppendGuestIovecs(const GuestMemory& memory, uint64_t gpa, uint64_t len,
                               bool device_writes, size_t max_iovecs, std::vector<iovec>& out) {
  while (len > 0) {
    const GuestRegion* region = nullptr;
    for (const GuestRegion& r : memory.regions()) {
      if (gpa >= r.gpa && gpa - r.gpa < r.size) {
        region = &r;
        break;
      }
    }
    if (region == nullptr) return Error(ErrorCode::kOutOfRange, "buffer outside guest RAM");
    const uint64_t chunk = std::min(len, region->size - (gpa - region->gpa));
    uint8_t* host =
        device_writes ? memory.HostPointerForWrite(gpa, chunk) : memory.HostPointer(gpa, chunk);
    if (host == nullptr) return Error(ErrorCode::kOutOfRange, "buffer outside guest RAM");
    if (out.size() >= max_iovecs) return Error(ErrorCode::kOutOfRange, "too many buffers");
    out.push_back(iovec{host, static_cast<size_t>(chunk)});
    gpa += chunk;
    len -= chunk;
  }
  return Ok();
}

Result<void> AppendChainIovecs(const GuestMemory& memory, const DescriptorChain& chain,
                               bool writable, uint64_t skip, uint64_t len, size_t max_iovecs,
                               std::vector<iovec>& out, std::vector<DirtyRange>* ranges) {
  for (const ChainBuffer& b : chain.buffers) {
    if (len == 0) break;
    if (b.writable != writable) continue;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    const uint64_t take = std::min<uint64_t>(len, b.len - skip);
    PETREL_TRY(AppendGuestIovecs(memory, b.gpa + skip, take, writable, max_iovecs, out));
    if (ranges != nullptr) ranges->push_back({b.gpa + skip, take});
    skip = 0;
    len -= take;
  }
  if (len != 0) return Error(ErrorCode::kOutOfRange, "chain part too short");
  return Ok();
}

void MarkDirtyRanges(const GuestMemory& memory, std::span<const DirtyRange> ranges) {
  for (const DirtyRange& r : ranges) memory.MarkDirty(r.gpa, r.len);
}

Result<uint64_t> WritableByteGpa(const DescriptorChain& chain, uint64_t offset) {
  for (const ChainBuffer& b : chain.buffers) {
    if (!b.writable) continue;
    if (offset < b.len) return b.gpa + offset;
    offset -= b.len;
  }
  return Error(ErrorCode::kOutOfRange, "offset past the writable part");
}

}  // namespace petrel::virtio
