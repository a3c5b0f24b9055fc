// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BalloonConfig: what a user chooses about the virtio-balloon device
// (--balloon, the REST API's "balloon", vm.info): Cloud Hypervisor's
// BalloonConfig. A VM has a balloon only when asked for one.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/result.h"

namespace petrel::virtio {

struct BalloonConfig {
  uint64_t size = 0;                 // bytes taken from the guest at boot (the target)
  bool deflate_on_oom = false;       // the guest may deflate when it runs out of memory
  bool free_page_reporting = false;  // the guest reports free pages, which go back to the host
  std::string id;                    // device id; empty until the VM names it
  bool operator==(const BalloonConfig&) const = default;
};

// One line, "<field>=<value>: <problem>": the size must be whole 4 KiB
// pages and (the VM checks this) below the guest's RAM.
Result<void> Validate(const BalloonConfig& balloon);

}  // namespace petrel::virtio
