// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm's vm.resize (see vmm.h): desired_vcpus, desired_ram and
// desired_balloon, each checked against the config before any of them is
// applied, so a request with one bad field changes nothing. And
// vm.resize-zone's door (not implemented yet).
#include <algorithm>
#include <string>

#include "devices/virtio/balloon/balloon_device.h"
#include "vmm/vmm.h"

namespace petrel::vmm {

Error WrongState(std::string_view what, VmmState state);  // vmm.cc

namespace {

Error Invalid(std::string message) { return Error(ErrorCode::kInvalidArgument, std::move(message)); }

// desired_ram against --memory: the bytes of the hot-plug area the guest
// is to have (virtio-mem's requested size).
Result<uint64_t> HotpluggedFor(const config::MemoryConfig& memory, uint64_t desired) {
  const std::string what = "desired_ram " + std::to_string(desired);
  if (memory.user_zones()) {
    // CH's InvalidResizeWithMemoryZones: each zone resizes on its own.
    return Invalid(what + ": the VM's memory is --memory-zone zones; resize one with "
                          "vm.resize-zone");
  }
  if (!memory.hotplug_size) {
    return Invalid(what + ": the VM has no room for more memory (--memory hotplug_size)");
  }
  if (desired < memory.size || desired - memory.size > *memory.hotplug_size) {
    return Invalid(what + ": must be from the boot memory (" + std::to_string(memory.size) +
                   " bytes) to that plus hotplug_size (" +
                   std::to_string(memory.size + *memory.hotplug_size) + ")");
  }
  const bool acpi = memory.hotplug_method == config::HotplugMethod::kAcpi;
  const uint64_t granule = acpi ? config::kMemoryHotplugAlignment : config::kMemoryHotplugBlock;
  if ((desired - memory.size) % granule != 0) {
    return Invalid(what + ": must differ from the boot memory by whole " +
                   (acpi ? "128 MiB blocks (ACPI DIMMs)" : "2 MiB blocks (virtio-mem)"));
  }
  return desired - memory.size;
}

}  // namespace

Result<void> Vmm::ResizeVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::ResizeRequest request, config::ParseResizeJson(body_json));
  return Resize(request);
}

Result<void> Vmm::Resize(const config::ResizeRequest& request) {
  std::lock_guard lock(mu_);
  // CH answers a resize without a VM with VmNotCreated (404).
  if (!config_) return Error(ErrorCode::kNotFound, "no VM to resize (vm.create first)");

  // Every field first.
  std::optional<uint64_t> hotplugged;
  if (request.desired_ram) {
    PETREL_ASSIGN_OR_RETURN(hotplugged, HotpluggedFor(config_->memory, *request.desired_ram));
  }
  if (request.desired_balloon) {
    const uint64_t bytes = *request.desired_balloon;
    if (!config_->balloon) return Invalid("desired_balloon: the VM has no balloon (--balloon)");
    const uint64_t boot = config_->memory.boot_size();
    if (bytes >= boot || bytes % virtio::kBalloonPageSize != 0) {
      return Invalid("desired_balloon " + std::to_string(bytes) +
                     ": must be whole 4 KiB pages below the guest's memory (" +
                     std::to_string(boot) + " bytes)");
    }
  }
  if (request.desired_vcpus && *request.desired_vcpus > config_->cpus.max_vcpus) {
    return Invalid("desired_vcpus " + std::to_string(*request.desired_vcpus) +
                   " is above --cpus max=" + std::to_string(config_->cpus.max_vcpus));
  }
  if (vm_ != nullptr && state_ != VmmState::kRunning) return WrongState("cannot resize", state_);
  const bool acpi_memory = config_->memory.acpi_hotplug();
  if (hotplugged && acpi_memory && vm_ == nullptr) {
    // hotplugged_size is virtio-mem's (as CH's): nowhere to keep DIMMs.
    return Invalid("desired_ram: ACPI memory hot-plug needs a running VM (boot it, or change "
                   "--memory size)");
  }

  // Then each, in the VM (when it runs) and in the config (vm.info, and the
  // next boot's sizes).
  if (vm_ != nullptr) Emit("vm", "resizing");
  if (hotplugged && acpi_memory) {
    // DIMMs live in the VM only: a reboot starts from the boot memory.
    PETREL_TRY(vm_->ResizeAcpiMemory(*hotplugged));
  } else if (hotplugged) {
    if (vm_ != nullptr) PETREL_TRY(vm_->SetMemRequestedSize(config::kDefaultMemoryZoneId, *hotplugged));
    config_->memory.hotplugged_size = *hotplugged;
  }
  if (request.desired_balloon) {
    if (vm_ != nullptr) PETREL_TRY(vm_->SetBalloonTarget(*request.desired_balloon));
    config_->balloon->size = *request.desired_balloon;
  }
  if (request.desired_vcpus) {
    if (vm_ != nullptr) PETREL_TRY(vm_->ResizeVcpus(*request.desired_vcpus));
    config_->cpus.boot_vcpus = *request.desired_vcpus;
  }
  if (vm_ != nullptr) Emit("vm", "resized");
  return Ok();
}

Result<void> Vmm::ResizeZoneVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::ResizeZoneRequest request,
                          config::ParseResizeZoneJson(body_json));
  return ResizeZone(request);
}

Result<void> Vmm::ResizeZone(const config::ResizeZoneRequest& request) {
  std::lock_guard lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM to resize (vm.create first)");
  const std::string what = "vm.resize-zone id=" + request.id;
  if (!config_->memory.user_zones()) {
    // CH's ResizeZone error: only user-defined zones resize one by one.
    return Invalid(what + ": the VM has no --memory-zone zones (resize its memory with "
                          "vm.resize desired_ram)");
  }
  auto& zones = config_->memory.zones;
  const auto zone = std::find_if(zones.begin(), zones.end(),
                                 [&](const config::MemoryZoneConfig& z) { return z.id == request.id; });
  if (zone == zones.end()) return Invalid(what + ": no memory zone has that id");
  if (!zone->hotplug_size) {
    return Invalid(what + ": the zone has no room for more memory (--memory-zone hotplug_size)");
  }
  // CH's rule: from the zone's boot size up; Petrel's: within its area, in
  // whole virtio-mem blocks.
  const uint64_t desired = request.desired_ram;
  const std::string desired_text = "desired_ram " + std::to_string(desired);
  if (desired < zone->size || desired - zone->size > *zone->hotplug_size) {
    return Invalid(what + ": " + desired_text + " must be from the zone's size (" +
                   std::to_string(zone->size) + " bytes) to that plus its hotplug_size (" +
                   std::to_string(zone->size + *zone->hotplug_size) + ")");
  }
  const uint64_t plugged = desired - zone->size;
  if (plugged % config::kMemoryHotplugBlock != 0) {
    return Invalid(what + ": " + desired_text +
                   " must differ from the zone's size by whole 2 MiB blocks (virtio-mem)");
  }
  if (vm_ != nullptr && state_ != VmmState::kRunning) return WrongState("cannot resize", state_);
  if (vm_ != nullptr) {
    Emit("vm", "resizing");
    PETREL_TRY(vm_->SetMemRequestedSize(zone->id, plugged));
  }
  zone->hotplugged_size = plugged;  // vm.info, and the next boot's request
  if (vm_ != nullptr) Emit("vm", "resized");
  return Ok();
}

}  // namespace petrel::vmm
