// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RngConfig's one check (see rng_config.h).
#include "devices/virtio/rng/rng_config.h"

#include "core/base/field_error.h"

namespace petrel::virtio {

Result<void> Validate(const RngConfig& rng) {
  if (rng.src.empty()) return FieldError("src", rng.src, "needs a path");
  return Ok();
}

}  // namespace petrel::virtio
