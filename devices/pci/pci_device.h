// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciDevice: what the PCI bus and the VMM's PCI platform need from a function
// on it -- its configuration space, a notification after each guest config
// write, and the guest's accesses to its BARs (the platform maps each BAR on
// the MMIO/PIO bus wherever the guest programs it and forwards accesses with
// the offset inside the BAR).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <algorithm>

#include "devices/pci/pci_config_space.h"

namespace petrel {

class PciDevice {
 public:
  virtual ~PciDevice() = default;
  virtual PciConfigSpace& config() = 0;
  // Runs after a guest write of `size` bytes at `offset` was applied to
  // config() (and after any BarMoved callback), on the writing vCPU thread.
  virtual void ConfigWritten(uint16_t offset, size_t size) {
    (void)offset;
    (void)size;
  }
  // Runs before a guest read of `size` bytes at `offset` is served from
  // config() (vCPU thread), so a device can refresh the bytes first (e.g. the
  // virtio 1.2 §4.1.4.9 PCI_CFG window).
  virtual void ConfigRead(uint16_t offset, size_t size) {
    (void)offset;
    (void)size;
  }
  // A guest access at `offset` inside BAR `bar` (vCPU thread). Reads of
  // unclaimed bytes must fill `data` (0 is the usual choice).
  virtual void BarRead(int bar, uint64_t offset, std::span<uint8_t> data) {
    (void)bar;
    (void)offset;
    std::fill(data.begin(), data.end(), uint8_t{0});
  }
  virtual void BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) {
    (void)bar;
    (void)offset;
    (void)data;
  }
  // BAR `bar` now decodes at `new_addr` (0: unmapped), after the platform
  // moved its bus mapping; e.g. to move ioevent doorbells. Guest write
  // thread, inside the config write (calls for one device come in the order
  // of its writes; it must not write config()).
  virtual void BarMoved(int bar, uint64_t old_addr, uint64_t new_addr) {
    (void)bar;
    (void)old_addr;
    (void)new_addr;
  }
};

}  // namespace petrel
