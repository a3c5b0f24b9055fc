// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RngConfig: what a user chooses about the virtio-rng device (--rng, the
// REST API's "rng", vm.info). Cloud Hypervisor's RngConfig: every VM has
// one, reading src=/dev/urandom unless told otherwise.
#pragma once

#include <string>

#include "core/base/result.h"

namespace petrel::virtio {

inline constexpr const char* kRngDefaultSource = "/dev/urandom";

struct RngConfig {
  std::string src = kRngDefaultSource;  // a file or device to read entropy from
  std::string id;                       // device id; empty until the VM names it
  bool iommu = false;  // behind the VM's virtio-iommu (its DMA translated)

  bool operator==(const RngConfig&) const = default;
};

// One line, "<field>=<value>: <problem>" (core/base/field_error.h).
Result<void> Validate(const RngConfig& rng);

}  // namespace petrel::virtio
