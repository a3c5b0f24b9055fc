// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tap: /dev/net/tun setup and the tap queue's packet I/O.
#include "devices/net/tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/unique_fd.h"

namespace petrel::net {

const isolation::SyscallRules& TapWorkerSyscalls() {
  static const isolation::SyscallRules rules = [] {
    isolation::SyscallRules r = {SYS_readv, SYS_writev};
    r.AllowIoctls({TUNSETOFFLOAD, TUNSETQUEUE});
    return r;
  }();
  return rules;
}
namespace {

constexpr const char* kTunPath = "/dev/net/tun";

// The name fits ifr_name (IFNAMSIZ including the NUL).
Result<void> CheckName(const std::string& name) {
  if (name.size() >= IFNAMSIZ) {
    return Error(ErrorCode::kInvalidArgument,
                 "tap name '" + name + "' longer than " + std::to_string(IFNAMSIZ - 1));
  }
  return Ok();
}

ifreq MakeIfreq(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return ifr;
}

Error IoctlError(const std::string& what, const std::string& name, int errnum) {
  Error e = Error::FromErrno(what + " on tap " + name, errnum);
  if (errnum == EPERM || errnum == EACCES) {
    e.Wrap("no permission (needs CAP_NET_ADMIN, or a tap owned by this user)");
  }
  return e;
}

// The vnet header size both sides use (§5.1.6: virtio_net_hdr_v1, 12 bytes).
Result<void> SetVnetHeaderSize(int fd, const std::string& name) {
  int hdr_size = static_cast<int>(kVnetHeaderSize);
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) return IoctlError("TUNSETVNETHDRSZ", name, errno);
  return Ok();
}

// One caller-opened tap fd, checked and duplicated (see AdoptTapFds).
Result<std::unique_ptr<TapQueue>> AdoptOne(int fd) {
  const std::string what = "tap fd " + std::to_string(fd);
  const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0) {
    if (errno == EBADF) return Error(ErrorCode::kInvalidArgument, what + ": not an open fd");
    return Error::FromErrno(what + ": dup");
  }
  UniqueFd owned(dup_fd);  // closed on any error below
  ifreq ifr{};
  if (ioctl(dup_fd, TUNGETIFF, &ifr) < 0) {
    return Error(ErrorCode::kInvalidArgument, what + ": not a tap (TUNGETIFF failed)");
  }
  const std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  const std::string on = what + " (" + name + ")";
  if ((ifr.ifr_flags & IFF_TAP) == 0) {
    return Error(ErrorCode::kInvalidArgument, on + ": a tun, not a tap (needs IFF_TAP)");
  }
  if ((ifr.ifr_flags & IFF_NO_PI) == 0 || (ifr.ifr_flags & IFF_VNET_HDR) == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 on + ": opened without IFF_NO_PI | IFF_VNET_HDR, which virtio-net needs");
  }
  const int flags = fcntl(dup_fd, F_GETFL);
  if (flags < 0 || fcntl(dup_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return Error::FromErrno(on + ": setting O_NONBLOCK");
  }
  PETREL_TRY(SetVnetHeaderSize(dup_fd, name));
  return std::make_unique<TapQueue>(owned.release(), name);
}

Result<int> OpenQueue(const std::string& want, short flags, std::string& got) {
  const int fd = open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENODEV) {
      return Error(ErrorCode::kNotFound, std::string(kTunPath) + " missing (load the tun module)",
                   err);
    }
    Error e = Error::FromErrno(std::string("opening ") + kTunPath, err);
    if (err == EACCES || err == EPERM) e.Wrap("no permission");
    return e;
  }
  ifreq ifr = MakeIfreq(want);
  ifr.ifr_flags = flags;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    close(fd);
    return IoctlError("TUNSETIFF", want.empty() ? "(new)" : want, err);
  }
  got.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  if (Result<void> sized = SetVnetHeaderSize(fd, got); !sized.ok()) {
    close(fd);
    return sized.error();
  }
  return fd;
}

in_addr ToInAddr(const Ipv4Address& address) {
  in_addr addr{};
  static_assert(sizeof addr.s_addr == sizeof address);
  std::memcpy(&addr.s_addr, address.data(), address.size());  // both in network order
  return addr;
}

// SIOCSIF* on an AF_INET socket.
class InetSocket {
 public:
  InetSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~InetSocket() {
    if (fd_ >= 0) close(fd_);
  }
  InetSocket(const InetSocket&) = delete;
  InetSocket& operator=(const InetSocket&) = delete;

  Result<void> Ioctl(unsigned long request, ifreq& ifr, const char* what) {
    if (fd_ < 0) return Error::FromErrno("socket(AF_INET)");
    if (ioctl(fd_, request, &ifr) < 0) return IoctlError(what, ifr.ifr_name, errno);
    return Ok();
  }

 private:
  int fd_;
};

Result<void> SetAddr(InetSocket& sock, const std::string& name, const in_addr& addr,
                     unsigned long request, const char* what) {
  ifreq ifr = MakeIfreq(name);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = addr;
  static_assert(sizeof sin <= sizeof ifr.ifr_addr);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  return sock.Ioctl(request, ifr, what);
}

