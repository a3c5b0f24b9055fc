// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Guest buffers as host iovecs for the I/O engines: a guest range, or a
// stretch of a descriptor chain's readable or writable part, becomes host
// pointers into mapped guest RAM, split where the range crosses from one
// guest memory region into the next.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/descriptor_chain.h"

namespace petrel::virtio {

// Appends iovecs covering [gpa, gpa + len). kOutOfRange if some byte is not
// guest RAM, or if `out` would grow past `max_iovecs`. `device_writes`: the
// device will write these bytes (a read from the disk into the guest), so
// their pages are marked in the memory's dirty log
// (GuestMemory::HostPointerForWrite); the caller marks them again when the
// I/O completes (MarkDirtyRanges).
Result<void> AppendGuestIovecs(const GuestMemory& memory, uint64_t gpa, uint64_t len,
                               bool device_writes, size_t max_iovecs, std::vector<iovec>& out);

// Appends iovecs for `len` bytes of the chain's readable (writable = false)
// or writable part, starting `skip` bytes into that part; the writable part
// is for the device to write (see `device_writes` above). kOutOfRange if the
// part is shorter than skip + len or on too many iovecs. `ranges`, if given,
// gets the guest ranges covered, in order.
Result<void> AppendChainIovecs(const GuestMemory& memory, const DescriptorChain& chain,
                               bool writable, uint64_t skip, uint64_t len, size_t max_iovecs,
                               std::vector<iovec>& out, std::vector<DirtyRange>* ranges = nullptr);

// Marks each range dirty in the memory's dirty log (GuestMemory::MarkDirty):
// for device writes through iovecs, once the I/O is done, since a log taken
// between building the iovecs and the write would miss the new bytes.
void MarkDirtyRanges(const GuestMemory& memory, std::span<const DirtyRange> ranges);

// The guest address of byte `offset` of the chain's writable part.
Result<uint64_t> WritableByteGpa(const DescriptorChain& chain, uint64_t offset);

}  // namespace petrel::virtio
