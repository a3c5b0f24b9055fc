// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BalloonConfig checks (see balloon_config.h).
#include "devices/virtio/balloon/balloon_config.h"

#include "core/base/field_error.h"
#include "devices/virtio/balloon/balloon_spec.h"

namespace petrel::virtio {

Result<void> Validate(const BalloonConfig& balloon) {
  if (balloon.size % kBalloonPageSize != 0) {
    return FieldError("size", std::to_string(balloon.size), "must be a multiple of 4 KiB");
  }
  if ((balloon.size >> kBalloonPfnShift) > UINT32_MAX) {
    return FieldError("size", std::to_string(balloon.size), "is above 16 TiB (2^32 pages)");
  }
  return Ok();
}

}  // namespace petrel::virtio
