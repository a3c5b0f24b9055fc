// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SplitQueue: the device side of one virtio split virtqueue (virtio 1.2
// §2.7): pops descriptor chains the driver made available, publishes used
// buffers, and decides whether the driver wants a used-buffer notification.
//
// The guest owns every ring byte and runs concurrently on another CPU, so:
// each guest field is read once into a local before it is checked; every
// index, length and address is checked (overflow-safe) before use; limits are
// named caps; a malformed ring yields an Error and the caller puts the device
// into DEVICE_NEEDS_RESET (§2.1.2). Nothing here crashes or touches memory
// outside GuestMemory. Ordering follows §2.7.13/§2.7.7: an acquire fence after
// reading avail.idx, a release fence before publishing used.idx, and a full
// fence between publishing used.idx and reading the driver's suppression
// fields (and between writing avail_event and re-reading avail.idx).
//
// The queue has no thread and no lock: one device worker drives it. The
// transport holds the driver-written queue registers and calls Activate()
// when the driver enables the queue, Reset() on device reset.
//
// Behind an IOMMU (a DmaTranslator given), every ring, table and buffer
// address the driver wrote is a bus address: ring fields are translated at
// each access (the guest's IOMMU driver may map a ring's pages anywhere),
// and each descriptor's buffer becomes one ChainBuffer per contiguous
// guest-physical piece, so devices only ever see guest-physical addresses.
// A translation fault is an error like a malformed ring (the translator has
// reported it). The translation is taken when the chain is popped: a guest
// that unmaps a buffer the device still holds has the device finish with
// the guest memory it was mapped to, never anything outside guest RAM.
//
// With VIRTIO_F_EVENT_IDX, Pop() writes avail_event (= next index it will
// read) only when it finds the ring empty, then re-checks; so a device that
// pops until Pop() returns nullopt never misses a driver notification, and
// while it still has work queued the driver does not kick it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/dma_translator.h"
#include "devices/virtio/virtio_spec.h"

namespace petrel::virtio {

// §2.7.5.3.1: an indirect table holds at most this many descriptors (the
// spec bounds a chain by the queue size; Petrel also bounds tables by the
// largest queue size so a table never exceeds 512 KiB).
inline constexpr uint32_t kMaxIndirectDescriptors = kMaxQueueSize;
// §2.7.5.2: "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes
// in total"; Petrel caps the readable plus writable total to 2^32 - 1 so it
// fits the 32-bit used length.
inline constexpr uint64_t kMaxChainBytes = 0xffff'ffffULL;
// Buffers in one chain: what a queue of the largest size and one full
// indirect table can hold. Only a translated chain (behind an IOMMU, where
// a descriptor may become several buffers) can reach it.
inline constexpr size_t kMaxChainBuffers = 2 * size_t{kMaxQueueSize};

class SplitQueue {
 public:
  // What the driver programmed (virtio-pci common config queue_size,
  // queue_desc/driver/device) plus the negotiated ring features.
  struct Config {
    uint16_t size = 0;       // power of 2 in [1, kMaxQueueSize]; 0 is invalid
    // Guest-physical addresses, or bus addresses behind an IOMMU.
    uint64_t desc_gpa = 0;   // descriptor table, 16-byte aligned (§2.7)
    uint64_t avail_gpa = 0;  // available ring ("driver area"), 2-byte aligned
    uint64_t used_gpa = 0;   // used ring ("device area"), 4-byte aligned
    bool event_idx = false;  // VIRTIO_F_EVENT_IDX negotiated
    bool indirect = false;   // VIRTIO_F_INDIRECT_DESC negotiated
    bool operator==(const Config&) const = default;
  };

  // Plain snapshot state: no pointers, no memory contents.
  struct State {
    Config config;
    bool ready = false;
    uint16_t next_avail = 0;      // next avail.ring slot to read (free-running)
    uint16_t next_used = 0;       // next used.ring slot to write == published used.idx
    uint16_t signalled_used = 0;  // used.idx at the last notification decision
    bool signalled_used_valid = false;
    bool operator==(const State&) const = default;
  };

  // `dma`: the device is behind an IOMMU (null: addresses are guest-physical).
  explicit SplitQueue(std::shared_ptr<GuestMemory> memory,
                      std::shared_ptr<const DmaTranslator> dma = nullptr);

  // Checks size and alignments and that the three ring areas (with their
  // event fields) lie in guest RAM without wrapping (behind an IOMMU: are
  // mapped, for the access the device makes, to guest RAM).
  static Result<void> Validate(const Config& config, const GuestMemory& memory,
                               const DmaTranslator* dma = nullptr);

  // Validates `config` and starts the queue with all indices at 0.
  Result<void> Activate(const Config& config);
  // Back to the not-ready, all-zero state (device reset, §2.1.2 / §4.1.4.3).
  void Reset();

  bool ready() const { return state_.ready; }
  const Config& config() const { return state_.config; }
  uint16_t next_avail() const { return state_.next_avail; }
  uint16_t next_used() const { return state_.next_used; }

  // The next available chain, or nullopt if the driver has made none
  // available. An Error means the ring is malformed (or the queue is not
  // ready); the queue state is unchanged and the device should need reset.
  Result<std::optional<DescriptorChain>> Pop();

  // Returns chain `head` to the driver with `len` bytes written into its
  // writable buffers and publishes the new used.idx.
  Result<void> AddUsed(uint16_t head, uint32_t len);

  // True if the driver wants a used-buffer notification now (§2.7.7: the
  // VIRTQ_AVAIL_F_NO_INTERRUPT flag, or with VIRTIO_F_EVENT_IDX used_event).
  // Call after one or more AddUsed(); records the decision point.
  bool NeedsNotification();

  State Save() const { return state_; }
  // Accepts a not-ready state, or a ready one whose Config validates;
  // otherwise fails and keeps the current state.
  Result<void> Restore(const State& state);

 private:
  Result<uint16_t> ReadAvailIdx() const;
  Result<void> WalkChain(uint16_t head, DescriptorChain& chain) const;
  // Guest accesses at a ring or table address (translated behind an IOMMU).
  Result<uint16_t> Load16(uint64_t addr) const;
  Result<void> Store16(uint64_t addr, uint16_t value);
  Result<void> ReadRing(uint64_t addr, std::span<uint8_t> out) const;
  Result<void> WriteRing(uint64_t addr, std::span<const uint8_t> in);
  // Appends descriptor [addr, addr + len)'s buffer (len > 0) to `chain`,
  // one ChainBuffer per contiguous guest-physical piece.
  Result<void> AddBuffer(uint64_t addr, uint32_t len, bool writable, DescriptorChain& chain) const;

  std::shared_ptr<GuestMemory> memory_;
  std::shared_ptr<const DmaTranslator> dma_;
  State state_;
};

}  // namespace petrel::virtio
