// Device options with Cloud Hypervisor's syntax and defaults (CH's
// vmm/src/config.rs; ch-compat.md section 1):
//
//   --disk path=<file>,readonly=on|off,direct=on|off,num_queues=<n>,
//          queue_size=<n>,serial=<id>,id=<name>,image_type=raw,iommu=off,
//          pci_segment=0
//   --net  tap=<name>,ip=<ipv4>,mask=<ipv4>,mac=<mac>,host_mac=<mac>,mtu=<n>,
//          num_queues=<n>,queue_size=<n>,offload_tso=on|off,
//          offload_ufo=on|off,offload_csum=on|off,id=<name>,iommu=off,
//          pci_segment=0
//   --rng  src=<path>,iommu=off
//
// Defaults as CH: disk num_queues=1, queue_size=128; net ip=192.168.249.1,
// mask=255.255.255.0, num_queues=2 (one rx/tx pair), queue_size=256,
// offloads on, a random MAC; rng src=/dev/urandom.
// Keys CH has that Petrel does not implement yet (vhost_user, socket,
// rate limiters, fd=, iommu=on, other PCI segments, non-raw images) are
// refused with a one-line error that names them, never ignored.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "devices/net/ipv4_address.h"
#include "devices/net/mac_address.h"

namespace petrel::config {

// virtio-blk: queue sizes are powers of two up to 32768 (virtio 1.2 §2.7);
// Petrel caps queues per device at 16 (one vector each, plus config).
inline constexpr uint64_t kMaxDeviceQueues = 16;
inline constexpr uint64_t kMaxQueueSize = 32768;
inline constexpr size_t kVirtioBlkSerialMax = 20;  // virtio 1.2 §5.2.6: GET_ID, 20 bytes

struct DiskConfig {
  std::string path;
  bool readonly = false;
  bool direct = false;
  uint16_t num_queues = 1;
  uint16_t queue_size = 128;
  std::string serial;
  std::string id;
};

using net::MacAddress;

struct NetConfig {
  std::string tap;  // empty: Petrel creates one
  net::Ipv4Address ip{192, 168, 249, 1};
  net::Ipv4Address mask{255, 255, 255, 0};
  bool ip_given = false;  // ip=/mask= only configure a tap Petrel creates or names
  std::optional<MacAddress> mac;  // absent: random
  std::optional<MacAddress> host_mac;
  std::optional<uint16_t> mtu;
  uint16_t num_queues = 2;  // rx + tx queues (pairs * 2)
  uint16_t queue_size = 256;
  bool offload_tso = true, offload_ufo = true, offload_csum = true;
  std::string id;
};

struct RngConfig {
  std::string src = "/dev/urandom";
};

Result<DiskConfig> ParseDisk(std::string_view text);
Result<NetConfig> ParseNet(std::string_view text);
Result<RngConfig> ParseRng(std::string_view text);

}  // namespace petrel::config
