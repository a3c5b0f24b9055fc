// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// NetConfig: everything a user chooses about one virtio-net device, its
// defaults and its limits. The command line (--net), the REST API
// (vm.create's "net", later vm.add-net) and vm.info all use this struct;
// Validate() is the one check, run before a tap is opened.
//
// Field names, meanings and defaults are Cloud Hypervisor's NetConfig (CH's
// vmm/src/vm_config.rs): tap (empty: Petrel creates one), ip=192.168.249.1,
// mask=255.255.255.0 (both set only on a tap Petrel creates), mac (absent:
// random, locally administered), host_mac, mtu, num_queues=2 (one rx/tx
// pair), queue_size=256, offload_tso/ufo/csum=true, id, fds.
//
// fds (CH's --net fd=[3,4], JSON "fds"): taps the caller opened and handed
// to the process (libvirt, Kata), one fd per queue pair, so num_queues must
// be 2 * fds.size() (CH's rule). The device uses dups; the fds themselves stay
// open for reboots. A tap and fds are exclusive (CH silently takes the tap).
// An fd number means nothing in another process: read back from JSON
// (a snapshot's config.json, a vm.create body) each fd is kNetStaleFd, and
// such a net cannot be built until restore gives new ones (net_fds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "devices/net/ipv4_address.h"
#include "devices/net/mac_address.h"

namespace petrel::virtio {

// num_queues counts rx + tx queues: even, 2..kNetMaxQueues (256 pairs, the
// most a Linux multi-queue tap has).
inline constexpr uint16_t kNetMaxQueues = 512;
// queue_size: a power of two (virtio 1.2 §2.7), 2..kNetMaxQueueSize.
inline constexpr uint16_t kNetMaxQueueSize = 4096;
inline constexpr uint16_t kNetDefaultQueueSize = 256;  // CH's default
// Longest Linux interface name (IFNAMSIZ - 1).
inline constexpr size_t kNetMaxTapNameBytes = 15;
// An fd number from another process (see fds above), as CH writes it.
inline constexpr int kNetStaleFd = -1;

struct NetConfig {
  std::string tap;  // an existing tap; empty: create "tapN"
  net::Ipv4Address ip{192, 168, 249, 1};
  net::Ipv4Address mask{255, 255, 255, 0};
  std::optional<net::MacAddress> mac;       // the guest's MAC; absent: random
  std::optional<net::MacAddress> host_mac;  // the MAC of a created tap
  std::optional<uint16_t> mtu;              // VIRTIO_NET_F_MTU and the tap's MTU
  uint16_t num_queues = 2;
  uint16_t queue_size = kNetDefaultQueueSize;
  bool offload_tso = true;
  bool offload_ufo = true;
  bool offload_csum = true;  // off needs TSO and UFO off too (§5.1.3.1)
  std::string id;            // device id; empty until the VM names it (_net<N>)
  std::optional<std::vector<int>> fds;  // caller-opened taps, one per queue pair
  bool iommu = false;  // behind the VM's virtio-iommu (its DMA translated)

  bool fd_backed() const { return fds.has_value(); }

  bool operator==(const NetConfig&) const = default;
};

// Each error is one line, "<field>=<value>: <problem>" (core/base/field_error.h).
Result<void> Validate(const NetConfig& net);

}  // namespace petrel::virtio
