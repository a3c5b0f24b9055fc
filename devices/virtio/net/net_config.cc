// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// NetConfig's one check (see net_config.h).
#include "devices/virtio/net/net_config.h"

#include <bit>

#include "core/base/field_error.h"
#include "devices/virtio/net/net_spec.h"

namespace petrel::virtio {

namespace {

std::string FdListText(const std::vector<int>& fds) {
  std::string text = "[";
  for (size_t i = 0; i < fds.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(fds[i]);
  }
  return text + "]";
}

Result<void> ValidateFds(const NetConfig& net) {
  const std::vector<int>& fds = *net.fds;
  if (!net.tap.empty()) {
    return FieldError("tap", net.tap, "give a tap name or tap fds (fd=), not both");
  }
  if (fds.empty()) return FieldError("fd", "[]", "needs at least one tap fd");
  if (fds.size() * 2 != net.num_queues) {
    return FieldError("fd", FdListText(fds),
                      std::to_string(fds.size()) + " fd(s) serve " +
                          std::to_string(fds.size() * 2) + " queues, but num_queues=" +
                          std::to_string(net.num_queues) + " (one fd per rx/tx pair)");
  }
  for (int fd : fds) {
    if (fd != kNetStaleFd && fd <= 2) {
      return FieldError("fd", FdListText(fds),
                        "fd " + std::to_string(fd) + " is stdin/stdout/stderr, not a tap");
    }
  }
  return Ok();
}

}  // namespace

Result<void> Validate(const NetConfig& net) {
  if (net.tap.size() > kNetMaxTapNameBytes) {
    return FieldError("tap", net.tap, "interface names are at most 15 bytes");
  }
  for (const auto* mac : {&net.mac, &net.host_mac}) {
    if (*mac && ((**mac)[0] & net::kMacGroupBit)) {
      return FieldError(mac == &net.mac ? "mac" : "host_mac", net::FormatMac(**mac),
                        "a multicast address");
    }
  }
  // kNetMinMtu is IPv4's minimum (RFC 791); 65535 fits the 16-bit config field.
  if (net.mtu && *net.mtu < kNetMinMtu) {
    return FieldError("mtu", std::to_string(*net.mtu), "must be from 68 to 65535");
  }
  if (net.num_queues < 2 || net.num_queues > kNetMaxQueues || net.num_queues % 2 != 0) {
    return FieldError("num_queues", std::to_string(net.num_queues),
                      "must be an even number from 2 to " + std::to_string(kNetMaxQueues));
  }
  if (net.queue_size < 2 || net.queue_size > kNetMaxQueueSize ||
      !std::has_single_bit(net.queue_size)) {
    return FieldError("queue_size", std::to_string(net.queue_size),
                      "must be a power of two from 2 to " + std::to_string(kNetMaxQueueSize));
  }
  if (net.fds) {
    PETREL_TRY(ValidateFds(net));
  }
  if (!net.offload_csum && (net.offload_tso || net.offload_ufo)) {
    return FieldError("offload_csum", "off",
                      "offload_tso and offload_ufo need offload_csum=on (segmentation offloads "
                      "depend on checksum offload)");
  }
  return Ok();
}

}  // namespace petrel::virtio
