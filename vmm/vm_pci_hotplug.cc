// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance's PCI hot-plug (see vm_instance.h): vm.add-disk and vm.add-net
// place a device while the guest runs and raise the GED's PCI event;
// vm.remove-device asks the guest to eject one, and the guest's _EJ0
// (PciHotplugController's on_eject, on a vCPU thread) posts the teardown to
// the VM thread. Every step that changes the device list runs on the VM
// thread, so the list changes in one place.
#include <memory>
#include <optional>

#include "core/base/log.h"
#include "vmm/config/device_ids.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

namespace {

// The fixed devices stay: the console, rng and balloon ("__" ids), and
// each virtio-mem device (vm.resize desired_ram and vm.resize-zone are
// their doors).
bool Removable(std::string_view id, const VirtioDevices& virtio) {
  return id.substr(0, 2) != "__" && virtio.mem(id) == nullptr;
}

}  // namespace

Result<config::PciDeviceInfo> VmInstance::AnnounceAdded(const VirtioDevices::Placed& placed) {
  PETREL_TRY(acpi_->pci_hotplug().Insert(placed.slot).Wrap(placed.name));
  acpi_->NotifyPciHotplug();
  PETREL_LOG(kInfo) << placed.name << ": hot-plugged at PCI 00:" << std::hex << int{placed.slot}
                    << ".0";
  return config::PciDeviceInfo{placed.name, 0, 0, placed.slot, 0};
}

Result<config::PciDeviceInfo> VmInstance::AddPciDevice(
    const std::string& id, std::function<Result<VirtioDevices::Placed>()> place,
    const std::string& what) {
  // Shared: the work may run after a timed-out wait has returned.
  auto info = std::make_shared<std::optional<config::PciDeviceInfo>>();
  PETREL_TRY(OnVmThread(
      [this, info, id, place = std::move(place)]() -> Result<void> {
        PETREL_TRY(CheckHotplugAllowed(id));
        PETREL_ASSIGN_OR_RETURN(auto placed, place());
        PETREL_ASSIGN_OR_RETURN(*info, AnnounceAdded(placed));
        return Ok();
      },
      what));
  return **info;
}

Result<config::PciDeviceInfo> VmInstance::AddDisk(const virtio::DiskConfig& disk) {
  return AddPciDevice(disk.id, [this, disk] { return virtio_->AddDisk(disk); },
                      "adding disk " + disk.id);
}

Result<config::PciDeviceInfo> VmInstance::AddNet(const virtio::NetConfig& net) {
  return AddPciDevice(net.id, [this, net] { return virtio_->AddNet(net); },
                      "adding net " + net.id);
}

Result<config::PciDeviceInfo> VmInstance::AddPmem(const virtio::PmemConfig& pmem) {
  return AddPciDevice(pmem.id, [this, pmem] { return virtio_->AddPmem(pmem); },
                      "adding pmem " + pmem.id);
}

Result<config::PciDeviceInfo> VmInstance::AddVsock(const virtio::VsockConfig& vsock) {
  return AddPciDevice(vsock.id, [this, vsock] { return virtio_->AddVsock(vsock); },
                      "adding vsock " + vsock.id);
}

Result<void> VmInstance::CheckHotplugAllowed(const std::string& id) {
  {
    std::lock_guard lock(lifecycle_mu_);
    if (run_state_ != VmRunState::kRunning) {
      return Error(ErrorCode::kFailedPrecondition,
                   std::string("cannot hot-plug into a VM that is ") + VmRunStateName(run_state_));
    }
  }
  if (virtio_->Find(id)) {
    // Still there: a removal the guest has not ejected yet, or a fixed device.
    return Error(ErrorCode::kAlreadyExists, "a device with the id '" + id + "' is still present");
  }
  return Ok();
}

Result<void> VmInstance::RemoveDevice(std::string_view id) {
  return OnVmThread(
      [this, id = std::string(id)]() -> Result<void> {
        std::optional<VirtioDevices::Placed> placed = virtio_->Find(id);
        if (!placed) return Error(ErrorCode::kNotFound, "no device has the id '" + id + "'");
        if (!Removable(id, *virtio_)) {
          return Error(ErrorCode::kInvalidArgument, "'" + id + "' is a fixed device and stays");
        }
        PETREL_TRY(acpi_->pci_hotplug().RequestRemoval(placed->slot).Wrap(id));
        acpi_->NotifyPciHotplug();
        PETREL_LOG(kInfo) << id << ": removal asked of the guest (PCI 00:" << std::hex
                          << int{placed->slot} << ".0)";
        return Ok();
      },
      "removing device " + std::string(id));
}

bool VmInstance::device_removal_pending() const {
  for (uint8_t slot = 1; slot < PciHotplugController::kSlots; ++slot) {
    if (acpi_->pci_hotplug().removal_pending(slot)) return true;
  }
  return false;
}

void VmInstance::UnplugPciDevice(uint8_t slot) {
  Result<std::string> removed = virtio_->RemoveAt(slot);
  if (!removed.ok()) {
    PETREL_LOG(kWarn) << "PCI slot " << int{slot} << " ejected: " << removed.error().message();
  }
}

}  // namespace petrel::vmm
