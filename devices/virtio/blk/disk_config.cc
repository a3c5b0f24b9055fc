// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskConfig's one check (see disk_config.h).
#include "devices/virtio/blk/disk_config.h"

#include <bit>

#include "core/base/field_error.h"

namespace petrel::virtio {

Result<void> Validate(const DiskConfig& disk) {
  if (disk.num_queues < 1 || disk.num_queues > kBlkMaxQueues) {
    return FieldError("num_queues", std::to_string(disk.num_queues),
                      "must be from 1 to " + std::to_string(kBlkMaxQueues));
  }
  if (disk.queue_size < 2 || disk.queue_size > kBlkMaxQueueSize ||
      !std::has_single_bit(disk.queue_size)) {
    return FieldError("queue_size", std::to_string(disk.queue_size),
                      "must be a power of two from 2 to " + std::to_string(kBlkMaxQueueSize));
  }
  if (disk.serial.size() > kBlkIdBytes) {
    return FieldError("serial", disk.serial, "at most 20 bytes (virtio-blk GET_ID)");
  }
  if (disk.queue_depth < 1 || disk.queue_depth > kMaxQueueDepth) {
    return FieldError("queue_depth", std::to_string(disk.queue_depth),
                      "must be from 1 to " + std::to_string(kMaxQueueDepth));
  }
  if (disk.rate_limiter_config) {
    PETREL_TRY(ratelimit::Validate(*disk.rate_limiter_config).Wrap("rate_limiter_config"));
    if (disk.rate_limit_group) {
      return FieldError("rate_limit_group", *disk.rate_limit_group,
                        "a disk takes its own rate limiter or a group's, not both");
    }
  }
  if (disk.rate_limit_group && disk.rate_limit_group->empty()) {
    return FieldError("rate_limit_group", "", "must name a --rate-limit-group id");
  }
  return Ok();
}

}  // namespace petrel::virtio
