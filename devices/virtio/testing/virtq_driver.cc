// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtqDriver (see virtq_driver.h): the guest side of a split virtqueue.
#include "devices/virtio/testing/virtq_driver.h"

#include <atomic>
#include <string>
#include <utility>

#include "devices/virtio/virtio_spec.h"

namespace petrel::virtio::testing {
namespace {

uint64_t AlignUp(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

}  // namespace

VirtqDriver::VirtqDriver(std::shared_ptr<GuestMemory> memory, const Options& options,
                         SplitQueue::Config config)
    : memory_(std::move(memory)),
      config_(config),
      data_next_(options.data_gpa),
      data_end_(options.data_gpa + options.data_size),
      in_flight_(options.size) {
  for (uint32_t i = options.size; i > 0; --i) free_.push_back(static_cast<uint16_t>(i - 1));
}

Result<VirtqDriver> VirtqDriver::Create(std::shared_ptr<GuestMemory> memory,
                                        const Options& options) {
  SplitQueue::Config config;
  config.size = options.size;
  config.desc_gpa = AlignUp(options.ring_gpa, kDescTableAlign);
  config.avail_gpa = config.desc_gpa + DescTableBytes(options.size);
  config.used_gpa = AlignUp(config.avail_gpa + AvailRingBytes(options.size), kUsedRingAlign);
  config.event_idx = options.event_idx;
  config.indirect = options.indirect;
  PETREL_TRY(SplitQueue::Validate(config, *memory));
  if (!memory->Contains(options.data_gpa, options.data_size))
    return Error(ErrorCode::kOutOfRange, "driver data area is not in guest RAM");
  PETREL_TRY(memory->Fill(config.desc_gpa, 0,
                          config.used_gpa + UsedRingBytes(options.size) - config.desc_gpa));
  return VirtqDriver(std::move(memory), options, config);
}

Result<uint64_t> VirtqDriver::Alloc(uint32_t len) {
  const uint64_t gpa = AlignUp(data_next_, 16);
  if (gpa > data_end_ || len > data_end_ - gpa)
    return Error(ErrorCode::kOutOfRange, "driver data area exhausted");
  data_next_ = gpa + len;
  return gpa;
}

Result<uint64_t> VirtqDriver::AllocBytes(std::span<const uint8_t> bytes) {
  PETREL_ASSIGN_OR_RETURN(uint64_t gpa, Alloc(static_cast<uint32_t>(bytes.size())));
  PETREL_TRY(memory_->Write(gpa, bytes));
  return gpa;
}

Result<uint16_t> VirtqDriver::Publish(uint16_t head) {
  PETREL_TRY(SetAvailRing(avail_idx_, head));
  ++avail_idx_;
  return head;
}

Result<uint16_t> VirtqDriver::AddChain(std::span<const Segment> segments) {
  if (segments.empty() || segments.size() > free_.size())
    return Error(ErrorCode::kBusy, "not enough free descriptors");
  std::vector<uint16_t> used;
  for (size_t i = 0; i < segments.size(); ++i) {
    used.push_back(free_.back());
    free_.pop_back();
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    RawDesc d{
        segments[i].gpa, segments[i].len,
        static_cast<uint16_t>((segments[i].writable ? kDescFWrite : 0) | (last ? 0 : kDescFNext)),
        last ? uint16_t{0} : used[i + 1]};
    PETREL_TRY(WriteDesc(used[i], d));
  }
  const uint16_t head = used[0];
  in_flight_[head] = std::move(used);
  return Publish(head);
}

Result<uint16_t> VirtqDriver::AddIndirectChain(std::span<const Segment> segments) {
  if (segments.empty()) return Error(ErrorCode::kInvalidArgument, "empty indirect chain");
  if (free_.empty()) return Error(ErrorCode::kBusy, "no free descriptors");
  PETREL_ASSIGN_OR_RETURN(uint64_t table,
                          Alloc(static_cast<uint32_t>(kDescSize * segments.size())));
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    RawDesc d{
        segments[i].gpa, segments[i].len,
        static_cast<uint16_t>((segments[i].writable ? kDescFWrite : 0) | (last ? 0 : kDescFNext)),
        static_cast<uint16_t>(last ? 0 : i + 1)};
    PETREL_TRY(WriteDescAt(table + kDescSize * i, d));
  }
  const uint16_t head = free_.back();
  free_.pop_back();
  PETREL_TRY(WriteDesc(
      head, {table, static_cast<uint32_t>(kDescSize * segments.size()), kDescFIndirect, 0}));
  in_flight_[head] = {head};
  return Publish(head);
}

Result<VirtqDriver::Request> VirtqDriver::AddRequest(
    const std::vector<std::vector<uint8_t>>& readable, const std::vector<uint32_t>& writable_lens,
    bool indirect) {
  Request req;
  for (const auto& bytes : readable) {
    PETREL_ASSIGN_OR_RETURN(uint64_t gpa, AllocBytes(bytes));
    req.segments.push_back({gpa, static_cast<uint32_t>(bytes.size()), false});
  }
  for (uint32_t len : writable_lens) {
    PETREL_ASSIGN_OR_RETURN(uint64_t gpa, Alloc(len));
    PETREL_TRY(memory_->Fill(gpa, 0, len));
    req.segments.push_back({gpa, len, true});
  }
  PETREL_ASSIGN_OR_RETURN(req.head,
                          indirect ? AddIndirectChain(req.segments) : AddChain(req.segments));
  return req;
}

Result<std::vector<uint8_t>> VirtqDriver::ReadBytes(uint64_t gpa, uint32_t len) const {
  std::vector<uint8_t> out(len);
  PETREL_TRY(memory_->Read(gpa, out));
  return out;
}

Result<void> VirtqDriver::Kick() {
  // §2.7.13.2: ring entries before avail.idx.
  std::atomic_thread_fence(std::memory_order_release);
  return SetAvailIdx(avail_idx_);
}

Result<std::optional<VirtqDriver::UsedElem>> VirtqDriver::PopUsed() {
  PETREL_ASSIGN_OR_RETURN(uint16_t used_idx, UsedIdx());
  if (used_idx == last_used_) return std::optional<UsedElem>();
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint64_t slot = last_used_ & (config_.size - 1);
  PETREL_ASSIGN_OR_RETURN(auto elem, memory_->ReadObj<UsedElem>(config_.used_gpa + kUsedRingOffset +
                                                                kUsedElemSize * slot));
  ++last_used_;
  if (elem.id < in_flight_.size()) {
    for (uint16_t d : in_flight_[elem.id]) free_.push_back(d);
    in_flight_[elem.id].clear();
  }
  return std::optional<UsedElem>(elem);
}

Result<void> VirtqDriver::SetAvailFlags(uint16_t flags) {
  return memory_->StoreAtomic<uint16_t>(config_.avail_gpa + kAvailFlagsOffset, flags);
}

Result<void> VirtqDriver::SetUsedEvent(uint16_t used_event) {
  return memory_->StoreAtomic<uint16_t>(config_.avail_gpa + UsedEventOffset(config_.size), used_event);
}

Result<uint16_t> VirtqDriver::UsedFlags() const {
  return memory_->LoadAtomic<uint16_t>(config_.used_gpa + kUsedFlagsOffset);
}

Result<uint16_t> VirtqDriver::AvailEvent() const {
  return memory_->LoadAtomic<uint16_t>(config_.used_gpa + AvailEventOffset(config_.size));
}

Result<uint16_t> VirtqDriver::UsedIdx() const {
  return memory_->LoadAtomic<uint16_t>(config_.used_gpa + kUsedIdxOffset);
}

Result<void> VirtqDriver::WriteDesc(uint16_t index, const RawDesc& desc) {
  if (index >= config_.size)
    return Error(ErrorCode::kInvalidArgument,
                 "descriptor " + std::to_string(index) + " outside the table");
  return WriteDescAt(config_.desc_gpa + kDescSize * index, desc);
}

Result<void> VirtqDriver::WriteDescAt(uint64_t gpa, const RawDesc& desc) {
  static_assert(sizeof(RawDesc) == kDescSize);
  return memory_->WriteObj(gpa, desc);
}

Result<void> VirtqDriver::SetAvailRing(uint16_t slot, uint16_t head) {
  const uint64_t s = slot & (config_.size - 1);
  return memory_->WriteObj(config_.avail_gpa + kAvailRingOffset + 2 * s, head);
}

Result<void> VirtqDriver::SetAvailIdx(uint16_t idx) {
  return memory_->StoreAtomic<uint16_t>(config_.avail_gpa + kAvailIdxOffset, idx);
}

}  // namespace petrel::virtio::testing
