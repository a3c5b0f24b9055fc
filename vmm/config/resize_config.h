// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.resize's request (Cloud Hypervisor's VmResize schema): what petrel-remote
// resize sends and the VMM reads.
//
//   {"desired_vcpus": 4, "desired_ram": 1073741824, "desired_balloon": 0}
//
// Every field is optional. desired_vcpus is 1..kMaxVcpus here (the VM's
// --cpus max is checked by the VM). desired_ram and desired_balloon are read
// and refused by the VMM until memory hot-plug and the balloon exist.
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

}  // namespace petrel::config
