// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DmaTranslator: the address space of a device behind an IOMMU. Such a
// device's driver gives it bus addresses (IOVAs), not guest-physical ones:
// ring addresses, descriptor buffers and indirect tables alike (virtio 1.2
// §6.1 VIRTIO_F_ACCESS_PLATFORM). The IOMMU (devices/virtio/iommu) maps
// them; this interface is what the virtqueue asks of it, so SplitQueue
// knows nothing of domains or endpoints and tests can give it a fake.
//
// A translation answers for a prefix of the range asked: one mapping
// carries on contiguously only to its end, and the next byte may be
// mapped anywhere else (the guest's IOMMU driver maps page by page). The
// caller asks again for the rest. A range nothing maps, or maps without
// the access's permission, is a fault: the translator reports it (the
// IOMMU's event queue, a log line) and the caller stops using the range.
#pragma once

#include <cstdint>

#include "core/base/result.h"

namespace petrel::virtio {

// Which way the DMA goes. A device reads what the driver made (descriptor
// tables, the available ring, readable buffers) and writes the used ring
// and writable buffers.
enum class DmaAccess { kRead, kWrite };

// Where the first `len` bytes from an IOVA land in guest-physical memory.
struct DmaExtent {
  uint64_t gpa = 0;
  uint64_t len = 0;  // >= 1 and <= the length asked
};

class DmaTranslator {
 public:
  virtual ~DmaTranslator() = default;
  // The guest-physical address of `iova` (len > 0) and how many bytes of
  // [iova, iova + len) from it one mapping carries on contiguously, for
  // `access`. A fault is an Error with kOutOfRange; it has been reported.
  // Any thread (device workers translate concurrently).
  virtual Result<DmaExtent> Translate(uint64_t iova, uint64_t len, DmaAccess access) const = 0;
};

// Calls fn(gpa, offset, n) for each contiguous piece of [iova, iova + len)
// in order (offset: bytes before it), stopping at the first fault or the
// first error fn returns. len 0 calls nothing. A range that wraps past
// 2^64 is kOutOfRange.
template <class Fn>
Result<void> ForEachDmaExtent(const DmaTranslator& dma, uint64_t iova, uint64_t len,
                              DmaAccess access, Fn&& fn) {
  if (iova + len < iova) return Error(ErrorCode::kOutOfRange, "DMA range wraps past 2^64");
  uint64_t done = 0;
  while (done < len) {
    PETREL_ASSIGN_OR_RETURN(const DmaExtent e, dma.Translate(iova + done, len - done, access));
    if (e.len == 0 || e.len > len - done)
      return Error(ErrorCode::kInternal, "DMA translation of a wrong length");
    PETREL_TRY(fn(e.gpa, done, e.len));
    done += e.len;
  }
  return Ok();
}

}  // namespace petrel::virtio
