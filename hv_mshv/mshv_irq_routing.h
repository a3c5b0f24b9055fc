// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvIrqRouting: the partition's MSI routing table (MSHV_SET_MSI_ROUTING)
// and MSI vectors as irqfds (MSHV_IRQFD).
//
// MSHV has no in-kernel PIC or IOAPIC: every route is an MSI
// (struct mshv_user_irq_entry {gsi, address_lo, address_hi, data}), and the
// VMM's IOAPIC pins are MSIs like any other. MSHV_SET_MSI_ROUTING replaces
// the whole table, so each change installs all routes again, in GSI order.
// Each vector takes the lowest free GSI from 0 (the kernel takes GSIs below
// MSHV_MAX_GUEST_IRQS, 4096), gets an eventfd, and MSHV_IRQFD binds the
// eventfd to the GSI, so Signal() is one eventfd write the kernel turns into
// the interrupt. The kernel refuses a route with a non-zero address_hi
// (drivers/hv/mshv_irq.c); SetMessage reports such a message as
// kInvalidArgument.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/hv/hypervisor.h"
#include "hv_mshv/mshv_driver.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

// The table for `msis` (gsi -> message), in GSI order. Pure, for tests.
std::vector<MshvUserIrqEntry> BuildMsiRoutes(const std::map<uint32_t, hv::MsiMessage>& msis);

class MshvIrqRouting : public std::enable_shared_from_this<MshvIrqRouting> {
 public:
  MshvIrqRouting(std::shared_ptr<MshvDriver> driver, std::shared_ptr<const UniqueFd> partition_fd,
                 uint32_t max_routes = kMaxGuestIrqs)
      : driver_(std::move(driver)), fd_(std::move(partition_fd)), max_routes_(max_routes) {}

  // A new MSI vector at the lowest free GSI, message 0:0, with its irqfd.
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsi();

 private:
  class Msi;
  Result<void> SetMessage(uint32_t gsi, const hv::MsiMessage& message);
  void Release(uint32_t gsi);
  Result<void> InstallLocked();

  std::shared_ptr<MshvDriver> driver_;
  std::shared_ptr<const UniqueFd> fd_;
  const uint32_t max_routes_;
  std::mutex mu_;
  std::map<uint32_t, hv::MsiMessage> msis_;  // gsi -> message
};

}  // namespace petrel::mshv
