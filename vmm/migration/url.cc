// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Migration endpoints (see url.h).
#include "vmm/migration/url.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace petrel::vmm::migration {
namespace {

constexpr std::string_view kUnixScheme = "unix:";
constexpr std::string_view kTcpScheme = "tcp:";

Error UrlError(std::string_view url, std::string_view problem) {
  return Error(ErrorCode::kInvalidArgument,
               "migration URL '" + std::string(url) + "': " + std::string(problem));
}

Result<uint16_t> ParsePort(std::string_view url, std::string_view text) {
  if (text.empty()) return UrlError(url, "the port is empty");
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return UrlError(url, "the port '" + std::string(text) + "' is not a number");
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535) return UrlError(url, "the port '" + std::string(text) + "' is above 65535");
  }
  return static_cast<uint16_t>(port);
}

// A bracketed host must be an IPv6 address; no host has brackets or NULs
// inside (so the URL formats back to the same text).
Result<void> CheckHost(std::string_view url, std::string_view host, bool bracketed) {
  if (host.find_first_of(std::string_view("[]\0", 3)) != std::string_view::npos) {
    return UrlError(url, "the host contains '[', ']' or a NUL byte");
  }
  in6_addr v6;
  const std::string text(host);
  if (bracketed && ::inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
    // Appended, not '+'-chained: g++ 12 at -O3 warns (-Wrestrict) on the chain.
    std::string message = "'";
    message.append(text).append("' in brackets is not an IPv6 address");
    return UrlError(url, message);
  }
  return Ok();
}

// "<host>:<port>" or "[<v6>]:<port>", as CH's tcp_address_to_server_name.
Result<MigrationUrl> ParseTcp(std::string_view url, std::string_view address) {
  MigrationUrl out;
  out.kind = MigrationUrl::Kind::kTcp;
  std::string_view host, port;
  const bool bracketed = !address.empty() && address[0] == '[';
  if (bracketed) {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) return UrlError(url, "missing ']' after the IPv6 address");
    host = address.substr(1, close - 1);
    const std::string_view rest = address.substr(close + 1);
    if (rest.empty() || rest[0] != ':') return UrlError(url, "missing ':<port>' after ']'");
    port = rest.substr(1);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return UrlError(url, "missing ':<port>'");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return UrlError(url, "an IPv6 address needs brackets: tcp:[<address>]:<port>");
    }
  }
  if (host.empty()) return UrlError(url, "the host is empty");
  PETREL_TRY(CheckHost(url, host, bracketed));
  PETREL_ASSIGN_OR_RETURN(out.port, ParsePort(url, port));
  out.host = std::string(host);
  return out;
}

Result<UniqueFd> NewSocket(int family) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error::FromErrno("creating a migration socket");
  return fd;
}

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());  // length checked by the parser
  return addr;
}

Result<void> SetIntOption(int fd, int level, int name, int value, std::string_view what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) == 0) return Ok();
  return Error::FromErrno("setting " + std::string(what) + " on a migration socket");
}

// TCP_NODELAY and CH's keepalive / user timeout settings.
Result<void> TuneTcp(int fd) {
  PETREL_TRY(SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"));
  PETREL_TRY(SetIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"));
  PETREL_TRY(SetIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 60, "TCP_KEEPIDLE"));
  PETREL_TRY(SetIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, 15, "TCP_KEEPINTVL"));
  PETREL_TRY(SetIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, 4, "TCP_KEEPCNT"));
  return SetIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 120000, "TCP_USER_TIMEOUT");
}

struct AddrInfoDeleter {
  void operator()(addrinfo* p) const { ::freeaddrinfo(p); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

Result<AddrInfoList> Resolve(const MigrationUrl& url, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* list = nullptr;
  const std::string port = std::to_string(url.port);
  const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    return Error(ErrorCode::kNotFound, "resolving migration host '" + url.host + "': " + ::gai_strerror(rc));
  }
  return AddrInfoList(list);
}

Result<UniqueFd> ConnectUnix(const MigrationUrl& url) {
  PETREL_ASSIGN_OR_RETURN(UniqueFd fd, NewSocket(AF_UNIX));
  const sockaddr_un addr = UnixAddress(url.path);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Error::FromErrno("connecting to migration socket " + url.path);
  return fd;
}

Result<UniqueFd> ConnectTcp(const MigrationUrl& url) {
  PETREL_ASSIGN_OR_RETURN(AddrInfoList list, Resolve(url, /*passive=*/false));
  Error last(ErrorCode::kNotFound, "no address for migration host " + url.host);
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    PETREL_ASSIGN_OR_RETURN(UniqueFd fd, NewSocket(ai->ai_family));
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      PETREL_TRY(TuneTcp(fd.get()));
      return fd;
    }
    last = Error::FromErrno("connecting to " + FormatMigrationUrl(url));
  }
  return last;
}

