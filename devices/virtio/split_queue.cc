// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SplitQueue (see split_queue.h): chain walking with every guest value
// checked, used-ring publication and notification suppression.
#include "core/base/hex.h"
#include "devices/virtio/split_queue.h"

#include <atomic>
#include <bit>
#include <string>
#include <utility>

namespace petrel::virtio {
namespace {

// Ring fields are little-endian (le16/le32/le64 in §2.7); Petrel hosts are x86-64.
static_assert(std::endian::native == std::endian::little, "virtio rings are little-endian");

// §2.7.5 struct virtq_desc.
struct RawDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(RawDesc) == kDescSize);

// §2.7.8 struct virtq_used_elem.
struct UsedElem {
  uint32_t id;
  uint32_t len;
};
static_assert(sizeof(UsedElem) == kUsedElemSize);

Error Malformed(std::string message) {
  return Error(ErrorCode::kMalformed, std::move(message));
}

Result<void> CheckArea(const GuestMemory& memory, const char* what, uint64_t gpa, uint64_t align,
                       uint64_t len) {
  if (gpa % align != 0)
    return Error(ErrorCode::kInvalidArgument, std::string(what) + " at " + Hex(gpa) + " is not " +
                                                  std::to_string(align) + "-byte aligned");
  if (gpa + len < gpa || !memory.Contains(gpa, len))
    return Error(ErrorCode::kOutOfRange,
                 std::string(what) + " [" + Hex(gpa) + ", +" + Hex(len) + ") is not in guest RAM");
  return Ok();
}

}  // namespace

SplitQueue::SplitQueue(std::shared_ptr<GuestMemory> memory) : memory_(std::move(memory)) {}

Result<void> SplitQueue::Validate(const Config& config, const GuestMemory& memory) {
  const uint32_t size = config.size;
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0)
    return Error(ErrorCode::kInvalidArgument,
                 "queue size " + std::to_string(size) + " is not a power of 2 in [1, 32768]");
  PETREL_TRY(CheckArea(memory, "descriptor table", config.desc_gpa, kDescTableAlign,
                       DescTableBytes(size)));
  PETREL_TRY(
      CheckArea(memory, "available ring", config.avail_gpa, kAvailRingAlign, AvailRingBytes(size)));
  PETREL_TRY(CheckArea(memory, "used ring", config.used_gpa, kUsedRingAlign, UsedRingBytes(size)));
  return Ok();
}

Result<void> SplitQueue::Activate(const Config& config) {
  PETREL_TRY(Validate(config, *memory_).Wrap("activating virtqueue"));
  state_ = State{};
  state_.config = config;
  state_.ready = true;
  return Ok();
}

void SplitQueue::Reset() {
  state_ = State{};
}

Result<uint16_t> SplitQueue::ReadAvailIdx() const {
  PETREL_ASSIGN_OR_RETURN(uint16_t idx,
                          memory_->LoadAtomic<uint16_t>(state_.config.avail_gpa + kAvailIdxOffset));
  // §2.7.13.3: the driver writes ring entries before avail.idx; read them after.
  std::atomic_thread_fence(std::memory_order_acquire);
  return idx;
}

Result<std::optional<DescriptorChain>> SplitQueue::Pop() {
  if (!state_.ready) return Error(ErrorCode::kInvalidArgument, "virtqueue is not ready");
  const Config& c = state_.config;
  PETREL_ASSIGN_OR_RETURN(uint16_t avail_idx, ReadAvailIdx());
  if (avail_idx == state_.next_avail) {
    if (!c.event_idx) return std::optional<DescriptorChain>();
    // §2.7.10: ask for a notification when the driver makes slot next_avail
    // available, then look again in case it did so before seeing our write.
    PETREL_TRY(
        memory_->StoreAtomic<uint16_t>(c.used_gpa + AvailEventOffset(c.size), state_.next_avail));
    std::atomic_thread_fence(std::memory_order_seq_cst);
    PETREL_ASSIGN_OR_RETURN(avail_idx, ReadAvailIdx());
    if (avail_idx == state_.next_avail) return std::optional<DescriptorChain>();
  }
  const auto pending = static_cast<uint16_t>(avail_idx - state_.next_avail);
  if (pending > c.size)
    return Malformed("avail.idx " + std::to_string(avail_idx) + " is " + std::to_string(pending) +
                     " entries past the device's " + std::to_string(state_.next_avail) +
                     " in a queue of " + std::to_string(c.size));
  const uint64_t slot = state_.next_avail & (c.size - 1);
  PETREL_ASSIGN_OR_RETURN(uint16_t head,
                          memory_->LoadAtomic<uint16_t>(c.avail_gpa + kAvailRingOffset + 2 * slot));
  DescriptorChain chain;
  PETREL_TRY(WalkChain(head, chain)
                 .Wrap("descriptor chain at avail slot " + std::to_string(state_.next_avail)));
  ++state_.next_avail;
  return std::optional<DescriptorChain>(std::move(chain));
}

