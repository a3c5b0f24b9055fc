// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --api-socket: where the REST API listens (Cloud Hypervisor syntax, CH's
// src/main.rs):
//   --api-socket path=<path>   create a UNIX socket at <path>
//   --api-socket fd=<n>        serve on an inherited UNIX socket, fd <n>
//   --api-socket <path>        a bare path (anything not starting with
//                              "path=" or "fd=", so "/tmp/a=b" is a path)
// Exactly one of path or fd. fd is decimal, 0..INT_MAX; the VMM checks it
// really is a socket when it starts the server (vmm/api/api_server.h).
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

struct ApiSocketConfig {
  std::string path;  // set for path= and bare paths
  int fd = -1;       // set (>= 0) for fd=
  bool operator==(const ApiSocketConfig&) const = default;
};

// Errors are one line starting "--api-socket: ".
Result<ApiSocketConfig> ParseApiSocket(std::string_view text);

}  // namespace petrel::config
