// Parsers for --disk, --net and --rng (see device_config.h).
#include "vmm/config/device_config.h"

#include "vmm/config/option_parser.h"

namespace petrel::config {

namespace {

// Keys CH accepts that Petrel refuses for now (rather than ignoring them).
Result<void> RefuseUnsupported(const OptionParser& parser,
                               std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (parser.Has(key)) {
      return parser.ValueError(key, parser.Get(key).value_or(""), "not supported by Petrel yet");
    }
  }
  return Ok();
}

// iommu=off and pci_segment=0 are what Petrel has; say so for anything else.
Result<void> CheckCommonPciKeys(const OptionParser& parser) {
  PETREL_ASSIGN_OR_RETURN(auto iommu, parser.GetBool("iommu"));
  if (iommu.value_or(false)) {
    return parser.ValueError("iommu", *parser.Get("iommu"), "no virtio-iommu in Petrel yet");
  }
  PETREL_ASSIGN_OR_RETURN(auto segment, parser.GetU64("pci_segment"));
  if (segment.value_or(0) != 0) {
    return parser.ValueError("pci_segment", *parser.Get("pci_segment"),
                             "Petrel has one PCI segment (0)");
  }
  return Ok();
}

Result<uint16_t> GetQueueCount(const OptionParser& parser, std::string_view key, uint16_t fallback,
                               uint16_t multiple) {
  PETREL_ASSIGN_OR_RETURN(auto v, parser.GetU64(key));
  if (!v) return fallback;
  if (*v == 0 || *v > kMaxDeviceQueues || *v % multiple != 0) {
    return parser.ValueError(key, *parser.Get(key),
                             "must be " + std::string(multiple == 2 ? "an even number " : "") +
                                 "from " + std::to_string(multiple) + " to " +
                                 std::to_string(kMaxDeviceQueues));
  }
  return static_cast<uint16_t>(*v);
}

Result<uint16_t> GetQueueSize(const OptionParser& parser, uint16_t fallback) {
  PETREL_ASSIGN_OR_RETURN(auto v, parser.GetU64("queue_size"));
  if (!v) return fallback;
  if (*v == 0 || *v > kMaxQueueSize || (*v & (*v - 1)) != 0) {
    return parser.ValueError("queue_size", *parser.Get("queue_size"),
                             "must be a power of two from 1 to 32768");
  }
  return static_cast<uint16_t>(*v);
}

Result<net::Ipv4Address> ParseIpv4(const OptionParser& parser, std::string_view key) {
  const std::string text = *parser.Get(key);
  auto address = net::ParseIpv4(text);
  if (!address.ok()) return parser.ValueError(key, text, address.error().message());
  return *address;
}

}  // namespace

Result<DiskConfig> ParseDisk(std::string_view text) {
  OptionParser parser("--disk",
                      {"path", "readonly", "direct", "iommu", "num_queues", "queue_size",
                       "vhost_user", "socket", "bw_size", "bw_one_time_burst", "bw_refill_time",
                       "ops_size", "ops_one_time_burst", "ops_refill_time", "id", "pci_segment",
                       "rate_limit_group", "queue_affinity", "serial", "image_type",
                       "backing_files", "sparse"});
  PETREL_TRY(parser.Parse(text));
  PETREL_TRY(RefuseUnsupported(parser, {"vhost_user", "socket", "bw_size", "bw_one_time_burst",
                                        "bw_refill_time", "ops_size", "ops_one_time_burst",
                                        "ops_refill_time", "rate_limit_group", "queue_affinity",
                                        "backing_files", "sparse"}));
  PETREL_TRY(CheckCommonPciKeys(parser));
  DiskConfig disk;
  const auto path = parser.Get("path");
  if (!path || path->empty()) {
    return Error(ErrorCode::kInvalidArgument, "--disk: path=<file> is required");
  }
  disk.path = *path;
  PETREL_ASSIGN_OR_RETURN(auto readonly, parser.GetBool("readonly"));
  PETREL_ASSIGN_OR_RETURN(auto direct, parser.GetBool("direct"));
  disk.readonly = readonly.value_or(false);
  disk.direct = direct.value_or(false);
  PETREL_ASSIGN_OR_RETURN(disk.num_queues, GetQueueCount(parser, "num_queues", 1, 1));
  PETREL_ASSIGN_OR_RETURN(disk.queue_size, GetQueueSize(parser, 128));
  if (const auto serial = parser.Get("serial")) {
    if (serial->size() > kVirtioBlkSerialMax) {
      return parser.ValueError("serial", *serial, "at most 20 bytes (virtio-blk GET_ID)");
    }
    disk.serial = *serial;
  }
  if (const auto type = parser.Get("image_type"); type && *type != "raw") {
    return parser.ValueError("image_type", *type, "Petrel reads raw images only");
  }
  disk.id = parser.Get("id").value_or("");
  return disk;
}