Result<void> SplitQueue::WalkChain(uint16_t head, DescriptorChain& chain) const {
  const Config& c = state_.config;
  if (head >= c.size)
    return Malformed("head index " + std::to_string(head) + " >= queue size " +
                     std::to_string(c.size));
  chain.head = head;
  uint64_t table = c.desc_gpa;
  uint32_t table_count = c.size;  // descriptors in the table being walked
  uint32_t visited = 0;           // descriptors walked in that table
  bool in_indirect = false;
  bool seen_writable = false;
  uint64_t total = 0;
  uint16_t index = head;
  while (true) {
    // §2.7.5.2: a chain is at most the queue size long (loops are forbidden);
    // §2.7.5.3.1: likewise within an indirect table.
    if (++visited > table_count)
      return Malformed("descriptor chain loops or exceeds its table of " +
                       std::to_string(table_count));
    // Read once; every check below uses this copy (the guest may rewrite it).
    PETREL_ASSIGN_OR_RETURN(const RawDesc d, memory_->ReadObj<RawDesc>(table + kDescSize * index));
    if (d.flags & kDescFIndirect) {
      // §2.7.5.3.1 driver requirements, checked on the device side.
      if (!c.indirect) return Malformed("indirect descriptor without VIRTIO_F_INDIRECT_DESC");
      if (in_indirect) return Malformed("nested indirect descriptor");
      if (d.flags & kDescFNext) return Malformed("indirect descriptor with NEXT set");
      if (d.len == 0 || d.len % kDescSize != 0)
        return Malformed("indirect table length " + std::to_string(d.len) +
                         " is not a non-zero multiple of 16");
      if (d.len / kDescSize > kMaxIndirectDescriptors)
        return Malformed("indirect table of " + std::to_string(d.len / kDescSize) +
                         " descriptors exceeds the cap of " +
                         std::to_string(kMaxIndirectDescriptors));
      if (d.addr + d.len < d.addr || !memory_->Contains(d.addr, d.len))
        return Malformed("indirect table [" + Hex(d.addr) + ", +" + Hex(d.len) +
                         ") is not in guest RAM");
      // §2.7.5.3.2: zero or more direct descriptors, then one indirect table.
      table = d.addr;
      table_count = static_cast<uint32_t>(d.len / kDescSize);
      visited = 0;
      in_indirect = true;
      index = 0;
      continue;
    }
    if (d.len > 0) {
      if (d.addr + d.len < d.addr || !memory_->Contains(d.addr, d.len))
        return Malformed("buffer [" + Hex(d.addr) + ", +" + Hex(d.len) + ") is not in guest RAM");
      const bool writable = (d.flags & kDescFWrite) != 0;
      // §2.7.4.2: device-readable descriptors come before device-writable ones.
      if (!writable && seen_writable) return Malformed("readable buffer after a writable one");
      seen_writable |= writable;
      total += d.len;
      if (total > kMaxChainBytes)
        return Malformed("descriptor chain longer than " + std::to_string(kMaxChainBytes) +
                         " bytes");
      chain.buffers.push_back({d.addr, d.len, writable});
      (writable ? chain.writable_len : chain.readable_len) += d.len;
    }
    if (!(d.flags & kDescFNext)) return Ok();
    if (d.next >= table_count)
      return Malformed("next index " + std::to_string(d.next) + " >= table size " +
                       std::to_string(table_count));
    index = d.next;
  }
}

Result<void> SplitQueue::AddUsed(uint16_t head, uint32_t len) {
  if (!state_.ready) return Error(ErrorCode::kInvalidArgument, "virtqueue is not ready");
  const Config& c = state_.config;
  if (head >= c.size)
    return Error(ErrorCode::kInvalidArgument,
                 "used head " + std::to_string(head) + " >= queue size " + std::to_string(c.size));
  const uint64_t slot = state_.next_used & (c.size - 1);
  PETREL_TRY(
      memory_->WriteObj(c.used_gpa + kUsedRingOffset + kUsedElemSize * slot, UsedElem{head, len}));
  // §2.7.8.2 / §2.7.13.3: the element must be visible before used.idx moves.
  std::atomic_thread_fence(std::memory_order_release);
  const auto next = static_cast<uint16_t>(state_.next_used + 1);
  PETREL_TRY(memory_->StoreAtomic<uint16_t>(c.used_gpa + kUsedIdxOffset, next));
  state_.next_used = next;
  return Ok();
}

bool SplitQueue::NeedsNotification() {
  if (!state_.ready) return false;
  const Config& c = state_.config;
  // Order the used.idx store before the loads of the driver's suppression
  // fields (a store-load pair: only a full fence does it).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint16_t old_used = state_.signalled_used;
  const bool old_valid = state_.signalled_used_valid;
  state_.signalled_used = state_.next_used;
  state_.signalled_used_valid = true;
  if (!c.event_idx) {
    // §2.7.7.2: without EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses.
    auto flags = memory_->LoadAtomic<uint16_t>(c.avail_gpa + kAvailFlagsOffset);
    if (!flags.ok()) return true;  // rings were validated; notify if in doubt
    return (*flags & kAvailFNoInterrupt) == 0;
  }
  // §2.7.7.2: notify iff used.idx moved past used_event since the last decision.
  auto used_event = memory_->LoadAtomic<uint16_t>(c.avail_gpa + UsedEventOffset(c.size));
  if (!used_event.ok() || !old_valid) return true;
  return VringNeedEvent(*used_event, state_.next_used, old_used);
}

Result<void> SplitQueue::Restore(const State& state) {
  if (!state.ready) {
    if (!(state == State{}))
      return Error(ErrorCode::kInvalidArgument, "virtqueue state: not ready but not reset");
  } else {
    PETREL_TRY(Validate(state.config, *memory_).Wrap("restoring virtqueue"));
  }
  state_ = state;
  return Ok();
}

}  // namespace petrel::virtio