Result<uint16_t> BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Error::FromErrno("reading the migration listener's address");
  }
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

Result<UniqueFd> ListenUnix(const MigrationUrl& url) {
  PETREL_ASSIGN_OR_RETURN(UniqueFd fd, NewSocket(AF_UNIX));
  const sockaddr_un addr = UnixAddress(url.path);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Error::FromErrno("binding migration socket " + url.path);
  }
  if (::listen(fd.get(), 1) != 0) return Error::FromErrno("listening on migration socket " + url.path);
  return fd;
}

Result<UniqueFd> ListenTcp(const MigrationUrl& url) {
  PETREL_ASSIGN_OR_RETURN(AddrInfoList list, Resolve(url, /*passive=*/true));
  Error last(ErrorCode::kNotFound, "no address for migration host " + url.host);
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    PETREL_ASSIGN_OR_RETURN(UniqueFd fd, NewSocket(ai->ai_family));
    PETREL_TRY(SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"));
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd.get(), 128) == 0) return fd;
    last = Error::FromErrno("listening on " + FormatMigrationUrl(url));
  }
  return last;
}

// Waits for the listener to become readable; kBusy after `timeout`.
Result<void> WaitReadable(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (rc > 0) return Ok();
    if (rc == 0) {
      return Error(ErrorCode::kBusy, "no migration connection within " +
                                         std::to_string(timeout.count()) + " ms");
    }
    if (errno != EINTR) return Error::FromErrno("waiting for a migration connection");
  }
}

}  // namespace

Result<MigrationUrl> ParseMigrationUrl(std::string_view url) {
  if (url.substr(0, kTcpScheme.size()) == kTcpScheme) return ParseTcp(url, url.substr(kTcpScheme.size()));
  if (url.substr(0, kUnixScheme.size()) != kUnixScheme) {
    return UrlError(url, "expected unix:<path> or tcp:<host>:<port>");
  }
  MigrationUrl out;
  out.path = std::string(url.substr(kUnixScheme.size()));
  if (out.path.empty()) return UrlError(url, "the socket path is empty");
  if (out.path.size() >= sizeof(sockaddr_un::sun_path)) {
    return UrlError(url, "the socket path is longer than " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  if (out.path.find('\0') != std::string::npos) return UrlError(url, "the socket path contains a NUL byte");
  return out;
}

std::string FormatMigrationUrl(const MigrationUrl& url) {
  if (url.kind == MigrationUrl::Kind::kUnix) return std::string(kUnixScheme) + url.path;
  const bool v6 = url.host.find(':') != std::string::npos;
  return std::string(kTcpScheme) + (v6 ? "[" + url.host + "]" : url.host) + ":" +
         std::to_string(url.port);
}

Result<UniqueFd> ConnectMigration(const MigrationUrl& url) {
  return url.kind == MigrationUrl::Kind::kUnix ? ConnectUnix(url) : ConnectTcp(url);
}

Result<MigrationListener> MigrationListener::Listen(const MigrationUrl& url) {
  MigrationListener listener;
  listener.url_ = url;
  if (url.kind == MigrationUrl::Kind::kUnix) {
    PETREL_ASSIGN_OR_RETURN(listener.fd_, ListenUnix(url));
  } else {
    PETREL_ASSIGN_OR_RETURN(listener.fd_, ListenTcp(url));
    PETREL_ASSIGN_OR_RETURN(listener.port_, BoundPort(listener.fd_.get()));
  }
  return listener;
}

MigrationListener::~MigrationListener() {
  if (fd_.valid() && url_.kind == MigrationUrl::Kind::kUnix) ::unlink(url_.path.c_str());
}

Result<UniqueFd> MigrationListener::Accept(std::optional<std::chrono::milliseconds> timeout) {
  if (timeout) PETREL_TRY(WaitReadable(fd_.get(), *timeout));
  int raw;
  do {
    raw = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return Error::FromErrno("accepting a migration connection");
  UniqueFd fd(raw);
  if (url_.kind == MigrationUrl::Kind::kTcp) PETREL_TRY(TuneTcp(fd.get()));
  return fd;
}

Result<UniqueFd> ListenAndAccept(const MigrationUrl& url,
                                 std::optional<std::chrono::milliseconds> timeout) {
  PETREL_ASSIGN_OR_RETURN(MigrationListener listener, MigrationListener::Listen(url));
  return listener.Accept(timeout);
}

}  // namespace petrel::vmm::migration