Result<void> ConfigureHost(const TapOptions& o, const std::string& name, bool created) {
  InetSocket sock;
  if (o.mtu) {
    ifreq ifr = MakeIfreq(name);
    ifr.ifr_mtu = *o.mtu;
    PETREL_TRY(sock.Ioctl(SIOCSIFMTU, ifr, "SIOCSIFMTU"));
  }
  if (!created) return Ok();
  if (o.ip) PETREL_TRY(SetAddr(sock, name, ToInAddr(*o.ip), SIOCSIFADDR, "SIOCSIFADDR"));
  if (o.mask) {
    PETREL_TRY(SetAddr(sock, name, ToInAddr(*o.mask), SIOCSIFNETMASK, "SIOCSIFNETMASK"));
  }
  if (o.host_mac) {
    ifreq ifr = MakeIfreq(name);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(ifr.ifr_hwaddr.sa_data, o.host_mac->data(), o.host_mac->size());
    PETREL_TRY(sock.Ioctl(SIOCSIFHWADDR, ifr, "SIOCSIFHWADDR"));
  }
  ifreq ifr = MakeIfreq(name);
  PETREL_TRY(sock.Ioctl(SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS"));
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  return sock.Ioctl(SIOCSIFFLAGS, ifr, "SIOCSIFFLAGS");
}

}  // namespace

TapQueue::~TapQueue() {
  if (fd_ >= 0) close(fd_);
}

Result<std::optional<size_t>> TapQueue::ReadV(std::span<const iovec> iov) {
  if (iov.size() > IOV_MAX) {
    return Error(ErrorCode::kInvalidArgument, "tap " + name_ + ": too many iovecs");
  }
  for (;;) {
    const ssize_t n = readv(fd_, iov.data(), static_cast<int>(iov.size()));
    if (n >= 0) return std::optional<size_t>(static_cast<size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<size_t>();
    return Error::FromErrno("reading tap " + name_);
  }
}

Result<void> TapQueue::Write(std::span<const iovec> iov) {
  if (iov.size() > IOV_MAX) {
    return Error(ErrorCode::kInvalidArgument, "tap " + name_ + ": too many iovecs");
  }
  for (;;) {
    // A tap takes a packet whole or not at all.
    const ssize_t n = writev(fd_, iov.data(), static_cast<int>(iov.size()));
    if (n >= 0) return Ok();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return Error(ErrorCode::kBusy, "tap " + name_ + " queue full", errno);
    }
    return Error::FromErrno("writing tap " + name_);
  }
}

Result<void> TapQueue::SetOffload(unsigned flags) {
  // Older kernels refuse USO (before 6.2) or UFO (4.14 to 4.19) with EINVAL.
  // The flags only say what the tap may hand us, so dropping one is safe.
  const unsigned tries[] = {flags, flags & ~(kTunOffloadUso4 | kTunOffloadUso6),
                            flags & ~(kTunOffloadUso4 | kTunOffloadUso6 | kTunOffloadUfo)};
  int err = 0;
  for (unsigned f : tries) {
    if (ioctl(fd_, TUNSETOFFLOAD, static_cast<unsigned long>(f)) == 0) return Ok();
    err = errno;
    if (err != EINVAL) break;
  }
  return IoctlError("TUNSETOFFLOAD", name_, err);
}

Result<void> TapQueue::SetEnabled(bool enabled) {
  ifreq ifr{};
  ifr.ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
  if (ioctl(fd_, TUNSETQUEUE, &ifr) < 0) {
    // A single-queue tap rejects TUNSETQUEUE; it has nothing to detach.
    if (errno == EINVAL) return Ok();
    return IoctlError("TUNSETQUEUE", name_, errno);
  }
  return Ok();
}

Result<TapDevice> OpenTap(const TapOptions& options) {
  PETREL_TRY(CheckName(options.name));
  if (options.queue_pairs < 1 || options.queue_pairs > kMaxTapQueues) {
    return Error(ErrorCode::kInvalidArgument,
                 "tap queue pairs must be 1.." + std::to_string(kMaxTapQueues));
  }

  TapDevice tap;
  tap.created = options.name.empty() || if_nametoindex(options.name.c_str()) == 0;
  short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (options.queue_pairs > 1) flags = static_cast<short>(flags | IFF_MULTI_QUEUE);
  std::string want = options.name;
  for (uint16_t i = 0; i < options.queue_pairs; ++i) {
    std::string got;
    PETREL_ASSIGN_OR_RETURN(int fd, OpenQueue(want, flags, got));
    tap.queues.push_back(std::make_unique<TapQueue>(fd, got));
    want = got;  // further queues attach to the same interface
  }
  tap.name = want;
  PETREL_TRY(ConfigureHost(options, tap.name, tap.created).Wrap("configuring tap " + tap.name));
  return tap;
}

Result<TapDevice> AdoptTapFds(std::span<const int> fds, std::optional<uint16_t> mtu) {
  if (fds.empty() || fds.size() > kMaxTapQueues) {
    return Error(ErrorCode::kInvalidArgument,
                 "tap fds: need 1.." + std::to_string(kMaxTapQueues) + " fds");
  }
  TapDevice tap;
  for (int fd : fds) {
    PETREL_ASSIGN_OR_RETURN(auto queue, AdoptOne(fd));
    const std::string name = queue->name();
    if (tap.queues.empty()) {
      tap.name = name;
    } else if (name != tap.name) {
      return Error(ErrorCode::kInvalidArgument, "tap fd " + std::to_string(fd) + " is on " + name +
                                                    ", not the same interface as the first (" +
                                                    tap.name + ")");
    }
    tap.queues.push_back(std::move(queue));
  }
  if (mtu) {
    PETREL_TRY(ConfigureHost({.mtu = mtu}, tap.name, /*created=*/false)
                   .Wrap("configuring tap " + tap.name));
  }
  return tap;
}

}  // namespace petrel::net
