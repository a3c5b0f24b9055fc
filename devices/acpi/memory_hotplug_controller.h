// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MemoryHotplugController: the VMM side of ACPI memory hot-plug, the register
// block the DSDT's `\_SB_.MHPC` and its methods drive (layout in
// core/acpi/memory_hotplug_registers.h, as Cloud Hypervisor's).
//
// Memory is hot-plugged as DIMM-like slots: kSlots ranges of guest RAM in the
// hot-plug area above the boot RAM, each described to the guest by a slot
// device `\_SB_.MHPC.M000` .. (PNP0C80, a memory device) whose _STA, _CRS
// and _EJ0 ask this controller. It does not map memory: the VMM (vmm/) maps
// the RAM of a range, then calls Insert() with its guest address, raises the
// GED's memory event (bit 1), and the guest's MSCN finds the slot and adds
// the range; for a removal the VMM calls RequestRemoval(), the guest offlines
// the range and calls the slot's _EJ0, and `on_eject(slot, base, length)` tells the VMM it
// may unmap it. Not wired into the VM yet: the VMM does that in vmm/, with
// its layout of the hot-plug area.
//
// Per slot it keeps what the guest may see and do:
//   base, length       the range (MHBL/MHBH, MHLL/MHLH), 0 for a free slot
//   proximity          its NUMA proximity domain (MHPX)
//   enabled            the slot holds memory: _STA says 0xF (MEN_)
//   inserting          inserted, and the guest has not scanned it yet (MINS)
//   removing           a removal the guest has not scanned yet (MRMV)
//   removal_requested  the VMM asked for the removal; only such a slot may
//                      be ejected
// The guest's MSCN scans every slot, notifies the slot devices (Device Check
// for an insertion, Eject Request for a removal) and acknowledges each flag
// by writing it back. Its _EJ0 writes MEJ0: the controller frees the slot
// (all zero) and calls `on_eject(slot, base, length)` with the range it held, on that vCPU thread and without its
// lock. Cloud Hypervisor does not implement ejection (it logs MEJ0); Petrel
// does.
//
// The guest is hostile: any slot may be selected (one >= kSlots reads 0 and
// ignores writes); an eject of a slot the VMM did not ask to remove is
// ignored; an access of the wrong width (the DWord fields take DWords, the
// status takes bytes) or at no field reads 0 and is ignored. Each is logged
// once.
//
// Thread-safety: safe from any thread (vCPU threads access the registers,
// the VMM inserts and removes).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/acpi/memory_hotplug_registers.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class MemoryHotplugController final : public BusDevice {
 public:
  static constexpr uint64_t kSize = acpi::kMemoryHotplugSize;
  static constexpr uint32_t kSlots = acpi::kMemoryHotplugSlots;
  // The ejected slot and the range it held (the slot is already free).
  using OnEject = std::function<void(uint32_t slot, uint64_t base, uint64_t length)>;

  struct Slot {
    uint64_t base = 0;
    uint64_t length = 0;  // 0 for a free slot
    uint32_t proximity = 0;
    bool enabled = false;
    bool inserting = false;
    bool removing = false;
    bool removal_requested = false;
    bool operator==(const Slot&) const = default;
  };
  struct State {
    uint32_t selected = 0;    // MSEL, as the guest wrote it
    std::vector<Slot> slots;  // kSlots of them
    bool operator==(const State&) const = default;
  };

  explicit MemoryHotplugController(OnEject on_eject);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // The range [base, base + length) of RAM is in `slot` now: enabled, and
  // announced by the next scan. kInvalidArgument for a slot >= kSlots, an
  // empty or wrapping range, or one overlapping another slot's;
  // kFailedPrecondition for a slot that is not free.
  Result<void> Insert(uint32_t slot, uint64_t base, uint64_t length, uint32_t proximity = 0);
  // Asks the guest to eject the memory in `slot`. Asking again is Ok: still
  // one request, announced again by the next scan. kInvalidArgument for a
  // slot >= kSlots, kFailedPrecondition for a free slot.
  Result<void> RequestRemoval(uint32_t slot);
  // Withdraws a removal the guest has not ejected yet: the memory stays, and
  // a later eject of the slot is ignored. kInvalidArgument for a slot >=
  // kSlots, kFailedPrecondition if no removal of it is pending.
  Result<void> CancelRemoval(uint32_t slot);
  // A removal of `slot` was requested and not ejected yet.
  bool removal_pending(uint32_t slot) const;
  // The slot as the guest sees it; nullopt for a slot >= kSlots.
  std::optional<Slot> slot(uint32_t slot) const;
  // The lowest free slot, if any.
  std::optional<uint32_t> free_slot() const;

  State Save() const;
  // kInvalidArgument for a state of another size or one no sequence of
  // operations reaches (a free slot with a range or flags, an empty or
  // wrapping range, overlapping ranges, MRMV without a request).
  Result<void> Restore(const State& state);

 private:
  const OnEject on_eject_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
