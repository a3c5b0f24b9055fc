// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the API's HTTP request parser and router (vmm/api): arbitrary bytes
// are parsed as a stream of pipelined requests, each complete request is
// routed to a fake VmmControl and its response serialized. Checks:
//   - the parser never consumes more than it was given, nor nothing;
//   - a complete request respects the caps (body, header count);
//   - incremental parsing agrees: every strict prefix of a complete request
//     is kNeedMore, and a prefix of an erroring buffer never completes a
//     different request;
//   - errors carry a 4xx/5xx status and a one-line message;
//   - responses are well formed (status line, Content-Length matches).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vmm/api/api_router.h"
#include "vmm/api/fake_vmm_control.h"
#include "vmm/api/http_request.h"
#include "vmm/api/http_response.h"

namespace {

using petrel::api::HttpParseResult;
using Kind = HttpParseResult::Kind;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckResponse(const petrel::api::HttpResponse& response) {
  const std::string wire = petrel::api::SerializeResponse(response);
  Check(wire.rfind("HTTP/1.1 " + std::to_string(response.status) + " ", 0) == 0);
  if (response.status != 204) {
    Check(wire.find("Content-Length: " + std::to_string(response.body.size()) + "\r\n") !=
          std::string::npos);
    Check(wire.size() >= response.body.size() &&
          wire.compare(wire.size() - response.body.size(), std::string::npos, response.body) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static petrel::api::FakeVmmControl control;
  static const petrel::api::VmmIdentity identity{"v0-fuzz", "0", 1, {}};
  if (size == 0) return 0;
  // The first byte: make the control fail, parse with the server's per-route
  // body limit or without one, and where to split for the prefix check.
  control.fail = (data[0] & 1) != 0;
  const petrel::api::BodyLimit limit =
      (data[0] & 2) != 0 ? &petrel::api::MaxRequestBodyBytes : nullptr;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split_hint = data[0];

  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    HttpParseResult r = petrel::api::ParseHttpRequest(rest, limit);
    if (r.kind == Kind::kNeedMore) break;
    if (r.kind == Kind::kError) {
      Check(r.status >= 400 && r.status < 600);
      Check(!r.error.empty() && r.error.find('\n') == std::string::npos);
      CheckResponse(petrel::api::ErrorResponse(r.status, {r.error}));
      break;
    }
    Check(r.consumed > 0 && r.consumed <= rest.size());
    Check(r.request.body.size() <= petrel::api::kMaxBodyBytes);
    Check(limit == nullptr || r.request.body.size() <= limit(r.request));
    Check(r.request.headers.size() <= petrel::api::kMaxHeaderCount);
    Check(!r.request.target.empty() && r.request.target[0] == '/');
    // Incremental agreement: a strict prefix is never complete or an error
    // that the whole request did not have.
    const size_t cut = split_hint % r.consumed;
    HttpParseResult prefix = petrel::api::ParseHttpRequest(rest.substr(0, cut), limit);
    Check(prefix.kind == Kind::kNeedMore);
    CheckResponse(petrel::api::RouteRequest(r.request, control, identity));
    rest.remove_prefix(r.consumed);
  }
  return 0;
}
