// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MemDevice: the virtio memory device (virtio 1.2 §5.15), as Cloud
// Hypervisor offers it: one guest-request queue, 2 MiB blocks by default,
// VIRTIO_MEM_F_ACPI_PXM only with a NUMA node.
//
// The device manages a guest-physical region (VirtioMemConfig addr, size)
// cut into blocks of block_size. The VMM asks the guest to plug a number of
// bytes (requested_size: the config's at boot, then SetRequestedSize, after
// which the VMM tells the driver with the transport's NotifyConfigChanged).
// The driver PLUGs and UNPLUGs runs of blocks to get there; a bitmap records
// each block's state and plugged_size in the config space follows it.
// Unplugged blocks go back to the host (GuestMemory::Discard): their
// memory reads as zero afterwards.
//
// Choices, where the spec or Cloud Hypervisor leave room:
//   - usable_region_size is the whole region, always (as Cloud Hypervisor):
//     it is never below requested_size (§5.15.4.2) and never needs to grow,
//     so a resize changes only requested_size. UNPLUG_ALL does not shrink it.
//   - VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE is not offered (nor by Cloud
//     Hypervisor): the whole region stays mapped, so the driver may read
//     unplugged blocks inside the usable region (§5.15.6.2), which read as
//     zero once discarded. Offering it would let the VMM unmap unplugged
//     blocks; Petrel does not.
//   - Request checks, in order (§5.15.6.3-§5.15.6.6): a misaligned addr,
//     nb_blocks 0, or any block outside the usable region: ERROR; PLUG of a
//     plugged block or UNPLUG of an unplugged one: ERROR; a PLUG that would
//     take plugged_size above requested_size: NACK. (Cloud Hypervisor tests
//     the NACK first; the spec's ERROR cases are MUSTs, so they win here.)
//     An unknown request type: ERROR. BUSY is never sent.
//   - A discard the host refuses is the host's problem, not the guest's (as
//     the balloon): the request is still ACKed, the failure counted and
//     logged once; the memory then merely stays resident.
//   - Activate() discards every unplugged block (as Cloud Hypervisor), so a
//     restored or rebooted guest's stale blocks go back to the host.
//
// Reset (§5.15.5.2: "the device MUST NOT change the state of memory blocks
// during device reset"): Reset() keeps the bitmap, plugged_size and
// requested_size; the next driver finds memory still plugged and issues
// UNPLUG_ALL or STATE requests. A *system* reset (VM reboot) SHOULD unplug
// everything (§5.15.6.2): that is UnplugAllForSystemReset(), for the VMM to
// call on reboot; the memory is discarded at the next Activate().
//
// The guest is hostile: a request outside the region gets ERROR, never a
// crash; a chain whose readable part is shorter than a request (24 bytes)
// or whose writable part cannot hold a response (10 bytes), and a malformed
// ring, fail the device (DEVICE_NEEDS_RESET). At most kMaxChainsPerTurn
// chains per notify.
//
// Threads: the queue handler runs on the device's loop, the only writer of
// the bitmap. ReadConfig (vCPU threads), SetRequestedSize, plugged_size,
// requested_size, Counters and Save may come from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "devices/virtio/mem/mem_config.h"
#include "devices/virtio/mem/mem_spec.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

inline constexpr uint16_t kMemMaxQueueSize = 128;

// Plain snapshot state: the requested size and which blocks are plugged
// (block i is bit i % 8 of byte i / 8; (block_count + 7) / 8 bytes).
// plugged_size follows from the bitmap.
struct MemDeviceState {
  uint64_t requested_size = 0;
  std::vector<uint8_t> plugged;
  bool operator==(const MemDeviceState&) const = default;
};

class MemDevice final : public VirtioDevice {
 public:
  // Validate()s the config first.
  static Result<std::unique_ptr<MemDevice>> Create(const VirtioMemConfig& config);

  uint16_t device_type() const override { return kDeviceIdMem; }
  // madvise(2) for private guest RAM, fallocate(2) for shared.
  isolation::SyscallRules WorkerSyscalls() const override;
  uint64_t device_features() const override { return features_; }
  uint16_t queue_count() const override { return 1; }
  uint16_t max_queue_size() const override { return kMemMaxQueueSize; }

  // §5.15.4: every field reads back; the driver writes nothing (ignored).
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  // Fails if the region is not guest RAM. Discards the unplugged blocks.
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  // Keeps the blocks' state (§5.15.5.2).
  void Reset() override;
  // Takes no chain until ResumeQueueGroup (none is ever held).
  void QuiesceQueueGroup(uint16_t group, std::function<void()> done) override;
  void ResumeQueueGroup(uint16_t group) override;
  // plugged_bytes, requested_bytes, region_bytes; acknowledged requests:
  // plugs, unplugs, unplug_alls, states; nacks, errors (ERROR responses),
  // discard_errors (host refusals).
  std::map<std::string, uint64_t> Counters() const override;

  // The size the guest is asked to plug: a multiple of block_size, at most
  // the region's size. Any thread; the caller then tells the driver.
  Result<void> SetRequestedSize(uint64_t bytes);
  uint64_t requested_size() const { return requested_.load(); }
  uint64_t plugged_size() const { return plugged_blocks_.load() * block_size_; }
  uint64_t region_addr() const { return addr_; }
  uint64_t region_size() const { return size_; }
  uint64_t block_size() const { return block_size_; }
  uint64_t usable_region_size() const { return size_; }
  uint64_t block_count() const { return blocks_; }

  // A system reset (VM reboot): every block unplugged, plugged_size 0
  // (§5.15.6.2 SHOULD). Only while not active (kBusy otherwise); the memory
  // goes back to the host at the next Activate().
  Result<void> UnplugAllForSystemReset();

  MemDeviceState Save() const;
  // Into a device that is not active (kBusy otherwise); a state that does
  // not fit this device's region and block size is refused (kInvalidArgument)
  // and the device keeps its state.
  Result<void> Restore(const MemDeviceState& state);

 private:
  struct Reply {
    uint16_t type = kMemRespAck;
    uint16_t state = 0;
  };
  explicit MemDevice(const VirtioMemConfig& config);
  Result<void> Serve(SplitQueue& queue);
  Reply Handle(uint16_t type, uint64_t addr, uint16_t nb_blocks);
  // The blocks [first, first + count) a request covers, if it is aligned,
  // not empty and inside the usable region.
  bool RangeOf(uint64_t addr, uint16_t nb_blocks, uint64_t& first, uint64_t& count) const;
  uint64_t CountPlugged(uint64_t first, uint64_t count) const;
  void SetRange(uint64_t first, uint64_t count, bool plugged);  // takes mu_
  void Discard(uint64_t gpa, uint64_t len);
  void DoFail(const std::string& why);

  const uint64_t addr_;
  const uint64_t size_;
  const uint64_t block_size_;
  const uint64_t blocks_;
  const uint16_t node_id_;
  const uint64_t features_;
  std::atomic<uint64_t> requested_;
  std::atomic<uint64_t> plugged_blocks_{0};

  // The bitmap: written on the loop under mu_ (the loop reads it without);
  // other threads read it under mu_.
  mutable std::mutex mu_;
  std::vector<uint64_t> words_;

  // The loop's (Activate .. Reset).
  VirtioContext* context_ = nullptr;
  bool failed_ = false;
  bool quiesced_ = false;

  std::atomic<uint64_t> plugs_{0}, unplugs_{0}, unplug_alls_{0}, states_{0}, nacks_{0}, errors_{0},
      discard_errors_{0};
};

}  // namespace petrel::virtio
