// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm's PCI hot-plug doors: vm.add-disk, vm.add-net, vm.add-pmem,
// vm.add-vsock, vm.remove-device (see vmm.h; the VM's side is
// VmInstance::AddDisk / AddNet / AddPmem / AddVsock / RemoveDevice).
#include <algorithm>
#include <optional>
#include <vector>

#include "core/base/log.h"
#include "vmm/config/device_ids.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/vmm.h"

namespace petrel::vmm {

Error WrongState(std::string_view what, VmmState state);  // vmm.cc

namespace {

// Where an added device goes in the config: a list (disks, nets, pmem)
// takes any number; an optional (vsock) one per VM, as Cloud Hypervisor.
template <class Device>
Result<Device*> Put(std::vector<Device>& list, Device device, const char*) {
  list.push_back(std::move(device));
  return &list.back();
}
template <class Device>
Result<Device*> Put(std::optional<Device>& slot, Device device, const char* what) {
  if (slot) {
    return Error(ErrorCode::kAlreadyExists,
                 std::string("the VM has ") + what + " already (one per VM)");
  }
  slot = std::move(device);
  return &*slot;
}

// The config with `device` in `slot`, given its id (checked against the
// others, or generated).
template <class Device, class Slot>
Result<config::VmConfig> WithDevice(const config::VmConfig& config, Device device,
                                    Slot config::VmConfig::*slot, const char* what) {
  config::VmConfig candidate = config;
  PETREL_TRY(Put(candidate.*slot, std::move(device), what));
  PETREL_TRY(config::CheckDeviceIds(candidate));
  config::AssignDeviceIds(candidate);
  return candidate;
}

// The device just put in `slot` (ids assigned).
template <class Device>
const Device& Added(const std::vector<Device>& list) { return list.back(); }
template <class Device>
const Device& Added(const std::optional<Device>& slot) { return *slot; }

}  // namespace

template <class Device, class Slot>
Result<std::optional<config::PciDeviceInfo>> Vmm::AddDevice(
    Device device, Slot config::VmConfig::*slot, const char* what,
    Result<config::PciDeviceInfo> (VmInstance::*hot_add)(const Device&)) {
  std::lock_guard lock(mu_);
  if (!config_) {
    return Error(ErrorCode::kNotFound, std::string("no VM to add ") + what + " to (vm.create first)");
  }
  PETREL_ASSIGN_OR_RETURN(config::VmConfig candidate,
                          WithDevice(*config_, std::move(device), slot, what));
  std::optional<config::PciDeviceInfo> info;
  if (vm_ != nullptr) {
    if (state_ != VmmState::kRunning) return WrongState(std::string("cannot add ") + what, state_);
    PETREL_ASSIGN_OR_RETURN(info, ((*vm_).*hot_add)(Added(candidate.*slot)));
    Emit("vm", "device-added");
  }
  *config_ = std::move(candidate);
  return info;
}

Result<std::optional<config::PciDeviceInfo>> Vmm::AddDisk(virtio::DiskConfig disk) {
  return AddDevice(std::move(disk), &config::VmConfig::disks, "a disk", &VmInstance::AddDisk);
}

Result<std::optional<config::PciDeviceInfo>> Vmm::AddNet(virtio::NetConfig net) {
  return AddDevice(std::move(net), &config::VmConfig::nets, "a network device",
                   &VmInstance::AddNet);
}

Result<std::optional<config::PciDeviceInfo>> Vmm::AddPmem(virtio::PmemConfig pmem) {
  return AddDevice(std::move(pmem), &config::VmConfig::pmem, "a pmem device",
                   &VmInstance::AddPmem);
}

Result<std::string> Vmm::AddPmemVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(virtio::PmemConfig pmem, config::PmemConfigFromJson(body_json));
  PETREL_ASSIGN_OR_RETURN(auto info, AddPmem(std::move(pmem)));
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<std::optional<config::PciDeviceInfo>> Vmm::AddVsock(virtio::VsockConfig vsock) {
  return AddDevice(std::move(vsock), &config::VmConfig::vsock, "a vsock device",
                   &VmInstance::AddVsock);
}

Result<std::string> Vmm::AddVsockVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(virtio::VsockConfig vsock, config::VsockConfigFromJson(body_json));
  PETREL_ASSIGN_OR_RETURN(auto info, AddVsock(std::move(vsock)));
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<void> Vmm::RemoveDevice(const config::RemoveDeviceRequest& request) {
  std::lock_guard lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM to remove a device from");
  if (vm_ != nullptr) {
    if (state_ != VmmState::kRunning) return WrongState("cannot remove a device", state_);
    PETREL_TRY(vm_->RemoveDevice(request.id));
    Emit("vm", "device-removing");
  }
  auto& disks = config_->disks;
  auto& nets = config_->nets;
  auto& pmem = config_->pmem;
  const bool had_vsock = config_->vsock && config_->vsock->id == request.id;
  if (had_vsock) config_->vsock.reset();
  const size_t before = disks.size() + nets.size() + pmem.size() + (had_vsock ? 1 : 0);
  std::erase_if(disks, [&](const auto& d) { return d.id == request.id; });
  std::erase_if(nets, [&](const auto& n) { return n.id == request.id; });
  std::erase_if(pmem, [&](const auto& p) { return p.id == request.id; });
  // Its device works on dups of them until the guest ejects it.
  added_net_fds_.erase(request.id);
  if (vm_ == nullptr && disks.size() + nets.size() + pmem.size() == before) {
    return Error(ErrorCode::kNotFound, "no device has the id '" + request.id + "'");
  }
  return Ok();
}

Result<std::string> Vmm::AddDiskVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(virtio::DiskConfig disk, config::DiskConfigFromJson(body_json));
  PETREL_ASSIGN_OR_RETURN(auto info, AddDisk(std::move(disk)));
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<std::string> Vmm::AddNetVm(std::string_view body_json, std::vector<UniqueFd> fds) {
  // `fds` close on every early return: nothing received stays open unused.
  PETREL_ASSIGN_OR_RETURN(virtio::NetConfig net, config::NetConfigFromJson(body_json));
  if (!fds.empty()) {
    // CH: the fds the request carried are the net's, whatever numbers the
    // body had (the client's own, meaningless here).
    std::vector<int> numbers;
    for (const UniqueFd& fd : fds) numbers.push_back(fd.get());
    net.fds = std::move(numbers);
  }
  const std::optional<std::vector<int>> numbers = net.fds;
  PETREL_ASSIGN_OR_RETURN(auto info, AddNet(std::move(net)));
  if (!fds.empty()) {
    // Kept under the net's id (given or generated) while it is configured.
    std::lock_guard lock(mu_);
    if (config_) {
      for (const virtio::NetConfig& configured : config_->nets) {
        if (configured.fds == numbers) added_net_fds_[configured.id] = std::move(fds);
      }
    }
  }
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<void> Vmm::RemoveDeviceVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::RemoveDeviceRequest request,
                          config::ParseRemoveDeviceJson(body_json));
  return RemoveDevice(request);
}

}  // namespace petrel::vmm
