// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Device ids (see device_ids.h).
#include "vmm/config/device_ids.h"

#include <set>

#include "core/base/field_error.h"

namespace petrel::config {
namespace {

// Every id a user may give, in CH's order (rate limit groups, disks, nets,
// then memory zones): one namespace, as CH's validate_identifier has it. A
// zone's id is its virtio-mem device's when it has hotplug_size; CH puts
// every zone's id in the namespace, and so does Petrel.
template <class Visit>
void ForEachUserId(const VmConfig& config, Visit visit) {
  for (const auto& group : config.rate_limit_groups) visit(group.id);
  for (const auto& disk : config.disks) visit(disk.id);
  for (const auto& net : config.nets) visit(net.id);
  for (const auto& pmem : config.pmem) visit(pmem.id);
  if (config.vsock) visit(config.vsock->id);
  for (const auto& zone : config.memory.zones) visit(zone.id);
}

}  // namespace

Result<void> CheckDeviceIds(const VmConfig& config) {
  std::set<std::string> seen;
  Result<void> result = Ok();
  ForEachUserId(config, [&](const std::string& id) {
    if (id.empty() || !result.ok()) return;
    if (id.rfind("__", 0) == 0) {
      result = FieldError("id", id, "ids starting with \"__\" are reserved for Petrel's devices");
    } else if (id == kVirtioMemDeviceId &&
               config.memory.hotplug_method == HotplugMethod::kVirtioMem &&
               config.memory.hotplug_size) {
      result = FieldError("id", id, "is the virtio-mem device's (--memory hotplug_method=virtio-mem)");
    } else if (!seen.insert(id).second) {
      // CH's IdentifierNotUnique, which its API answers with 409.
      result = Error(ErrorCode::kAlreadyExists,
                     FieldError("id", id, "used by another device (ids must be unique)").message());
    }
  });
  if (!config.rng.id.empty() && config.rng.id != kRngDeviceId) {
    return FieldError("id", config.rng.id, "the entropy device is always \"__rng\"");
  }
  if (config.balloon && !config.balloon->id.empty() && config.balloon->id != kBalloonDeviceId) {
    return FieldError("id", config.balloon->id, "the balloon is always \"__balloon\"");
  }
  return result;
}

void AssignDeviceIds(VmConfig& config) {
  std::set<std::string> taken;
  ForEachUserId(config, [&](const std::string& id) {
    if (!id.empty()) taken.insert(id);
  });
  unsigned counter = 0;
  auto next = [&](const char* prefix) {
    std::string name;
    do {
      name = prefix + std::to_string(counter++);
    } while (taken.count(name) != 0);
    taken.insert(name);
    return name;
  };
  for (auto& disk : config.disks) {
    if (disk.id.empty()) disk.id = next("_disk");
  }
  for (auto& net : config.nets) {
    if (net.id.empty()) net.id = next("_net");
  }
  for (auto& pmem : config.pmem) {
    if (pmem.id.empty()) pmem.id = next("_pmem");
  }
  if (config.vsock && config.vsock->id.empty()) config.vsock->id = next("_vsock");
  config.rng.id = kRngDeviceId;
  if (config.balloon) config.balloon->id = kBalloonDeviceId;
}

}  // namespace petrel::config
