// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuHotplugController: the CPU hot-plug registers (see cpu_hotplug_controller.h).
#include "devices/acpi/cpu_hotplug_controller.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/log.h"

namespace petrel {

CpuHotplugController::CpuHotplugController(uint32_t max_vcpus, uint32_t boot_vcpus,
                                           OnEject on_eject)
    : max_vcpus_(max_vcpus), on_eject_(std::move(on_eject)) {
  s_.slots.resize(max_vcpus_);
  for (uint32_t i = 0; i < boot_vcpus && i < max_vcpus; ++i) s_.slots[i].enabled = true;
}

void CpuHotplugController::Read(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  std::lock_guard lock(mu_);
  if (offset == acpi::kCpuSelectOffset && data.size() == 4) {
    StoreLe<uint32_t>(data, 0, s_.selected);
  } else if (offset == acpi::kCpuStatusOffset && data.size() == 1 && s_.selected < max_vcpus_) {
    const Slot& slot = s_.slots[s_.selected];
    data[0] = static_cast<uint8_t>((slot.enabled ? acpi::kCpuEnabled : 0) |
                                   (slot.inserting ? acpi::kCpuInserting : 0) |
                                   (slot.removing ? acpi::kCpuRemoving : 0));
  }
}

void CpuHotplugController::Write(uint64_t offset, std::span<const uint8_t> data) {
  uint32_t ejected = 0;
  {
    std::lock_guard lock(mu_);
    if (offset == acpi::kCpuSelectOffset && data.size() == 4) {
      s_.selected = LoadLe<uint32_t>(data, 0);
      return;
    }
    if (offset != acpi::kCpuStatusOffset || data.size() != 1 || s_.selected >= max_vcpus_) return;
    Slot& slot = s_.slots[s_.selected];
    const uint8_t bits = data[0];
    if (bits & acpi::kCpuInserting) slot.inserting = false;  // write 1 to clear
    if (bits & acpi::kCpuRemoving) slot.removing = false;
    if (!(bits & acpi::kCpuEject)) return;
    if (s_.selected == 0 || !slot.removal_requested) {
      PETREL_LOG_ONCE(kWarn, "cpu-hotplug-stray-eject")
          << "cpu hotplug: ignoring the guest's eject of vCPU " << s_.selected
          << ", which the VMM did not ask to remove";
      return;
    }
    slot = Slot{};
    ejected = s_.selected;
  }
  if (on_eject_) on_eject_(ejected);
}

Result<void> CpuHotplugController::Insert(uint32_t index) {
  std::lock_guard lock(mu_);
  if (index >= max_vcpus_ || s_.slots[index].enabled) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot plug vCPU " + std::to_string(index) + ": it is present or beyond max");
  }
  s_.slots[index] = Slot{.enabled = true, .inserting = true};
  return Ok();
}

Result<void> CpuHotplugController::RequestRemoval(uint32_t index) {
  std::lock_guard lock(mu_);
  if (index == 0 || index >= max_vcpus_ || !s_.slots[index].enabled) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot unplug vCPU " + std::to_string(index) + ": it is absent or the boot vCPU");
  }
  Slot& slot = s_.slots[index];
  if (!slot.removal_requested) {
    slot.removal_requested = true;
    slot.removing = true;
    slot.inserting = false;  // a removal supersedes an unscanned insertion
  }
  return Ok();
}

bool CpuHotplugController::CancelRemoval(uint32_t index) {
  std::lock_guard lock(mu_);
  if (index >= max_vcpus_ || !s_.slots[index].removal_requested) return false;
  s_.slots[index].removal_requested = false;
  s_.slots[index].removing = false;
  return true;
}

bool CpuHotplugController::enabled(uint32_t index) const {
  std::lock_guard lock(mu_);
  return index < max_vcpus_ && s_.slots[index].enabled;
}

uint32_t CpuHotplugController::enabled_count() const {
  std::lock_guard lock(mu_);
  return static_cast<uint32_t>(
      std::count_if(s_.slots.begin(), s_.slots.end(), [](const Slot& s) { return s.enabled; }));
}

bool CpuHotplugController::removal_pending() const {
  std::lock_guard lock(mu_);
  return std::any_of(s_.slots.begin(), s_.slots.end(),
                     [](const Slot& s) { return s.removal_requested; });
}

CpuHotplugController::State CpuHotplugController::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> CpuHotplugController::Restore(const State& state) {
  if (state.slots.size() != max_vcpus_) {
    return Error(ErrorCode::kInvalidArgument,
                 "cpu hotplug state: " + std::to_string(state.slots.size()) + " vCPU slots, the VM has " +
                     std::to_string(max_vcpus_));
  }
  if (max_vcpus_ == 0 || !state.slots[0].enabled || state.slots[0].removal_requested) {
    return Error(ErrorCode::kInvalidArgument, "cpu hotplug state: vCPU 0 is not plugged");
  }
  for (size_t i = 0; i < state.slots.size(); ++i) {
    const Slot& s = state.slots[i];
    if ((!s.enabled && (s.inserting || s.removing || s.removal_requested)) ||
        (s.removing && !s.removal_requested)) {
      return Error(ErrorCode::kInvalidArgument,
                   "cpu hotplug state: vCPU " + std::to_string(i) + " has inconsistent flags");
    }
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
