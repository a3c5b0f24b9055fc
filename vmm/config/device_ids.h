// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Device ids, as Cloud Hypervisor names devices: the user's id= where given,
// else a prefix and one counter shared by all device types, in CH's order of
// creation (disks, then nets): "_disk0", "_disk1", "_net2", ... A generated
// name skips every id the user chose. Fixed devices have fixed ids:
// "__rng", "__console", "__serial", "__pvpanic".
//
// Rules for user ids (CH's validate_identifier): unique across all devices
// and memory zones (--memory-zone id=, whose hot-plug room is a virtio-mem
// device of that id), and not starting with "__" (reserved for the fixed
// ones). With --memory size!=0 the default zone "mem0" is a device only
// with hotplug_method=virtio-mem and hotplug_size.
//
// Both doors run CheckDeviceIds as part of validation and AssignDeviceIds as
// their last step, so every VmConfig the VMM sees has all its ids, and
// vm.info shows them as CH's does.
#pragma once

#include <string>

#include "core/base/result.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {

inline constexpr const char* kRngDeviceId = "__rng";
inline constexpr const char* kBalloonDeviceId = "__balloon";
// The virtio-mem device of --memory hotplug_method=virtio-mem: Cloud
// Hypervisor names it after its memory zone, the default one "mem0".
inline constexpr const char* kVirtioMemDeviceId = kDefaultMemoryZoneId;
inline constexpr const char* kConsoleDeviceId = "__console";
inline constexpr const char* kSerialDeviceId = "__serial";
// --pvpanic's device (CH's PVPANIC_DEVICE_NAME).
inline constexpr const char* kPvpanicDeviceId = "__pvpanic";
// --watchdog's device (CH's WATCHDOG_DEVICE_NAME).
inline constexpr const char* kWatchdogDeviceId = "__watchdog";
// The virtio-iommu (Cloud Hypervisor's IOMMU_DEVICE_NAME).
inline constexpr const char* kIommuDeviceId = "__iommu";

Result<void> CheckDeviceIds(const VmConfig& config);
// Fills every empty disk and net id. Call after CheckDeviceIds.
void AssignDeviceIds(VmConfig& config);

}  // namespace petrel::config
