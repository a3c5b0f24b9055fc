// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.resize's, vm.resize-disk's and vm.resize-zone's requests (Cloud
// Hypervisor's VmResize, VmResizeDisk and VmResizeZone schemas): what
// petrel-remote resize, resize-disk and resize-zone send and the VMM reads.
//
//   {"desired_vcpus": 4, "desired_ram": 1073741824, "desired_balloon": 0}
//   {"id": "_disk0", "desired_size": 2147483648}
//   {"id": "mem1", "desired_ram": 2147483648}
//
// vm.resize's fields are optional. desired_vcpus is 1..kMaxVcpus here (the VM's
// --cpus max is checked by the VM). desired_ram is read and refused by the
// VMM until memory hot-plug exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

struct ResizeRequest {
  std::optional<uint32_t> desired_vcpus;
  std::optional<uint64_t> desired_ram;      // bytes
  std::optional<uint64_t> desired_balloon;  // bytes
  bool operator==(const ResizeRequest&) const = default;
};

// The JSON body; kInvalidArgument naming the field.
Result<ResizeRequest> ParseResizeJson(std::string_view body);
std::string ResizeRequestToJson(const ResizeRequest& request);

// ch-remote resize's flags: --cpus <count>, --memory <size>, --balloon
// <size> (sizes as on the command line: 512M, 1G, or bytes). Empty strings
// are absent flags.
Result<ResizeRequest> ParseResizeFlags(std::string_view cpus, std::string_view memory,
                                       std::string_view balloon);

struct ResizeDiskRequest {
  std::string id;             // the disk's device id
  uint64_t desired_size = 0;  // bytes
  bool operator==(const ResizeDiskRequest&) const = default;
};

// Both fields are required.
Result<ResizeDiskRequest> ParseResizeDiskJson(std::string_view body);
std::string ResizeDiskRequestToJson(const ResizeDiskRequest& request);
// ch-remote resize-disk's flags: --disk <id> --size <size>.
Result<ResizeDiskRequest> ParseResizeDiskFlags(std::string_view disk, std::string_view size);

// vm.resize-zone: a memory zone (--memory-zone id=) to a new size, its
// boot size plus what its virtio-mem device is asked to plug (CH's
// VmResizeZone; CH's schema marks neither field required, its server's
// VmResizeZoneData needs both, and so does Petrel).
struct ResizeZoneRequest {
  std::string id;            // the zone's id; not empty
  uint64_t desired_ram = 0;  // bytes: the zone's whole new size
  bool operator==(const ResizeZoneRequest&) const = default;
};

// Both fields are required; kInvalidArgument naming the field.
Result<ResizeZoneRequest> ParseResizeZoneJson(std::string_view body);
std::string ResizeZoneRequestToJson(const ResizeZoneRequest& request);
// ch-remote resize-zone's flags: --id <id> --size <size> (512M, 1G, bytes).
Result<ResizeZoneRequest> ParseResizeZoneFlags(std::string_view id, std::string_view size);

}  // namespace petrel::config
