// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MemoryHotplugController: the memory hot-plug registers (see
// memory_hotplug_controller.h).
#include "devices/acpi/memory_hotplug_controller.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/log.h"

namespace petrel {

namespace {

// [base, base + length) is a non-empty range that does not wrap (it may end
// exactly at 2^64).
bool ValidRange(uint64_t base, uint64_t length) {
  return length != 0 && base <= ~uint64_t{0} - (length - 1);
}

// The last byte, so that a range ending at 2^64 compares without overflow.
bool Overlap(const MemoryHotplugController::Slot& a, uint64_t base, uint64_t length) {
  return a.base <= base + (length - 1) && base <= a.base + (a.length - 1);
}

std::string SlotName(uint32_t slot) {
  return "memory slot " + std::to_string(slot);
}

}  // namespace

MemoryHotplugController::MemoryHotplugController(OnEject on_eject)
    : on_eject_(std::move(on_eject)) {
  s_.slots.resize(kSlots);
}

void MemoryHotplugController::Read(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  const bool dword_field =
      offset % acpi::kMemoryHotplugFieldSize == 0 && offset <= acpi::kMemoryProximityOffset;
  const bool status = offset == acpi::kMemoryStatusOffset;
  if (!(dword_field && data.size() == acpi::kMemoryHotplugFieldSize) &&
      !(status && data.size() == 1)) {
    PETREL_LOG_ONCE(kWarn, "memory-hotplug-access")
        << "memory hotplug: ignoring a " << data.size() << "-byte read at offset " << offset;
    return;
  }
  std::lock_guard lock(mu_);
  if (s_.selected >= kSlots) {
    PETREL_LOG_ONCE(kWarn, "memory-hotplug-selector")
        << "memory hotplug: the guest selected slot " << s_.selected << " of " << kSlots;
    return;
  }
  const Slot& slot = s_.slots[s_.selected];
  if (status) {
    data[0] = static_cast<uint8_t>((slot.enabled ? acpi::kMemoryEnabled : 0) |
                                   (slot.inserting ? acpi::kMemoryInserting : 0) |
                                   (slot.removing ? acpi::kMemoryRemoving : 0));
    return;
  }
  uint32_t value = 0;
  switch (offset) {
    case acpi::kMemoryBaseLowOffset: value = static_cast<uint32_t>(slot.base); break;
    case acpi::kMemoryBaseHighOffset: value = static_cast<uint32_t>(slot.base >> 32); break;
    case acpi::kMemoryLengthLowOffset: value = static_cast<uint32_t>(slot.length); break;
    case acpi::kMemoryLengthHighOffset: value = static_cast<uint32_t>(slot.length >> 32); break;
    default:  // acpi::kMemoryProximityOffset
      value = slot.proximity;
      break;
  }
  StoreLe<uint32_t>(data, 0, value);
}

void MemoryHotplugController::Write(uint64_t offset, std::span<const uint8_t> data) {
  uint32_t ejected = 0;
  Slot was;
  {
    std::lock_guard lock(mu_);
    if (offset == acpi::kMemorySelectOffset && data.size() == acpi::kMemoryHotplugFieldSize) {
      s_.selected = LoadLe<uint32_t>(data, 0);
      return;
    }
    if (offset != acpi::kMemoryStatusOffset || data.size() != 1) {
      // The DWord fields but MSEL are read-only.
      PETREL_LOG_ONCE(kWarn, "memory-hotplug-access")
          << "memory hotplug: ignoring a " << data.size() << "-byte write at offset " << offset;
      return;
    }
    if (s_.selected >= kSlots) {
      PETREL_LOG_ONCE(kWarn, "memory-hotplug-selector")
          << "memory hotplug: the guest selected slot " << s_.selected << " of " << kSlots;
      return;
    }
    Slot& slot = s_.slots[s_.selected];
    const uint8_t bits = data[0];
    if (bits & acpi::kMemoryInserting) slot.inserting = false;  // write 1 to clear
    if (bits & acpi::kMemoryRemoving) slot.removing = false;
    if (!(bits & acpi::kMemoryEject)) return;
    if (!slot.removal_requested) {
      PETREL_LOG_ONCE(kWarn, "memory-hotplug-stray-eject")
          << "memory hotplug: ignoring the guest's eject of " << SlotName(s_.selected)
          << ", which the VMM did not ask to remove";
      return;
    }
    was = slot;
    slot = Slot{};
    ejected = s_.selected;
  }
  if (on_eject_) on_eject_(ejected, was.base, was.length);
}

Result<void> MemoryHotplugController::Insert(uint32_t index, uint64_t base, uint64_t length,
                                             uint32_t proximity) {
  if (index >= kSlots) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot plug " + SlotName(index) + ": there are " + std::to_string(kSlots));
  }
  if (!ValidRange(base, length)) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot plug " + SlotName(index) + ": the range is empty or wraps");
  }
  std::lock_guard lock(mu_);
  Slot& slot = s_.slots[index];
  if (slot.enabled) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot plug " + SlotName(index) + ": it holds memory already");
  }
  for (uint32_t i = 0; i < kSlots; ++i) {
    if (s_.slots[i].enabled && Overlap(s_.slots[i], base, length)) {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot plug " + SlotName(index) + ": the range overlaps " + SlotName(i) + "'s");
    }
  }
  slot = Slot{
      .base = base, .length = length, .proximity = proximity, .enabled = true, .inserting = true};
  return Ok();
}

