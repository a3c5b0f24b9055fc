// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DescriptorChain: one request popped from a virtqueue, already validated
// (every buffer lies in guest RAM, readable buffers before writable ones,
// bounded length). ChainReader and ChainWriter copy bytes out of the readable
// part and into the writable part across buffer boundaries, through
// GuestMemory's checked accessors.
//
//   PETREL_ASSIGN_OR_RETURN(auto chain, queue.Pop());   // optional<DescriptorChain>
//   ChainReader in(*memory, *chain);
//   PETREL_ASSIGN_OR_RETURN(auto header, in.ReadObj<BlkHeader>());
//   ChainWriter out(*memory, *chain);
//   PETREL_TRY(out.WriteObj(status));
//   PETREL_TRY(queue.AddUsed(chain->head, out.written()));
//
// Reader and writer keep references to the memory and chain: both must
// outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::virtio {

// One guest buffer of a chain (§2.7.5 virtq_desc, flattened).
struct ChainBuffer {
  uint64_t gpa = 0;
  uint32_t len = 0;
  bool writable = false;  // VIRTQ_DESC_F_WRITE: device writes, driver reads
  bool operator==(const ChainBuffer&) const = default;
};

struct DescriptorChain {
  uint16_t head = 0;                 // descriptor index to hand back in AddUsed()
  std::vector<ChainBuffer> buffers;  // readable ones first, then writable ones
  uint32_t readable_len = 0;         // sum of readable buffer lengths
  uint32_t writable_len = 0;         // sum of writable buffer lengths
};

// Sequential reads from the readable part of a chain.
class ChainReader {
 public:
  ChainReader(const GuestMemory& memory, const DescriptorChain& chain);

  // Bytes not yet read.
  uint32_t remaining() const { return remaining_; }

  // Fills `out` completely, or fails (kMalformed) without consuming anything
  // if fewer than out.size() bytes remain.
  Result<void> Read(std::span<uint8_t> out);
  // Reads min(out.size(), remaining()) bytes; returns how many.
  Result<size_t> ReadSome(std::span<uint8_t> out);
  // Skips `len` bytes, or fails without consuming if fewer remain.
  Result<void> Skip(uint32_t len);

  template <class T>
  Result<T> ReadObj() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    PETREL_TRY(Read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v)));
    return v;
  }

 private:
  // Consumes `len` bytes (caller checked len <= remaining_), copying them to
  // `out` unless it is null.
  Result<void> Consume(uint8_t* out, uint32_t len);
  const GuestMemory& memory_;
  const DescriptorChain& chain_;
  size_t index_ = 0;     // current buffer
  uint32_t offset_ = 0;  // into the current buffer
  uint32_t remaining_ = 0;
};

// Sequential writes into the writable part of a chain; written() is the
// length to report in SplitQueue::AddUsed().
class ChainWriter {
 public:
  ChainWriter(GuestMemory& memory, const DescriptorChain& chain);

  uint32_t remaining() const { return remaining_; }
  uint32_t written() const { return written_; }

  // Writes all of `in`, or fails (kMalformed) without writing anything if
  // fewer than in.size() bytes of writable space remain.
  Result<void> Write(std::span<const uint8_t> in);
  // Writes min(in.size(), remaining()) bytes; returns how many.
  Result<size_t> WriteSome(std::span<const uint8_t> in);

  template <class T>
  Result<void> WriteObj(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }

 private:
  GuestMemory& memory_;
  const DescriptorChain& chain_;
  size_t index_ = 0;
  uint32_t offset_ = 0;
  uint32_t remaining_ = 0;
  uint32_t written_ = 0;
};

}  // namespace petrel::virtio
