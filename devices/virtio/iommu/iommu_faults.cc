// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuFaultQueue (see iommu_faults.h).
#include "devices/virtio/iommu/iommu_faults.h"

#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/hex.h"
#include "core/base/log.h"

namespace petrel::virtio {

std::array<uint8_t, kIommuFaultBytes> IommuFault::Encode() const {
  std::array<uint8_t, kIommuFaultBytes> out{};
  out[0] = reason;
  StoreLe<uint32_t>(out, 4, flags);
  StoreLe<uint32_t>(out, 8, endpoint);
  StoreLe<uint64_t>(out, 16, address);
  return out;
}

void IommuFaultQueue::Report(const IommuFault& fault) {
  PETREL_LOG_ONCE(kWarn, "virtio-iommu fault endpoint " + std::to_string(fault.endpoint))
      << "virtio-iommu: DMA fault from endpoint " << Hex(fault.endpoint) << " at "
      << Hex(fault.address) << ((fault.flags & kIommuFaultFlagWrite) != 0 ? " (write)" : " (read)")
      << ": " << (fault.reason == 1 ? "the endpoint is in no domain" : "no mapping allows it")
      << " (later faults of this endpoint go to the guest's driver only)";
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    ++reported_;
    if (pending_.size() >= kMaxPendingFaults) {
      ++dropped_;
      return;
    }
    pending_.push_back(fault);
    wake = wake_;
  }
  if (wake) wake();
}

void IommuFaultQueue::SetWaker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

bool IommuFaultQueue::empty() const {
  std::lock_guard lock(mu_);
  return pending_.empty();
}

std::optional<IommuFault> IommuFaultQueue::Take() {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return std::nullopt;
  IommuFault f = pending_.front();
  pending_.pop_front();
  return f;
}

void IommuFaultQueue::Clear() {
  std::lock_guard lock(mu_);
  pending_.clear();
}

uint64_t IommuFaultQueue::reported() const {
  std::lock_guard lock(mu_);
  return reported_;
}

uint64_t IommuFaultQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace petrel::virtio
