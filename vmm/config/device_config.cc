// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Parsers for --disk, --net and --rng (see device_config.h).
#include "vmm/config/device_config.h"

#include "vmm/config/option_parser.h"

namespace petrel::config {

namespace {

// The keys every PCI device has: iommu=on|off (returned) and pci_segment,
// of which Petrel has only 0 (say so for anything else).
Result<bool> ParseCommonPciKeys(const OptionParser& parser) {
  PETREL_ASSIGN_OR_RETURN(auto iommu, parser.GetBool("iommu"));
  PETREL_ASSIGN_OR_RETURN(auto segment, parser.GetU64("pci_segment"));
  if (segment.value_or(0) != 0) {
    return parser.ValueError("pci_segment", *parser.Get("pci_segment"),
                             "Petrel has one PCI segment (0)");
  }
  return iommu.value_or(false);
}

// A 16-bit count or size; the range is the device's to check (Validate).
Result<std::optional<uint16_t>> GetU16(const OptionParser& parser, std::string_view key) {
  PETREL_ASSIGN_OR_RETURN(auto v, parser.GetU64(key));
  if (!v) return std::optional<uint16_t>();
  if (*v > 0xffff) return parser.ValueError(key, *parser.Get(key), "must be at most 65535");
  return std::optional<uint16_t>(static_cast<uint16_t>(*v));
}

Result<net::Ipv4Address> ParseIpv4(const OptionParser& parser, std::string_view key) {
  const std::string text = *parser.Get(key);
  auto address = net::ParseIpv4(text);
  if (!address.ok()) return parser.ValueError(key, text, address.error().message());
  return *address;
}

// CH's bw_* / ops_* keys (sizes in bytes or requests, refill times in ms).
// As in CH, a bucket with size and refill_time both 0 or absent is no bucket,
// and no bucket at all is no rate limiter; a bucket with only one of them is
// kept for Validate() to refuse (CH would silently not limit).

}  // namespace

Result<std::optional<ratelimit::RateLimiterConfig>> ParseRateLimiter(const OptionParser& parser) {
  ratelimit::RateLimiterConfig config;
  for (const char* prefix : {"bw", "ops"}) {
    const std::string p(prefix);
    PETREL_ASSIGN_OR_RETURN(auto size, parser.GetU64(p + "_size"));
    PETREL_ASSIGN_OR_RETURN(auto burst, parser.GetU64(p + "_one_time_burst"));
    PETREL_ASSIGN_OR_RETURN(auto refill, parser.GetU64(p + "_refill_time"));
    (p == "bw" ? config.bandwidth : config.ops) =
        ratelimit::BucketFromValues(size.value_or(0), burst.value_or(0), refill.value_or(0));
  }
  if (!config.bandwidth && !config.ops) return std::optional<ratelimit::RateLimiterConfig>();
  return std::optional<ratelimit::RateLimiterConfig>(config);
}

Result<DiskConfig> ParseDisk(std::string_view text) {
  OptionParser parser(Option("--disk"));
  PETREL_TRY(parser.Parse(text));
  DiskConfig disk;
  PETREL_ASSIGN_OR_RETURN(disk.iommu, ParseCommonPciKeys(parser));
  const auto path = parser.Get("path");
  if (!path) return Error(ErrorCode::kInvalidArgument, "--disk: path=<file> is required");
  disk.path = *path;
  PETREL_ASSIGN_OR_RETURN(auto readonly, parser.GetBool("readonly"));
  PETREL_ASSIGN_OR_RETURN(auto direct, parser.GetBool("direct"));
  disk.readonly = readonly.value_or(disk.readonly);
  disk.direct = direct.value_or(disk.direct);
  PETREL_ASSIGN_OR_RETURN(auto num_queues, GetU16(parser, "num_queues"));
  PETREL_ASSIGN_OR_RETURN(auto queue_size, GetU16(parser, "queue_size"));
  disk.num_queues = num_queues.value_or(disk.num_queues);
  disk.queue_size = queue_size.value_or(disk.queue_size);
  disk.serial = parser.Get("serial").value_or("");
  if (const auto type = parser.Get("image_type")) {
    auto parsed = ParseImageType(*type);
    if (!parsed.ok()) return parser.ValueError("image_type", *type, "expected raw, qcow2, vhd, vhdx or vmdk");
    disk.image_type = *parsed;
  }
  PETREL_ASSIGN_OR_RETURN(auto backing_files, parser.GetBool("backing_files"));
  PETREL_ASSIGN_OR_RETURN(auto sparse, parser.GetBool("sparse"));
  disk.backing_files = backing_files.value_or(disk.backing_files);
  disk.sparse = sparse.value_or(disk.sparse);
  if (const auto lock = parser.Get("lock_granularity")) {
    auto parsed = ParseLockGranularity(*lock);
    if (!parsed.ok()) return parser.ValueError("lock_granularity", *lock, "expected byte-range or full");
    disk.lock_granularity = *parsed;
  }
  // CH's testing switches: Petrel has no AIO engine, so _disable_aio is moot.
  PETREL_ASSIGN_OR_RETURN(auto no_uring, parser.GetBool("_disable_io_uring"));
  PETREL_ASSIGN_OR_RETURN(auto no_aio, parser.GetBool("_disable_aio"));
  (void)no_aio;
  if (const auto engine = parser.Get("io_engine")) {
    auto kind = ParseIoEngineKind(*engine);
    if (!kind.ok()) return parser.ValueError("io_engine", *engine, "expected auto, sync or io_uring");
    disk.io_engine = *kind;
  }
  if (no_uring.value_or(false)) {
    if (disk.io_engine == IoEngineKind::kUring) {
      return parser.ValueError("io_engine", "io_uring", "contradicts _disable_io_uring=on");
    }
    disk.io_engine = IoEngineKind::kSync;
  }
  disk.id = parser.Get("id").value_or("");
  PETREL_ASSIGN_OR_RETURN(disk.rate_limiter_config, ParseRateLimiter(parser));
  if (const auto group = parser.Get("rate_limit_group")) disk.rate_limit_group = *group;
  PETREL_TRY(virtio::Validate(disk).Wrap("--disk"));
  return disk;
}

Result<NetConfig> ParseNet(std::string_view text) {
  OptionParser parser(Option("--net"));
  PETREL_TRY(parser.Parse(text));
  NetConfig net;
  PETREL_ASSIGN_OR_RETURN(net.iommu, ParseCommonPciKeys(parser));
  net.tap = parser.Get("tap").value_or("");
  if (parser.Has("ip")) {
    PETREL_ASSIGN_OR_RETURN(net.ip, ParseIpv4(parser, "ip"));
  }
  if (parser.Has("mask")) {
    PETREL_ASSIGN_OR_RETURN(net.mask, ParseIpv4(parser, "mask"));
  }
  for (const char* key : {"mac", "host_mac"}) {
    if (const auto value = parser.Get(key)) {
      auto mac = net::ParseMac(*value);
      // ParseMac's message quotes the raw text; ValueError already echoes it
      // escaped, so give only the expected form here.
      if (!mac.ok()) return parser.ValueError(key, *value, "expected xx:xx:xx:xx:xx:xx (hex)");
      (std::string_view(key) == "mac" ? net.mac : net.host_mac) = *mac;
    }
  }
  PETREL_ASSIGN_OR_RETURN(net.mtu, GetU16(parser, "mtu"));
  PETREL_ASSIGN_OR_RETURN(auto num_queues, GetU16(parser, "num_queues"));
  PETREL_ASSIGN_OR_RETURN(auto queue_size, GetU16(parser, "queue_size"));
  net.num_queues = num_queues.value_or(net.num_queues);
  net.queue_size = queue_size.value_or(net.queue_size);
  PETREL_ASSIGN_OR_RETURN(auto tso, parser.GetBool("offload_tso"));
  PETREL_ASSIGN_OR_RETURN(auto ufo, parser.GetBool("offload_ufo"));
  PETREL_ASSIGN_OR_RETURN(auto csum, parser.GetBool("offload_csum"));
  net.offload_csum = csum.value_or(true);
  // Without checksum offload the segmentation offloads default to off too.
  net.offload_tso = tso.value_or(net.offload_csum);
  net.offload_ufo = ufo.value_or(net.offload_csum);
  net.id = parser.Get("id").value_or("");
  if (const auto fds = parser.Get("fd")) {
    auto list = ParseFdList(*fds);
    if (!list.ok()) return parser.ValueError("fd", *fds, list.error().message());
    net.fds = std::move(list).value();
  }
  PETREL_TRY(virtio::Validate(net).Wrap("--net"));
  return net;
}

Result<RngConfig> ParseRng(std::string_view text) {
  OptionParser parser(Option("--rng"));
  PETREL_TRY(parser.Parse(text));
  RngConfig rng;
  PETREL_ASSIGN_OR_RETURN(rng.iommu, ParseCommonPciKeys(parser));
  rng.src = parser.Get("src").value_or(rng.src);
  PETREL_TRY(virtio::Validate(rng).Wrap("--rng"));
  return rng;
}

// --balloon size=<size>,deflate_on_oom=on|off,free_page_reporting=on|off
// (Cloud Hypervisor's BalloonConfig::parse; size defaults to 0).
Result<BalloonConfig> ParseBalloon(std::string_view text) {
  OptionParser parser(Option("--balloon"));
  PETREL_TRY(parser.Parse(text));
  PETREL_ASSIGN_OR_RETURN(const bool iommu, ParseCommonPciKeys(parser));
  if (iommu) {
    return parser.ValueError("iommu", *parser.Get("iommu"),
                             "the balloon hands the host guest-physical pages; it is never "
                             "behind the virtio-iommu");
  }
  BalloonConfig balloon;
  PETREL_ASSIGN_OR_RETURN(auto size, parser.GetSize("size"));
  balloon.size = size.value_or(0);
  PETREL_ASSIGN_OR_RETURN(auto oom, parser.GetBool("deflate_on_oom"));
  balloon.deflate_on_oom = oom.value_or(false);
  PETREL_ASSIGN_OR_RETURN(auto reporting, parser.GetBool("free_page_reporting"));
  balloon.free_page_reporting = reporting.value_or(false);
  PETREL_TRY(virtio::Validate(balloon).Wrap("--balloon"));
  return balloon;
}

Result<PmemConfig> ParsePmem(std::string_view text) {
  OptionParser parser(Option("--pmem"));
  PETREL_TRY(parser.Parse(text));
  PmemConfig pmem;
  PETREL_ASSIGN_OR_RETURN(pmem.iommu, ParseCommonPciKeys(parser));
  const auto file = parser.Get("file");
  if (!file) return Error(ErrorCode::kInvalidArgument, "--pmem: file=<path> is required");
  pmem.file = *file;
  PETREL_ASSIGN_OR_RETURN(pmem.size, parser.GetSize("size"));
  PETREL_ASSIGN_OR_RETURN(auto discard, parser.GetBool("discard_writes"));
  pmem.discard_writes = discard.value_or(false);
  pmem.id = parser.Get("id").value_or("");
  PETREL_TRY(virtio::Validate(pmem).Wrap("--pmem"));
  return pmem;
}

Result<VsockConfig> ParseVsock(std::string_view text) {
  OptionParser parser(Option("--vsock"));
  PETREL_TRY(parser.Parse(text));
  VsockConfig vsock;
  PETREL_ASSIGN_OR_RETURN(vsock.iommu, ParseCommonPciKeys(parser));
  PETREL_ASSIGN_OR_RETURN(auto cid, parser.GetU64("cid"));
  if (!cid) return Error(ErrorCode::kInvalidArgument, "--vsock: cid=<context id> is required");
  vsock.cid = *cid;
  const auto socket = parser.Get("socket");
  if (!socket) return Error(ErrorCode::kInvalidArgument, "--vsock: socket=<path> is required");
  vsock.socket = *socket;
  vsock.id = parser.Get("id").value_or("");
  PETREL_TRY(virtio::Validate(vsock).Wrap("--vsock"));
  return vsock;
}

// --tpm socket=<path> (Cloud Hypervisor's TpmConfig::parse: socket is required).
Result<TpmConfig> ParseTpm(std::string_view text) {
  OptionParser parser(Option("--tpm"));
  PETREL_TRY(parser.Parse(text));
  const std::optional<std::string> socket = parser.Get("socket");
  if (!socket) return Error(ErrorCode::kInvalidArgument, "--tpm: socket=<path> is required");
  TpmConfig tpm;
  tpm.socket = *socket;
  PETREL_TRY(tpm::Validate(tpm).Wrap("--tpm"));
  return tpm;
}

}  // namespace petrel::config