Result<void> MemoryHotplugController::RequestRemoval(uint32_t index) {
  if (index >= kSlots) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot unplug " + SlotName(index) + ": there are " + std::to_string(kSlots));
  }
  std::lock_guard lock(mu_);
  Slot& slot = s_.slots[index];
  if (!slot.enabled) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot unplug " + SlotName(index) + ": it holds no memory");
  }
  // An unscanned insertion stays announced: MSCN notifies Device Check
  // before Eject Request, so the guest adds the memory it is asked to remove.
  slot.removal_requested = true;
  slot.removing = true;
  return Ok();
}

Result<void> MemoryHotplugController::CancelRemoval(uint32_t index) {
  if (index >= kSlots) {
    return Error(ErrorCode::kInvalidArgument,
                 "no " + SlotName(index) + ": there are " + std::to_string(kSlots));
  }
  std::lock_guard lock(mu_);
  Slot& slot = s_.slots[index];
  if (!slot.removal_requested) {
    return Error(ErrorCode::kFailedPrecondition,
                 "no removal of " + SlotName(index) + " is pending");
  }
  slot.removal_requested = false;
  slot.removing = false;
  return Ok();
}

bool MemoryHotplugController::removal_pending(uint32_t index) const {
  std::lock_guard lock(mu_);
  return index < kSlots && s_.slots[index].removal_requested;
}

std::optional<MemoryHotplugController::Slot> MemoryHotplugController::slot(uint32_t index) const {
  if (index >= kSlots) return std::nullopt;
  std::lock_guard lock(mu_);
  return s_.slots[index];
}

std::optional<uint32_t> MemoryHotplugController::free_slot() const {
  std::lock_guard lock(mu_);
  for (uint32_t i = 0; i < kSlots; ++i) {
    if (!s_.slots[i].enabled) return i;
  }
  return std::nullopt;
}

MemoryHotplugController::State MemoryHotplugController::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> MemoryHotplugController::Restore(const State& state) {
  if (state.slots.size() != kSlots) {
    return Error(ErrorCode::kInvalidArgument,
                 "memory hotplug state: " + std::to_string(state.slots.size()) +
                     " slots, the controller has " + std::to_string(kSlots));
  }
  for (uint32_t i = 0; i < kSlots; ++i) {
    const Slot& s = state.slots[i];
    const bool consistent =
        s.enabled ? ValidRange(s.base, s.length) && (!s.removing || s.removal_requested)
                  : s == Slot{};
    if (!consistent) {
      return Error(ErrorCode::kInvalidArgument,
                   "memory hotplug state: " + SlotName(i) + " is inconsistent");
    }
    for (uint32_t j = 0; j < i; ++j) {
      if (s.enabled && state.slots[j].enabled && Overlap(state.slots[j], s.base, s.length)) {
        return Error(ErrorCode::kInvalidArgument,
                     "memory hotplug state: " + SlotName(i) + " overlaps " + SlotName(j));
      }
    }
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
