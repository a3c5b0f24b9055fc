// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.resize's and vm.resize-disk's requests (Cloud Hypervisor's VmResize
// and VmResizeDisk schemas): what petrel-remote resize and resize-disk send
// and the VMM reads.
//
//   {"desired_vcpus": 4, "desired_ram": 1073741824, "desired_balloon": 0}
//   {"id": "_disk0", "desired_size": 2147483648}
//
// Every field is optional. desired_vcpus is 1..kMaxVcpus here (the VM's
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

}  // namespace petrel::config
