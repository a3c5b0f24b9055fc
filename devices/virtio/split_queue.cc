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

Result<void> CheckArea(const GuestMemory& memory, const DmaTranslator* dma, const char* what,
                       uint64_t addr, uint64_t align, uint64_t len, DmaAccess access) {
  if (addr % align != 0)
    return Error(ErrorCode::kInvalidArgument, std::string(what) + " at " + Hex(addr) + " is not " +
                                                  std::to_string(align) + "-byte aligned");
  const auto outside = [&] {
    return Error(ErrorCode::kOutOfRange,
                 std::string(what) + " [" + Hex(addr) + ", +" + Hex(len) + ") is not in guest RAM");
  };
  if (addr + len < addr) return outside();
  if (dma == nullptr) return memory.Contains(addr, len) ? Ok() : Result<void>(outside());
  return ForEachDmaExtent(*dma, addr, len, access,
                          [&](uint64_t gpa, uint64_t, uint64_t n) -> Result<void> {
                            if (!memory.Contains(gpa, n)) return outside();
                            return Ok();
                          })
      .Wrap(what);
}

}  // namespace

SplitQueue::SplitQueue(std::shared_ptr<GuestMemory> memory,
                       std::shared_ptr<const DmaTranslator> dma)
    : memory_(std::move(memory)), dma_(std::move(dma)) {}

Result<void> SplitQueue::Validate(const Config& config, const GuestMemory& memory,
                                  const DmaTranslator* dma) {
  const uint32_t size = config.size;
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0)
    return Error(ErrorCode::kInvalidArgument,
                 "queue size " + std::to_string(size) + " is not a power of 2 in [1, 32768]");
  PETREL_TRY(CheckArea(memory, dma, "descriptor table", config.desc_gpa, kDescTableAlign,
                       DescTableBytes(size), DmaAccess::kRead));
  PETREL_TRY(CheckArea(memory, dma, "available ring", config.avail_gpa, kAvailRingAlign,
                       AvailRingBytes(size), DmaAccess::kRead));
  PETREL_TRY(CheckArea(memory, dma, "used ring", config.used_gpa, kUsedRingAlign,
                       UsedRingBytes(size), DmaAccess::kWrite));
  return Ok();
}

Result<void> SplitQueue::Activate(const Config& config) {
  PETREL_TRY(Validate(config, *memory_, dma_.get()).Wrap("activating virtqueue"));
  state_ = State{};
  state_.config = config;
  state_.ready = true;
  return Ok();
}

void SplitQueue::Reset() {
  state_ = State{};
}

Result<uint16_t> SplitQueue::Load16(uint64_t addr) const {
  if (dma_ == nullptr) return memory_->LoadAtomic<uint16_t>(addr);
  // A 2-byte aligned field never straddles two IOMMU pages.
  PETREL_ASSIGN_OR_RETURN(const DmaExtent e, dma_->Translate(addr, 2, DmaAccess::kRead));
  if (e.len < 2) return Malformed("ring field at " + Hex(addr) + " straddles two mappings");
  return memory_->LoadAtomic<uint16_t>(e.gpa);
}

Result<void> SplitQueue::Store16(uint64_t addr, uint16_t value) {
  if (dma_ == nullptr) return memory_->StoreAtomic<uint16_t>(addr, value);
  PETREL_ASSIGN_OR_RETURN(const DmaExtent e, dma_->Translate(addr, 2, DmaAccess::kWrite));
  if (e.len < 2) return Malformed("ring field at " + Hex(addr) + " straddles two mappings");
  return memory_->StoreAtomic<uint16_t>(e.gpa, value);
}

Result<void> SplitQueue::ReadRing(uint64_t addr, std::span<uint8_t> out) const {
  if (dma_ == nullptr) return memory_->Read(addr, out);
  return ForEachDmaExtent(*dma_, addr, out.size(), DmaAccess::kRead,
                          [&](uint64_t gpa, uint64_t offset, uint64_t n) {
                            return memory_->Read(gpa, out.subspan(offset, n));
                          });
}

Result<void> SplitQueue::WriteRing(uint64_t addr, std::span<const uint8_t> in) {
  if (dma_ == nullptr) return memory_->Write(addr, in);
  return ForEachDmaExtent(*dma_, addr, in.size(), DmaAccess::kWrite,
                          [&](uint64_t gpa, uint64_t offset, uint64_t n) {
                            return memory_->Write(gpa, in.subspan(offset, n));
                          });
}

