// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Migration endpoints: the sender's destination_url and the receiver's
// receiver_url ("unix:<path>" or "tcp:<host>:<port>", IPv6 as
// "tcp:[<addr>]:<port>"), connecting to one and listening on one for a single
// connection. Mirrors Cloud Hypervisor's migration transport (its URL
// parsing, send socket and receive listener), without TLS.
//
// TCP sockets get what CH sets: TCP_NODELAY here (CH sets it on its fault
// connection; the request/response round trips want it on every
// connection), SO_KEEPALIVE probing after 60 s every 15 s, 4 probes, and a
// 120 s TCP_USER_TIMEOUT. All fds are close-on-exec.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace petrel::vmm::migration {

struct MigrationUrl {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp: a name, an IPv4 address or an IPv6 address (no brackets)
  uint16_t port = 0;  // kTcp

  bool operator==(const MigrationUrl&) const = default;
};

// kInvalidArgument with the reason: no or unknown scheme, an empty or too
// long path, a missing host or port, a port outside 0..65535, an IPv6
// address without brackets, a missing ']'.
Result<MigrationUrl> ParseMigrationUrl(std::string_view url);
// The URL text back ("unix:/p", "tcp:h:1", "tcp:[::1]:1").
std::string FormatMigrationUrl(const MigrationUrl& url);

// Connects to the destination (sender side). TCP tries each resolved address.
Result<UniqueFd> ConnectMigration(const MigrationUrl& url);

// A listening socket for the receiver. A UNIX listener removes its socket
// file when destroyed (it created it; an existing file is an error, as in CH).
class MigrationListener {
 public:
  static Result<MigrationListener> Listen(const MigrationUrl& url);
  MigrationListener(MigrationListener&&) noexcept = default;
  MigrationListener& operator=(MigrationListener&&) = delete;
  ~MigrationListener();

  // Accepts one connection; with a timeout, kBusy when none came in time.
  Result<UniqueFd> Accept(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // The bound TCP port (useful after listening on port 0); 0 for UNIX.
  uint16_t port() const { return port_; }
  int fd() const { return fd_.get(); }

 private:
  MigrationListener() = default;
  UniqueFd fd_;
  MigrationUrl url_;
  uint16_t port_ = 0;
};

// Listen, accept one connection, close the listener (receiver side).
Result<UniqueFd> ListenAndAccept(const MigrationUrl& url,
                                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace petrel::vmm::migration
