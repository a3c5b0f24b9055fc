// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciHotplugController: the PCI hot-plug registers (see pci_hotplug_controller.h).
#include "devices/acpi/pci_hotplug_controller.h"

#include <algorithm>
#include <bit>
#include <ios>
#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/log.h"

namespace petrel {

namespace {

constexpr uint32_t kHostBridge = 1u << 0;  // slot 0: never plugged or ejected

bool IsHotplugSlot(uint8_t slot) { return slot != 0 && slot < PciHotplugController::kSlots; }

}  // namespace

PciHotplugController::PciHotplugController(OnEject on_eject) : on_eject_(std::move(on_eject)) {}

void PciHotplugController::Read(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  if (data.size() != acpi::kPciHotplugFieldSize) {
    PETREL_LOG_ONCE(kWarn, "pci-hotplug-width")
        << "pci hotplug: ignoring a " << data.size() << "-byte read at offset " << offset;
    return;
  }
  std::lock_guard lock(mu_);
  uint32_t value = 0;
  switch (offset) {
    case acpi::kPciUpOffset:  // PCIU: read clears
      if (s_.segment == 0) value = std::exchange(s_.up, 0);
      break;
    case acpi::kPciDownOffset:  // PCID: read clears; the requests stand
      if (s_.segment == 0) value = std::exchange(s_.down, 0);
      break;
    case acpi::kPciSegmentOffset:
      value = s_.segment;
      break;
    default:  // B0EJ reads 0: an eject completes within its write
      break;
  }
  StoreLe<uint32_t>(data, 0, value);
}

void PciHotplugController::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.size() != acpi::kPciHotplugFieldSize) {
    PETREL_LOG_ONCE(kWarn, "pci-hotplug-width")
        << "pci hotplug: ignoring a " << data.size() << "-byte write at offset " << offset;
    return;
  }
  const uint32_t value = LoadLe<uint32_t>(data, 0);
  uint32_t ejected = 0;
  {
    std::lock_guard lock(mu_);
    if (offset == acpi::kPciSegmentOffset) {
      s_.segment = value;
      return;
    }
    if (offset != acpi::kPciEjectOffset || value == 0) return;  // PCIU, PCID: read-only
    if (s_.segment != 0) {
      PETREL_LOG_ONCE(kWarn, "pci-hotplug-segment")
          << "pci hotplug: ignoring the guest's eject on PCI segment " << s_.segment
          << ", which does not exist";
      return;
    }
    ejected = value & s_.removal_requested;
    if (value != ejected) {
      PETREL_LOG_ONCE(kWarn, "pci-hotplug-stray-eject")
          << "pci hotplug: ignoring the guest's eject of slots 0x" << std::hex
          << (value & ~ejected) << ", which the VMM did not ask to remove";
    }
    s_.removal_requested &= ~ejected;
    s_.down &= ~ejected;
    s_.up &= ~ejected;  // the device is gone: nothing left to announce
  }
  for (uint32_t bits = ejected; bits != 0; bits &= bits - 1) {
    if (on_eject_) on_eject_(static_cast<uint8_t>(std::countr_zero(bits)));
  }
}

Result<void> PciHotplugController::Insert(uint8_t slot) {
  std::lock_guard lock(mu_);
  if (!IsHotplugSlot(slot) || (s_.removal_requested & (1u << slot))) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot plug PCI slot " + std::to_string(slot) +
                     ": the host bridge's, beyond the bus, or still being removed");
  }
  s_.up |= 1u << slot;
  return Ok();
}

Result<void> PciHotplugController::RequestRemoval(uint8_t slot) {
  std::lock_guard lock(mu_);
  if (!IsHotplugSlot(slot)) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot unplug PCI slot " + std::to_string(slot) +
                     ": the host bridge's or beyond the bus");
  }
  s_.removal_requested |= 1u << slot;
  s_.down |= 1u << slot;
  return Ok();
}

bool PciHotplugController::CancelRemoval(uint8_t slot) {
  std::lock_guard lock(mu_);
  if (!IsHotplugSlot(slot) || !(s_.removal_requested & (1u << slot))) return false;
  s_.removal_requested &= ~(1u << slot);
  s_.down &= ~(1u << slot);
  return true;
}

bool PciHotplugController::removal_pending(uint8_t slot) const {
  std::lock_guard lock(mu_);
  return IsHotplugSlot(slot) && (s_.removal_requested & (1u << slot)) != 0;
}

PciHotplugController::State PciHotplugController::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> PciHotplugController::Restore(const State& state) {
  if (((state.up | state.down | state.removal_requested) & kHostBridge) != 0) {
    return Error(ErrorCode::kInvalidArgument, "pci hotplug state: slot 0 (the host bridge) is set");
  }
  if ((state.down & ~state.removal_requested) != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "pci hotplug state: a removal is announced that was not requested");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
