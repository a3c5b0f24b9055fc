// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tap: a Linux tap interface opened through /dev/net/tun with
// IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (and IFF_MULTI_QUEUE for several queue
// pairs), one non-blocking fd per queue pair, the vnet header size set to
// virtio_net_hdr_v1's 12 bytes (TUNSETVNETHDRSZ). A tap Petrel creates (no
// name, or a name that does not exist yet) also gets the host-side setup
// Cloud Hypervisor does: IPv4 address and netmask, host MAC, link up.
//
//   PETREL_ASSIGN_OR_RETURN(auto tap, OpenTap({.ip = Ipv4Address{192, 168, 249, 1},
//                                              .mask = Ipv4Address{255, 255, 255, 0}}));
//   tap.queues[0]->Write(iov);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "devices/net/ipv4_address.h"
#include "devices/net/mac_address.h"
#include "core/isolation/syscall_rules.h"
#include "devices/net/net_endpoint.h"

namespace petrel::net {

// What a tap endpoint asks of the kernel on its queue's worker: frames in
// and out (readv/writev), the guest's offloads (TUNSETOFFLOAD) and queue
// pairs attached or detached (TUNSETQUEUE).
const isolation::SyscallRules& TapWorkerSyscalls();

// Cap on queue pairs of one tap (the kernel's MAX_TAP_QUEUES is 256).
inline constexpr uint16_t kMaxTapQueues = 256;

struct TapOptions {
  std::string name;                    // existing or new tap; empty: kernel picks "tapN"
  uint16_t queue_pairs = 1;            // > 1: IFF_MULTI_QUEUE, one fd each
  std::optional<Ipv4Address> ip;       // IPv4 for a new tap
  std::optional<Ipv4Address> mask;     // its netmask
  std::optional<MacAddress> host_mac;  // for a new tap
  std::optional<uint16_t> mtu;         // SIOCSIFMTU, also on an existing tap
};

// One queue of a tap: a NetEndpoint over its fd (owned, closed on destruction).
class TapQueue final : public NetEndpoint {
 public:
  TapQueue(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~TapQueue() override;
  TapQueue(const TapQueue&) = delete;
  TapQueue& operator=(const TapQueue&) = delete;

  int fd() const override { return fd_; }
  const std::string& name() const { return name_; }
  Result<std::optional<size_t>> ReadV(std::span<const iovec> iov) override;
  Result<void> Write(std::span<const iovec> iov) override;
  // Drops USO, then UFO, if the kernel does not know them.
  Result<void> SetOffload(unsigned flags) override;
  Result<void> SetEnabled(bool enabled) override;  // TUNSETQUEUE attach/detach

 private:
  int fd_;
  std::string name_;
};

struct TapDevice {
  std::string name;      // the interface name the kernel used
  bool created = false;  // Petrel created it (and configured its host side)
  std::vector<std::unique_ptr<TapQueue>> queues;
};

// Opens (or creates) the tap. Errors say what to fix: /dev/net/tun missing
// (kNotFound), no permission (kSystem, EPERM: needs CAP_NET_ADMIN or a tap
// owned by this user), bad ip/mask (kInvalidArgument).
Result<TapDevice> OpenTap(const TapOptions& options);

// Takes over taps a caller opened and passed to this process (CH's --net
// fd=[...]), one fd per queue pair. Works on dups (O_CLOEXEC): the caller's
// fds stay open, so the device can be built again (reboot) from the same
// numbers. Each fd must be a tap attached with IFF_NO_PI and IFF_VNET_HDR,
// all on one interface; each dup is made non-blocking (which the caller's
// fd shares) and gets the vnet header size; `mtu` is set on the interface.
// Nothing is configured on the host side (created stays false). Errors name
// the fd: "tap fd 7: not an open fd", "...: not a tap (TUNGETIFF failed)".
Result<TapDevice> AdoptTapFds(std::span<const int> fds, std::optional<uint16_t> mtu);

}  // namespace petrel::net
