// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtqDriver: a tiny guest-side split-virtqueue driver for tests. It lays
// out a queue in a GuestMemory, allocates data buffers, adds descriptor
// chains (direct or through an indirect table), publishes avail.idx, reads
// back used entries, and can write raw ring bytes for malformed-ring tests.
//
//   PETREL_ASSIGN_OR_RETURN(auto drv, VirtqDriver::Create(memory, {.size = 16}));
//   SplitQueue queue(memory);
//   queue.Activate(drv.QueueConfig());
//   auto req = drv.AllocBytes(request_bytes);
//   auto resp = drv.Alloc(64);
//   drv.AddChain({{*req, len, false}, {*resp, 64, true}});
//   drv.Kick();
//   ... device pops, AddUsed ...
//   auto used = drv.PopUsed();   // optional<UsedElem>
//
// Like Linux's driver it keeps a free list of descriptors and returns a
// chain's descriptors when its head comes back in the used ring.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/split_queue.h"

namespace petrel::virtio::testing {

class VirtqDriver {
 public:
  struct Options {
    uint16_t size = 16;             // queue size (power of 2)
    uint64_t ring_gpa = 0x1'0000;   // desc table, then avail ring, then used ring
    uint64_t data_gpa = 0x10'0000;  // bump allocator for data buffers and tables
    uint64_t data_size = 0x10'0000;
    bool event_idx = false;  // copied into QueueConfig()
    bool indirect = false;
  };
  // One buffer of a chain, as the driver describes it.
  struct Segment {
    uint64_t gpa = 0;
    uint32_t len = 0;
    bool writable = false;
  };
  // §2.7.8 struct virtq_used_elem.
  struct UsedElem {
    uint32_t id = 0;
    uint32_t len = 0;
    bool operator==(const UsedElem&) const = default;
  };
  // §2.7.5 struct virtq_desc, as raw fields (for malformed tests).
  struct RawDesc {
    uint64_t addr = 0;
    uint32_t len = 0;
    uint16_t flags = 0;
    uint16_t next = 0;
  };

  // Zeroes the three ring areas (the used ring 4-byte aligned after avail).
  static Result<VirtqDriver> Create(std::shared_ptr<GuestMemory> memory, const Options& options);

  // The Config a transport would hand to SplitQueue::Activate().
  SplitQueue::Config QueueConfig() const { return config_; }
  GuestMemory& memory() { return *memory_; }

  // Data buffers from the bump allocator (never freed; 16-byte aligned).
  Result<uint64_t> Alloc(uint32_t len);
  Result<uint64_t> AllocBytes(std::span<const uint8_t> bytes);  // Alloc + copy in

  // Writes a chain (readable segments must come first for a valid chain, but
  // any order is written as given) and places its head in the next avail
  // slot without publishing it. Returns the head descriptor index.
  Result<uint16_t> AddChain(std::span<const Segment> segments);
  Result<uint16_t> AddChain(std::initializer_list<Segment> segments) {
    return AddChain(std::span<const Segment>(segments.begin(), segments.size()));
  }
  // Same, but the segments go into an indirect table (allocated from the data
  // area) referenced by a single ring descriptor.
  Result<uint16_t> AddIndirectChain(std::span<const Segment> segments);
  Result<uint16_t> AddIndirectChain(std::initializer_list<Segment> segments) {
    return AddIndirectChain(std::span<const Segment>(segments.begin(), segments.size()));
  }
  // A request as device tests usually build it: each readable part copied
  // into a fresh buffer, then a zeroed buffer per writable length, all in one
  // chain (through an indirect table if `indirect`). Not yet published.
  struct Request {
    uint16_t head = 0;
    std::vector<Segment> segments;  // readable ones first
  };
  Result<Request> AddRequest(const std::vector<std::vector<uint8_t>>& readable,
                             const std::vector<uint32_t>& writable_lens, bool indirect = false);
  // Guest bytes, e.g. what the device wrote into a writable segment.
  Result<std::vector<uint8_t>> ReadBytes(uint64_t gpa, uint32_t len) const;

  // Publishes every added chain: avail.idx = number added so far.
  Result<void> Kick();
  // Free descriptors left.
  size_t free_descriptors() const { return free_.size(); }

  // The next used element, or nullopt if used.idx has not moved; frees the
  // chain's descriptors.
  Result<std::optional<UsedElem>> PopUsed();

  // Notification suppression fields (§2.7.6, §2.7.7, §2.7.8, §2.7.10).
  Result<void> SetAvailFlags(uint16_t flags);
  Result<void> SetUsedEvent(uint16_t used_event);
  Result<uint16_t> UsedFlags() const;
  Result<uint16_t> AvailEvent() const;
  Result<uint16_t> UsedIdx() const;

  // Raw access for malformed-ring tests.
  Result<void> WriteDesc(uint16_t index, const RawDesc& desc);
  Result<void> WriteDescAt(uint64_t gpa, const RawDesc& desc);  // e.g. into a table
  Result<void> SetAvailRing(uint16_t slot, uint16_t head);      // slot taken mod size
  Result<void> SetAvailIdx(uint16_t idx);
  uint16_t avail_idx() const { return avail_idx_; }  // next slot AddChain fills

 private:
  VirtqDriver(std::shared_ptr<GuestMemory> memory, const Options& options,
              SplitQueue::Config config);
  Result<uint16_t> Publish(uint16_t head);

  std::shared_ptr<GuestMemory> memory_;
  SplitQueue::Config config_;
  uint64_t data_next_;
  uint64_t data_end_;
  std::vector<uint16_t> free_;                    // free descriptor indices
  std::vector<std::vector<uint16_t>> in_flight_;  // per head: its descriptors
  uint16_t avail_idx_ = 0;                        // added (maybe unpublished)
  uint16_t last_used_ = 0;
};

}  // namespace petrel::virtio::testing
