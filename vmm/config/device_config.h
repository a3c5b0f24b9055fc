// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The command-line door for device options: --disk, --net and --rng strings
// in Cloud Hypervisor's syntax, parsed into the config structs the devices
// define (DiskConfig in devices/virtio/blk/disk_config.h, NetConfig in
// devices/virtio/net/net_config.h, RngConfig in devices/virtio/rng/rng_config.h).
// The defaults and limits live there, and so does Validate(), which the REST
// API's door (vm_config_json.h) runs too: both report a bad value with the
// same words, the CLI prefixed "--disk: ", the API "disks[0]: ".
//
//   --disk path=<file>,readonly=on|off,direct=on|off,num_queues=<n>,
//          queue_size=<n>,serial=<id>,id=<name>,image_type=raw,iommu=off,
//          pci_segment=0,_disable_io_uring=on|off,_disable_aio=on|off,
//          bw_size=<bytes>,bw_one_time_burst=<bytes>,bw_refill_time=<ms>,
//          ops_size=<n>,ops_one_time_burst=<n>,ops_refill_time=<ms>,
//          rate_limit_group=<id>,io_engine=auto|sync|io_uring (Petrel's)
//   --net  tap=<name>,ip=<ipv4>,mask=<ipv4>,mac=<mac>,host_mac=<mac>,mtu=<n>,
//          num_queues=<n>,queue_size=<n>,offload_tso=on|off,
//          offload_ufo=on|off,offload_csum=on|off,id=<name>,iommu=off,
//          pci_segment=0,fd=[<n>,...] (tap fds the caller opened; see net_config.h)
//   --rng  src=<path>,iommu=off
//   --tpm  socket=<path> (swtpm's control socket)
//
// "key=" leaves the key at its default (CH: --net "tap=,mac=,ip=,mask=").
// Keys CH has that Petrel does not implement yet (vhost_user, socket,
// iommu=on, other PCI segments, non-raw images, --net's
// rate limiter) are refused with a one-line error that names them, never
// ignored. --disk's rate limiter keys are read into DiskConfig's
// rate_limiter_config, which the disk enforces (disk_config.h);
// rate_limit_group names a --rate-limit-group (vm_config.h).
#pragma once

#include <optional>
#include <string_view>

#include "core/base/result.h"
#include "devices/virtio/balloon/balloon_config.h"
#include "devices/virtio/blk/disk_config.h"
#include "devices/virtio/net/net_config.h"
#include "devices/virtio/pmem/pmem_config.h"
#include "devices/virtio/vsock/vsock_config.h"
#include "devices/virtio/rng/rng_config.h"
#include "devices/tpm/tpm_config.h"

namespace petrel::config {

using virtio::BalloonConfig;
using virtio::DiskConfig;
using virtio::NetConfig;
using virtio::PmemConfig;
using virtio::VsockConfig;
using virtio::RngConfig;
using tpm::TpmConfig;

Result<DiskConfig> ParseDisk(std::string_view text);
Result<NetConfig> ParseNet(std::string_view text);
Result<RngConfig> ParseRng(std::string_view text);
Result<BalloonConfig> ParseBalloon(std::string_view text);
Result<PmemConfig> ParsePmem(std::string_view text);
Result<VsockConfig> ParseVsock(std::string_view text);
Result<TpmConfig> ParseTpm(std::string_view text);

class OptionParser;
// The bw_* / ops_* keys of a parsed option (--disk, --rate-limit-group):
// no limiter when no bucket is given (CH's rule, BucketFromValues).
Result<std::optional<ratelimit::RateLimiterConfig>> ParseRateLimiter(const OptionParser& parser);

}  // namespace petrel::config
