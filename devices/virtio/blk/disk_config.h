// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskConfig: everything a user chooses about one virtio-blk disk, its
// defaults and its limits. The command line (--disk), the REST API
// (vm.create's "disks", later vm.add-disk) and vm.info all use this struct;
// Validate() is the one check, run before anything is opened.
//
// Field names, meanings and defaults are Cloud Hypervisor's DiskConfig
// (CH's vmm/src/vm_config.rs): path, readonly=false, direct=false,
// num_queues=1, queue_size=128, serial, id, rate_limiter_config (its own
// struct and limits: core/ratelimit/rate_limiter_config.h), image_type
// (unknown: detect), backing_files=false, sparse=true, lock_granularity
// (devices/block/image). Petrel adds io_engine (CH's testing switch
// disable_io_uring=true means io_engine=sync).
//
// rate_limiter_config is enforced by BlkDevice, one limiter for all the
// disk's queues (blk_device.h); rate_limit_group (CH's) names a limiter
// shared with other disks (VmConfig's rate_limit_groups).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/result.h"
#include "core/ratelimit/rate_limiter_config.h"
#include "devices/block/image/image_lock.h"
#include "devices/block/image/image_type.h"
#include "devices/block/io_engine.h"
#include "devices/virtio/blk/blk_spec.h"

namespace petrel::virtio {

// num_queues: 1..kBlkMaxQueues (each queue has its own MSI-X vector).
inline constexpr uint16_t kBlkMaxQueues = 64;
// queue_size: a power of two (virtio 1.2 §2.7), 2..kBlkMaxQueueSize.
inline constexpr uint16_t kBlkMaxQueueSize = 1024;
inline constexpr uint16_t kBlkDefaultQueueSize = 128;  // CH's default

struct DiskConfig {
  std::string path;  // an image file or block device (each door requires it)
  bool readonly = false;
  bool direct = false;  // O_DIRECT
  std::string serial;  // the GET_ID answer, at most kBlkIdBytes (20); empty: zeros
  uint16_t num_queues = 1;
  uint16_t queue_size = kBlkDefaultQueueSize;
  // Absent: no limit. Present: at least one bucket (ratelimit::Validate).
  std::optional<ratelimit::RateLimiterConfig> rate_limiter_config;
  // The id of a --rate-limit-group whose limiter this disk shares with the
  // others naming it (the VM's config checks that it exists); not together
  // with rate_limiter_config.
  std::optional<std::string> rate_limit_group;
  // The image's format; kUnknown detects it from the file (open_image.h).
  ImageType image_type = ImageType::kUnknown;
  // Follow a qcow2 image's backing file (read-only); off refuses such images.
  bool backing_files = false;
  // Off: raw images are fully allocated when opened, and discard is not
  // offered (space once given to the disk stays); qcow2 keeps freed
  // clusters' space in the file.
  bool sparse = true;
  LockGranularity lock_granularity = LockGranularity::kByteRange;
  // auto: io_uring when the host has it, else synchronous I/O.
  IoEngineKind io_engine = IoEngineKind::kAuto;
  uint32_t queue_depth = kDefaultQueueDepth;  // engine requests in flight (not user-facing)
  std::string id;                             // device id; empty until the VM names it (_disk<N>)
  bool iommu = false;  // behind the VM's virtio-iommu (its DMA translated)

  bool operator==(const DiskConfig&) const = default;
};

// The device's limits. Each error is one line, "<field>=<value>: <problem>"
// (core/base/field_error.h). The path is not checked here: a device may be
// made over a DiskFile already open (tests, hv_sim).
Result<void> Validate(const DiskConfig& disk);

}  // namespace petrel::virtio
