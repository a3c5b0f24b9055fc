// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm's PCI hot-plug doors: vm.add-disk, vm.add-net, vm.remove-device (see
// vmm.h; the VM's side is VmInstance::AddDisk / AddNet / RemoveDevice).
#include <algorithm>

#include "core/base/log.h"
#include "vmm/config/device_ids.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/vmm.h"

namespace petrel::vmm {

Error WrongState(std::string_view what, VmmState state);  // vmm.cc

namespace {

// The config with `add` given its id (checked against the others, or
// generated), as AddToConfig(candidate) puts it in.
template <class Device>
Result<config::VmConfig> WithDevice(const config::VmConfig& config, Device device,
                                    std::vector<Device> config::VmConfig::*list) {
  config::VmConfig candidate = config;
  (candidate.*list).push_back(std::move(device));
  PETREL_TRY(config::CheckDeviceIds(candidate));
  config::AssignDeviceIds(candidate);
  return candidate;
}

}  // namespace

Result<std::optional<config::PciDeviceInfo>> Vmm::AddDisk(virtio::DiskConfig disk) {
  std::lock_guard lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM to add a disk to (vm.create first)");
  PETREL_ASSIGN_OR_RETURN(config::VmConfig candidate,
                          WithDevice(*config_, std::move(disk), &config::VmConfig::disks));
  std::optional<config::PciDeviceInfo> info;
  if (vm_ != nullptr) {
    if (state_ != VmmState::kRunning) return WrongState("cannot add a disk", state_);
    PETREL_ASSIGN_OR_RETURN(info, vm_->AddDisk(candidate.disks.back()));
    Emit("vm", "device-added");
  }
  *config_ = std::move(candidate);
  return info;
}

Result<std::optional<config::PciDeviceInfo>> Vmm::AddNet(virtio::NetConfig net) {
  std::lock_guard lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM to add a net to (vm.create first)");
  PETREL_ASSIGN_OR_RETURN(config::VmConfig candidate,
                          WithDevice(*config_, std::move(net), &config::VmConfig::nets));
  std::optional<config::PciDeviceInfo> info;
  if (vm_ != nullptr) {
    if (state_ != VmmState::kRunning) return WrongState("cannot add a network device", state_);
    PETREL_ASSIGN_OR_RETURN(info, vm_->AddNet(candidate.nets.back()));
    Emit("vm", "device-added");
  }
  *config_ = std::move(candidate);
  return info;
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
  const size_t before = disks.size() + nets.size();
  std::erase_if(disks, [&](const auto& d) { return d.id == request.id; });
  std::erase_if(nets, [&](const auto& n) { return n.id == request.id; });
  if (vm_ == nullptr && disks.size() + nets.size() == before) {
    return Error(ErrorCode::kNotFound, "no device has the id '" + request.id + "'");
  }
  return Ok();
}

Result<std::string> Vmm::AddDiskVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(virtio::DiskConfig disk, config::DiskConfigFromJson(body_json));
  PETREL_ASSIGN_OR_RETURN(auto info, AddDisk(std::move(disk)));
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<std::string> Vmm::AddNetVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(virtio::NetConfig net, config::NetConfigFromJson(body_json));
  PETREL_ASSIGN_OR_RETURN(auto info, AddNet(std::move(net)));
  return info ? config::PciDeviceInfoToJson(*info) : std::string();
}

Result<void> Vmm::RemoveDeviceVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::RemoveDeviceRequest request,
                          config::ParseRemoveDeviceJson(body_json));
  return RemoveDevice(request);
}

}  // namespace petrel::vmm
