// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The API client: one HTTP/1.1 request over the API's UNIX socket, blocking,
// the way ch-remote talks to Cloud Hypervisor (api_client crate). Used by
// petrel-remote and by the server tests.
//
// The request is "<METHOD> /api/v1/<endpoint> HTTP/1.1" with Host, Accept,
// "Connection: close" and, when there is a body, Content-Type
// application/json and Content-Length. The response ends at Content-Length,
// at the blank line for 1xx/204/304, or at EOF otherwise. If the server
// closes while the request is still being written (it refused it early), the
// client still reads the answer the server sent.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::api {

// Responses larger than this are an error (the server caps bodies at 1 MiB).
inline constexpr size_t kMaxClientResponseBytes = size_t{4} << 20;
inline constexpr int kDefaultClientTimeoutMs = 30'000;

struct ApiResponse {
  int status = 0;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

// Parses a whole response (as CompleteResponseLength or EOF delimits it);
// errors are kMalformed. Exposed for tests.
Result<ApiResponse> ParseApiResponse(std::string_view bytes);
// How many bytes of `bytes` make a complete response: 0 if more are needed
// (or the end is EOF), else the length. -1 if the header is malformed.
long CompleteResponseLength(std::string_view bytes);

// `endpoint` is e.g. "vmm.ping" (without /api/v1/). Errors: kNotFound when
// the socket does not exist, kSystem for other socket failures (including a
// timeout after `timeout_ms` without progress), kMalformed for a bad answer.
// An HTTP error status is not an error here: check ApiResponse::ok().
// `fds` travel with the request's first bytes as SCM_RIGHTS (ch-remote's
// way of passing vm.restore's net_fds); they stay the caller's.
Result<ApiResponse> SendApiRequest(const std::string& socket_path, std::string_view method,
                                   std::string_view endpoint, std::string_view body = {},
                                   int timeout_ms = kDefaultClientTimeoutMs,
                                   std::span<const int> fds = {});

// Sends `raw` bytes as they are and returns everything the server sends back
// until it closes or `timeout_ms` passes (tests: malformed requests).
Result<std::string> SendRawBytes(const std::string& socket_path, std::string_view raw,
                                 int timeout_ms = kDefaultClientTimeoutMs);

}  // namespace petrel::api
