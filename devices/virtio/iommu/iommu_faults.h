// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuFaultQueue: the DMA faults of devices behind a virtio-iommu, on
// their way to its driver. A device's worker reports a fault (its DMA hit an
// IOVA nothing maps, or mapped without the access's permission) from its own
// thread; the queue keeps it and wakes the IOMMU device, whose loop writes
// it into a buffer of the event queue (virtio 1.2 §5.13.6.9) for the
// driver, which logs it. Faults wait here while the driver has no event
// buffer; past kMaxPendingFaults the newest are dropped and counted, so a
// device that keeps faulting cannot make the VMM grow.
//
// Thread-safety: every call takes the queue's lock; the waker runs outside it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace petrel::virtio {

// §5.13.6.9 struct virtio_iommu_fault: u8 reason; u8 reserved[3];
// le32 flags; le32 endpoint; u8 reserved2[4]; le64 address.
inline constexpr uint32_t kIommuFaultBytes = 24;
inline constexpr uint32_t kIommuFaultFlagRead = 1u << 0;
inline constexpr uint32_t kIommuFaultFlagWrite = 1u << 1;
inline constexpr uint32_t kIommuFaultFlagAddress = 1u << 8;  // `address` is valid

struct IommuFault {
  uint8_t reason = 0;  // kIommuFaultReason* (iommu_mappings.h)
  uint32_t flags = 0;  // kIommuFaultFlag*
  uint32_t endpoint = 0;
  uint64_t address = 0;
  std::array<uint8_t, kIommuFaultBytes> Encode() const;
  bool operator==(const IommuFault&) const = default;
};

class IommuFaultQueue {
 public:
  static constexpr size_t kMaxPendingFaults = 64;

  // Keeps `fault` for the driver (or drops it when kMaxPendingFaults wait),
  // logs the first fault of each endpoint, and calls the waker.
  void Report(const IommuFault& fault);
  // Called after each Report() (on the reporting thread, outside the lock);
  // empty: nobody to wake (the IOMMU's driver is not active).
  void SetWaker(std::function<void()> wake);
  bool empty() const;
  // The oldest fault waiting, taken out.
  std::optional<IommuFault> Take();
  // A device reset: the waiting faults are the old driver's.
  void Clear();
  uint64_t reported() const;
  uint64_t dropped() const;

 private:
  mutable std::mutex mu_;
  std::deque<IommuFault> pending_;
  std::function<void()> wake_;
  uint64_t reported_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace petrel::virtio