Result<void> SplitQueue::AddBuffer(uint64_t addr, uint32_t len, bool writable,
                                   DescriptorChain& chain) const {
  const auto outside = [&] {
    return Malformed("buffer [" + Hex(addr) + ", +" + Hex(len) + ") is not in guest RAM");
  };
  const auto add = [&](uint64_t gpa, uint64_t n) -> Result<void> {
    if (gpa + n < gpa || !memory_->Contains(gpa, n)) return outside();
    ChainBuffer* last = chain.buffers.empty() ? nullptr : &chain.buffers.back();
    // Pieces the IOMMU maps one after the other in guest memory stay one buffer.
    if (last != nullptr && dma_ != nullptr && last->writable == writable &&
        last->gpa + last->len == gpa && uint64_t{last->len} + n <= UINT32_MAX) {
      last->len += static_cast<uint32_t>(n);
      return Ok();
    }
    if (chain.buffers.size() >= kMaxChainBuffers)
      return Malformed("descriptor chain of more than " + std::to_string(kMaxChainBuffers) +
                       " buffers");
    chain.buffers.push_back({gpa, static_cast<uint32_t>(n), writable});
    return Ok();
  };
  if (dma_ == nullptr) return add(addr, len);
  if (addr + len < addr) return outside();
  return ForEachDmaExtent(*dma_, addr, len, writable ? DmaAccess::kWrite : DmaAccess::kRead,
                          [&](uint64_t gpa, uint64_t, uint64_t n) { return add(gpa, n); });
}

Result<uint16_t> SplitQueue::ReadAvailIdx() const {
  PETREL_ASSIGN_OR_RETURN(uint16_t idx, Load16(state_.config.avail_gpa + kAvailIdxOffset));
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
    PETREL_TRY(Store16(c.used_gpa + AvailEventOffset(c.size), state_.next_avail));
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
  PETREL_ASSIGN_OR_RETURN(uint16_t head, Load16(c.avail_gpa + kAvailRingOffset + 2 * slot));
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
    RawDesc d{};
    PETREL_TRY(ReadRing(table + kDescSize * index,
                        std::span<uint8_t>(reinterpret_cast<uint8_t*>(&d), sizeof d)));
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
      if (auto in_ram = CheckArea(*memory_, dma_.get(), "indirect table", d.addr, 1, d.len,
                                  DmaAccess::kRead);
          !in_ram.ok())
        return Malformed(in_ram.error().message());
      // §2.7.5.3.2: zero or more direct descriptors, then one indirect table.
      table = d.addr;
      table_count = static_cast<uint32_t>(d.len / kDescSize);
      visited = 0;
      in_indirect = true;
      index = 0;
      continue;
    }
    if (d.len > 0) {
      const bool writable = (d.flags & kDescFWrite) != 0;
      // §2.7.4.2: device-readable descriptors come before device-writable ones.
      if (!writable && seen_writable) return Malformed("readable buffer after a writable one");
      seen_writable |= writable;
      total += d.len;
      if (total > kMaxChainBytes)
        return Malformed("descriptor chain longer than " + std::to_string(kMaxChainBytes) +
                         " bytes");
      PETREL_TRY(AddBuffer(d.addr, d.len, writable, chain));
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
  const UsedElem elem{head, len};
  PETREL_TRY(WriteRing(c.used_gpa + kUsedRingOffset + kUsedElemSize * slot,
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&elem),
                                                sizeof elem)));
  // §2.7.8.2 / §2.7.13.3: the element must be visible before used.idx moves.
  std::atomic_thread_fence(std::memory_order_release);
  const auto next = static_cast<uint16_t>(state_.next_used + 1);
  PETREL_TRY(Store16(c.used_gpa + kUsedIdxOffset, next));
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
    auto flags = Load16(c.avail_gpa + kAvailFlagsOffset);
    if (!flags.ok()) return true;  // rings were validated; notify if in doubt
    return (*flags & kAvailFNoInterrupt) == 0;
  }
  // §2.7.7.2: notify iff used.idx moved past used_event since the last decision.
  auto used_event = Load16(c.avail_gpa + UsedEventOffset(c.size));
  if (!used_event.ok() || !old_valid) return true;
  return VringNeedEvent(*used_event, state_.next_used, old_used);
}

Result<void> SplitQueue::Restore(const State& state) {
  if (!state.ready) {
    if (!(state == State{}))
      return Error(ErrorCode::kInvalidArgument, "virtqueue state: not ready but not reset");
  } else {
    PETREL_TRY(Validate(state.config, *memory_, dma_.get()).Wrap("restoring virtqueue"));
  }
  state_ = state;
  return Ok();
}

}  // namespace petrel::virtio
