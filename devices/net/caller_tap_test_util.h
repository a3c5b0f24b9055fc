// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for fd-backed nets: a tap opened the way a caller (libvirt,
// Kata) opens one before handing its fd to the VMM, and a count of this
// process's open fds, to show that nothing leaks.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/unique_fd.h"

namespace petrel::net::testing {

inline constexpr short kCallerTapFlags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;

// A tap fd attached to `name` (empty: the kernel picks) with `flags`; on
// failure an invalid fd and `why` says what failed (tests skip with it).
inline UniqueFd OpenCallerTap(std::string& why, short flags = kCallerTapFlags,
                              const std::string& name = "") {
  UniqueFd fd(open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    why = std::string("/dev/net/tun: ") + std::strerror(errno);
    return UniqueFd();
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = flags;
  if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    why = std::string("TUNSETIFF: ") + std::strerror(errno) + " (needs CAP_NET_ADMIN)";
    return UniqueFd();
  }
  return fd;
}

// The interface name of a tap fd.
inline std::string TapNameOf(int fd) {
  ifreq ifr{};
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) return "";
  return std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
}

inline int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

}  // namespace petrel::net::testing
