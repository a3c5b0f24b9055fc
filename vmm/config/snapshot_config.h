// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The snapshot and restore requests, in both of Cloud Hypervisor's doors:
//   vm.snapshot body  {"destination_url": "file:///dir"}       (VmSnapshotConfig)
//   vm.restore body   {"source_url": "file:///dir", "prefault": false,
//                      "memory_restore_mode": "Copy"|"OnDemand", "resume": false,
//                      "net_fds": [{"id": "net1", "num_fds": 2}]}
//   --restore         source_url=file:///dir,prefault=on|off,
//                     memory_restore_mode=copy|ondemand,resume=true|false,
//                     net_fds=[net1@[23,24]]
// (CH's RestoreConfig, vmm/src/config.rs, and its OpenAPI schema.)
//
// Only file:// URLs name a snapshot; the path must be absolute. As CH,
// memory_restore_mode defaults to copy (guest memory is read in whole);
// ondemand maps the memory file so a page is read when first touched.
// net_fds: new tap fds for fd-backed nets (restored_net_fds.h). CH's
// vfio_fds, iommufd_fd and zone_updates are refused: Petrel has no VFIO or
// NUMA zones yet. Unknown fields are refused,
// as in vm.create. Every error is one line (kInvalidArgument).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "vmm/config/restored_net_fds.h"

namespace petrel::config {

struct SnapshotConfig {
  std::string destination_url;
  bool operator==(const SnapshotConfig&) const = default;
};

enum class MemoryRestoreMode { kCopy, kOnDemand };

struct RestoreConfig {
  std::string source_url;
  bool prefault = false;
  MemoryRestoreMode memory_restore_mode = MemoryRestoreMode::kCopy;
  bool resume = false;
  std::vector<RestoredNetFds> net_fds;
  bool operator==(const RestoreConfig&) const = default;
};

Result<SnapshotConfig> SnapshotConfigFromJson(std::string_view body);
Result<RestoreConfig> RestoreConfigFromJson(std::string_view body);
// --restore's value; errors start "--restore: ".
Result<RestoreConfig> ParseRestore(std::string_view text);
// The vm.restore body for `config` (what ch-remote restore sends).
std::string RestoreConfigToJson(const RestoreConfig& config);
std::string SnapshotConfigToJson(const SnapshotConfig& config);

// The directory a file:// URL names ("file:///var/snap" -> "/var/snap").
Result<std::string> SnapshotDirectoryFromUrl(std::string_view url);

}  // namespace petrel::config
