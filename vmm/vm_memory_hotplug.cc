// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance's ACPI memory hot-plug (see vm_instance.h): vm.resize
// desired_ram with hotplug_method=acpi plugs DIMM-like ranges of the
// hot-plug area into free slots of the MemoryHotplugController, or asks the
// guest to eject whole DIMMs, and raises the GED's memory event. The
// guest's _EJ0 (the controller's on_eject, on a vCPU thread) posts the
// discard of the ejected range to the VM thread. Every step runs on the VM
// thread.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "vmm/range_allocator.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Linux's x86 memory block: a DIMM is whole blocks (Cloud Hypervisor's rule).
constexpr uint64_t kDimmAlignment = uint64_t{128} << 20;

std::string Mib(uint64_t bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

}  // namespace

Result<void> VmInstance::ResizeAcpiMemory(uint64_t hotplugged) {
  return OnVmThread([this, hotplugged] { return ResizeAcpiMemoryOnVmThread(hotplugged); },
                    "resizing memory");
}

Result<void> VmInstance::ResizeAcpiMemoryOnVmThread(uint64_t hotplugged) {
  MemoryHotplugController* controller = acpi_->memory_hotplug();
  const GuestRegion* area = memory_->hotplug_area();
  if (controller == nullptr || area == nullptr) {
    return Error(ErrorCode::kFailedPrecondition, "the VM has no ACPI memory hot-plug");
  }
  {
    std::lock_guard lock(lifecycle_mu_);
    if (run_state_ != VmRunState::kRunning) {
      return Error(ErrorCode::kFailedPrecondition,
                   std::string("cannot resize the memory of a VM that is ") +
                       VmRunStateName(run_state_));
    }
  }
  // The plan first, so a refusal changes nothing. A removal the guest has
  // not ejected yet counts as plugged: this resize withdraws it or keeps it.
  struct Dimm {
    uint32_t slot;
    uint64_t base, length;
    bool removal_requested;
  };
  std::vector<Dimm> dimms;
  for (uint32_t i = 0; i < MemoryHotplugController::kSlots; ++i) {
    std::optional<MemoryHotplugController::Slot> s = controller->slot(i);
    if (s && s->enabled) dimms.push_back({i, s->base, s->length, s->removal_requested});
  }
  std::sort(dimms.begin(), dimms.end(), [](const Dimm& a, const Dimm& b) { return a.base < b.base; });
  uint64_t current = 0;
  for (const Dimm& d : dimms) current += d.length;

  std::vector<uint32_t> remove;  // slots to eject
  std::optional<std::pair<uint32_t, uint64_t>> add;  // slot, base
  if (hotplugged > current) {
    const uint64_t length = hotplugged - current;
    if (length % kDimmAlignment != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "ACPI memory hot-plug adds whole 128 MiB blocks: " + Mib(length) + " is not");
    }
    std::optional<uint32_t> slot = controller->free_slot();
    if (!slot) {
      return Error(ErrorCode::kInvalidArgument,
                   "all " + std::to_string(MemoryHotplugController::kSlots) +
                       " DIMM slots are in use; grow in fewer, larger steps");
    }
    RangeAllocator ranges(area->gpa, area->end() - 1);
    for (const Dimm& d : dimms) PETREL_TRY(ranges.Reserve(d.base, d.length));
    Result<uint64_t> base = ranges.Allocate(length, kDimmAlignment);
    if (!base.ok()) {
      return Error(ErrorCode::kInvalidArgument,
                   "no free " + Mib(length) + " range is left in the hot-plug area");
    }
    add = {{*slot, *base}};
  } else if (hotplugged < current) {
    // Whole DIMMs, the highest first, until exactly `hotplugged` is left.
    uint64_t left = current;
    for (auto d = dimms.rbegin(); d != dimms.rend() && left > hotplugged; ++d) {
      left -= d->length;
      remove.push_back(d->slot);
    }
    if (left != hotplugged) {
      std::string sizes;
      for (const Dimm& d : dimms) sizes += (sizes.empty() ? "" : ", ") + Mib(d.length);
      return Error(ErrorCode::kInvalidArgument,
                   "ACPI memory hot-plug removes whole DIMMs (plugged: " + sizes + "); " +
                       Mib(hotplugged) + " above the boot memory is not a sum of the lowest");
    }
  }

  // Then apply: withdraw the removals no longer wanted, eject or plug.
  for (const Dimm& d : dimms) {
    const bool wanted = std::find(remove.begin(), remove.end(), d.slot) != remove.end();
    if (d.removal_requested && !wanted) PETREL_TRY(controller->CancelRemoval(d.slot));
  }
  for (uint32_t slot : remove) PETREL_TRY(controller->RequestRemoval(slot));
  if (add) {
    const uint64_t length = hotplugged - current;
    PETREL_TRY(controller->Insert(add->first, add->second, length));
    PETREL_LOG(kInfo) << "memory: DIMM " << add->first << " of " << Mib(length) << " at 0x"
                      << std::hex << add->second;
  }
  if (add || !remove.empty()) acpi_->NotifyMemoryHotplug();
  return Ok();
}

uint64_t VmInstance::acpi_plugged_bytes() const {
  const MemoryHotplugController* controller = acpi_->memory_hotplug();
  if (controller == nullptr) return 0;
  uint64_t total = 0;
  for (uint32_t i = 0; i < MemoryHotplugController::kSlots; ++i) {
    std::optional<MemoryHotplugController::Slot> s = controller->slot(i);
    if (s && s->enabled) total += s->length;
  }
  return total;
}

bool VmInstance::memory_removal_pending() const {
  const MemoryHotplugController* controller = acpi_->memory_hotplug();
  if (controller == nullptr) return false;
  for (uint32_t i = 0; i < MemoryHotplugController::kSlots; ++i) {
    if (controller->removal_pending(i)) return true;
  }
  return false;
}

void VmInstance::UnplugDimm(uint32_t slot, uint64_t base, uint64_t length) {
  // The guest offlined and ejected it: its memory goes back to the host.
  Result<void> discarded = memory_->Discard(base, length);
  if (!discarded.ok()) {
    PETREL_LOG(kWarn) << "memory: DIMM " << slot << " ejected, its memory stays resident: "
                      << discarded.error().message();
  }
  PETREL_LOG(kInfo) << "memory: DIMM " << slot << " (" << Mib(length) << ") ejected";
}

}  // namespace petrel::vmm
