// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciHotplugController: the VMM side of ACPI PCI hot-plug on segment 0, the
// register block the DSDT's `\_SB_.PHPR` and `\_SB_.PCI0.PCNT` drive
// (layout in core/acpi/pci_hotplug_registers.h, as Cloud Hypervisor's).
//
// It keeps three bitmaps over the 32 slots (PCI devices) of bus 0:
//   up                 PCIU: slots the VMM plugged since the guest last read it
//   down               PCID: removals the guest has not read yet
//   removal_requested  the VMM asked for the removal; only such a slot may be
//                      ejected, and never slot 0 (the host bridge)
// The VMM puts a device on a free slot and calls Insert(), or asks for a
// removal with RequestRemoval(); then it raises the GED's PCI event, and the
// guest's PCNT reads PCIU and PCID once each (the reads clear them) and
// notifies the slot objects: Device Check for an insertion, Eject Request
// for a removal. The guest releases the device and calls the slot's `_EJ0`,
// which writes the slot's bit to B0EJ: the controller forgets the request
// and calls `on_eject(slot)`, on that vCPU thread and without its lock; the
// VMM then takes the device off the bus.
//
// Presence is the VMM's business (its PCI bus): the controller only carries
// announcements and guards ejects.
//
// The guest is hostile: only segment 0 exists, so any other PSEG value makes
// PCIU and PCID read 0 (without clearing them) and B0EJ do nothing; eject
// bits of slots the VMM did not ask to remove, or of slot 0, are ignored and
// logged once; an access that is not a DWord reads 0 and is ignored, as Cloud
// Hypervisor ignores it.
//
// Thread-safety: safe from any thread (vCPU threads access the registers,
// the VMM inserts and removes).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "core/acpi/pci_hotplug_registers.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class PciHotplugController final : public BusDevice {
 public:
  static constexpr uint64_t kSize = acpi::kPciHotplugSize;
  static constexpr uint32_t kSlots = acpi::kPciHotplugSlots;
  using OnEject = std::function<void(uint8_t slot)>;

  struct State {
    uint32_t segment = 0;            // PSEG, as the guest wrote it
    uint32_t up = 0;                 // PCIU
    uint32_t down = 0;               // PCID
    uint32_t removal_requested = 0;  // slots the guest may eject
    bool operator==(const State&) const = default;
  };

  explicit PciHotplugController(OnEject on_eject);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // A device now sits on `slot`: announced by the next PCNT. Plugging again
  // before the guest scanned is Ok (one announcement). kInvalidArgument for
  // slot 0, a slot >= kSlots, or one whose removal is pending.
  Result<void> Insert(uint8_t slot);
  // Asks the guest to eject the device on `slot` (1 .. kSlots - 1). Asking
  // again is Ok: still one request, announced again by the next PCNT.
  // kInvalidArgument for slot 0 or a slot >= kSlots.
  Result<void> RequestRemoval(uint8_t slot);
  // Withdraws a removal the guest has not ejected yet: a later eject of the
  // slot is ignored. True if there was one.
  bool CancelRemoval(uint8_t slot);
  // A removal of `slot` was requested and not ejected yet.
  bool removal_pending(uint8_t slot) const;

  State Save() const;
  // kInvalidArgument for a state no sequence of operations reaches (a bit
  // for slot 0, a PCID bit without a request).
  Result<void> Restore(const State& state);

 private:
  const OnEject on_eject_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
