// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvPartition: one partition fd (MSHV_CREATE_PARTITION) and the driver it
// talks through, shared by the MshvVm and its vCPUs (which keep it alive).
//
// Time freeze: the partition is created frozen (partition property
// TIME_FREEZE = 1, as Cloud Hypervisor does after MSHV_INITIALIZE_PARTITION,
// so the guest's reference time does not run while the VMM builds the VM).
// ThawOnce() sets TIME_FREEZE = 0 the first time any vCPU enters Run();
// SetTimeFrozen() is the VM's pause and resume.
// It also carries the guest RAM (SetMemory/memory()) the vCPUs' emulation
// needs.
#pragma once

#include <memory>
#include <mutex>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/memory/guest_memory.h"
#include "hv_mshv/mshv_driver.h"
#include "hv_mshv/mshv_hvcall.h"

namespace petrel::mshv {

class MshvPartition {
 public:
  MshvPartition(std::shared_ptr<MshvDriver> driver, UniqueFd fd)
      : driver_(std::move(driver)), fd_(std::make_shared<const UniqueFd>(std::move(fd))) {}

  MshvDriver& driver() const { return *driver_; }
  const std::shared_ptr<MshvDriver>& shared_driver() const { return driver_; }
  int fd() const { return fd_->get(); }
  const std::shared_ptr<const UniqueFd>& shared_fd() const { return fd_; }

  Result<void> SetProperty(uint32_t code, uint64_t value) {
    return SetPartitionProperty(*driver_, fd_->get(), code, value);
  }

  // Guest RAM once MshvVm::MapMemory mapped it (null before): the vCPUs'
  // instruction emulation reads and writes RAM through it.
  void SetMemory(std::shared_ptr<GuestMemory> memory) {
    std::lock_guard lock(mu_);
    memory_ = std::move(memory);
  }
  std::shared_ptr<GuestMemory> memory() const {
    std::lock_guard lock(mu_);
    return memory_;
  }

  // hv::Vm::Pause/Resume: TIME_FREEZE = 1 / 0 (Cloud Hypervisor's
  // MshvVm::pause/resume). After a Resume, ThawOnce has nothing left to do.
  Result<void> SetTimeFrozen(bool frozen) {
    std::lock_guard lock(mu_);
    PETREL_TRY(SetProperty(kPropTimeFreeze, frozen ? 1 : 0)
                   .Wrap(frozen ? "freezing the partition's time" : "unfreezing the partition's time"));
    thawed_ = !frozen;
    return Ok();
  }

  Result<void> ThawOnce() {
    std::lock_guard lock(mu_);
    if (thawed_) return Ok();
    PETREL_TRY(SetProperty(kPropTimeFreeze, 0).Wrap("unfreezing the partition's time"));
    thawed_ = true;
    return Ok();
  }

 private:
  std::shared_ptr<MshvDriver> driver_;
  std::shared_ptr<const UniqueFd> fd_;
  mutable std::mutex mu_;
  bool thawed_ = false;
  std::shared_ptr<GuestMemory> memory_;
};

}  // namespace petrel::mshv