Result<NetConfig> ParseNet(std::string_view text) {
  OptionParser parser("--net",
                      {"tap", "ip", "mask", "mac", "host_mac", "mtu", "iommu", "num_queues",
                       "queue_size", "id", "vhost_user", "socket", "vhost_mode", "fd", "bw_size",
                       "bw_one_time_burst", "bw_refill_time", "ops_size", "ops_one_time_burst",
                       "ops_refill_time", "pci_segment", "offload_tso", "offload_ufo",
                       "offload_csum"});
  PETREL_TRY(parser.Parse(text));
  PETREL_TRY(RefuseUnsupported(parser, {"vhost_user", "socket", "vhost_mode", "fd", "bw_size",
                                        "bw_one_time_burst", "bw_refill_time", "ops_size",
                                        "ops_one_time_burst", "ops_refill_time"}));
  PETREL_TRY(CheckCommonPciKeys(parser));
  NetConfig net;
  net.tap = parser.Get("tap").value_or("");
  if (net.tap.size() > 15) {  // IFNAMSIZ - 1
    return parser.ValueError("tap", net.tap, "interface names are at most 15 bytes");
  }
  if (parser.Has("ip")) {
    PETREL_ASSIGN_OR_RETURN(net.ip, ParseIpv4(parser, "ip"));
  }
  if (parser.Has("mask")) {
    PETREL_ASSIGN_OR_RETURN(net.mask, ParseIpv4(parser, "mask"));
  }
  net.ip_given = parser.Has("ip") || parser.Has("mask");
  for (const char* key : {"mac", "host_mac"}) {
    if (const auto value = parser.Get(key)) {
      auto mac = net::ParseMac(*value);
      // ParseMac's message quotes the raw text; ValueError already echoes it
      // escaped, so give only the expected form here.
      if (!mac.ok()) return parser.ValueError(key, *value, "expected xx:xx:xx:xx:xx:xx (hex)");
      if ((*mac)[0] & net::kMacGroupBit) return parser.ValueError(key, *value, "a multicast address");
      (std::string_view(key) == "mac" ? net.mac : net.host_mac) = *mac;
    }
  }
  PETREL_ASSIGN_OR_RETURN(auto mtu, parser.GetU64("mtu"));
  if (mtu) {
    // 68 is IPv4's minimum MTU (RFC 791); 65535 the largest virtio-net's
    // 16-bit config field holds.
    if (*mtu < 68 || *mtu > 65535) {
      return parser.ValueError("mtu", *parser.Get("mtu"), "must be from 68 to 65535");
    }
    net.mtu = static_cast<uint16_t>(*mtu);
  }
  PETREL_ASSIGN_OR_RETURN(net.num_queues, GetQueueCount(parser, "num_queues", 2, 2));
  PETREL_ASSIGN_OR_RETURN(net.queue_size, GetQueueSize(parser, 256));
  PETREL_ASSIGN_OR_RETURN(auto tso, parser.GetBool("offload_tso"));
  PETREL_ASSIGN_OR_RETURN(auto ufo, parser.GetBool("offload_ufo"));
  PETREL_ASSIGN_OR_RETURN(auto csum, parser.GetBool("offload_csum"));
  net.offload_tso = tso.value_or(true);
  net.offload_ufo = ufo.value_or(true);
  net.offload_csum = csum.value_or(true);
  if (!net.offload_csum && (net.offload_tso || net.offload_ufo) && (tso || ufo)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--net: offload_tso/offload_ufo need offload_csum=on (segmentation offloads "
                 "depend on checksum offload)");
  }
  if (!net.offload_csum) net.offload_tso = net.offload_ufo = false;
  net.id = parser.Get("id").value_or("");
  return net;
}

Result<RngConfig> ParseRng(std::string_view text) {
  OptionParser parser("--rng", {"src", "iommu"});
  PETREL_TRY(parser.Parse(text));
  PETREL_TRY(CheckCommonPciKeys(parser));
  RngConfig rng;
  if (const auto src = parser.Get("src")) {
    if (src->empty()) return parser.ValueError("src", *src, "needs a path");
    rng.src = *src;
  }
  return rng;
}

}  // namespace petrel::config
