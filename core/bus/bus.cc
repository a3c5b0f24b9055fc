// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Bus (see bus.h).
#include "core/bus/bus.h"

#include <mutex>

namespace petrel {

Bus::Registration& Bus::Registration::operator=(Registration&& o) noexcept {
  if (this != &o) {
    Reset();
    bus_ = o.bus_;
    base_ = o.base_;
    o.bus_ = nullptr;
  }
  return *this;
}

void Bus::Registration::Reset() {
  if (bus_ != nullptr) bus_->Remove(base_);
  bus_ = nullptr;
}

Result<Bus::Registration> Bus::Insert(uint64_t base, uint64_t size,
                                      std::shared_ptr<BusDevice> device) {
  if (size == 0 || !device) return Error(ErrorCode::kInvalidArgument, name_ + ": empty range");
  if (base + size < base) return Error(ErrorCode::kOutOfRange, name_ + ": range wraps");
  std::unique_lock lock(mu_);
  auto next = ranges_.lower_bound(base);
  if (next != ranges_.end() && next->first < base + size)
    return Error(ErrorCode::kInvalidArgument, name_ + ": range overlaps an existing device");
  if (next != ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > base)
      return Error(ErrorCode::kInvalidArgument, name_ + ": range overlaps an existing device");
  }
  ranges_.emplace(base, Range{size, std::move(device)});
  return Registration(this, base);
}

void Bus::Remove(uint64_t base) {
  std::unique_lock lock(mu_);
  ranges_.erase(base);
}

bool Bus::Lookup(uint64_t addr, uint64_t len, Target* out) const {
  std::shared_lock lock(mu_);
  auto it = ranges_.upper_bound(addr);
  if (it == ranges_.begin()) return false;
  --it;
  uint64_t offset = addr - it->first;
  if (offset >= it->second.size || len > it->second.size - offset) return false;
  out->device = it->second.device;
  out->offset = offset;
  return true;
}

bool Bus::Read(uint64_t addr, std::span<uint8_t> data) const {
  Target t;
  if (!Lookup(addr, data.size(), &t)) return false;
  t.device->Read(t.offset, data);
  return true;
}

bool Bus::Write(uint64_t addr, std::span<const uint8_t> data) const {
  Target t;
  if (!Lookup(addr, data.size(), &t)) return false;
  t.device->Write(t.offset, data);
  return true;
}

}  // namespace petrel
