// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The API's routes: one parsed HTTP request in, one response out. Pure apart
// from the VmmControl calls, so tests and the fuzzer drive it directly.
//
// Routes (Cloud Hypervisor's OpenAPI, vmm/src/api/openapi/cloud-hypervisor.yaml;
// the server root is /api/v1):
//   GET /api/v1/vmm.ping          200 {"build_version","version","pid","features"}
//   PUT /api/v1/vmm.shutdown      204
//   PUT /api/v1/vm.create         204 (body: a VmConfig; none: 400)
//   PUT /api/v1/vm.boot           204
//   PUT /api/v1/vm.pause          204
//   PUT /api/v1/vm.resume         204
//   GET /api/v1/vm.info           200 the VmmControl's JSON ("config", "state", ...)
//   GET /api/v1/vm.counters       200 {device id: {counter: value}}
//   PUT /api/v1/vm.power-button   204
//   PUT /api/v1/vm.nmi            204
//   PUT /api/v1/vm.reboot         204
//   PUT /api/v1/vm.shutdown       204
//   PUT /api/v1/vm.delete         204
// Errors, each with a CH-style body (a JSON array of messages):
//   unknown path -> 404 ["Not Found"]; a known path with the wrong method ->
//   405 with an Allow header (CH answers 400 here; 405 is the HTTP status for
//   it and ch-remote never sends a wrong method); a VmmControl error -> see
//   vmm_control.h (400/404/409/429/500). The query string is ignored, as CH
//   does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vmm/api/http_request.h"
#include "vmm/api/http_response.h"
#include "vmm/api/vmm_control.h"

namespace petrel::api {

inline constexpr char kApiRoot[] = "/api/v1/";
// vm.info bodies larger than this are refused (500) rather than sent.
inline constexpr size_t kMaxResponseBodyBytes = size_t{1} << 20;

// What vmm.ping reports (CH's VmmPingResponse).
struct VmmIdentity {
  std::string build_version;
  std::string version;
  int64_t pid = 0;
  std::vector<std::string> features;
};

// This build's identity: version = the project version, build_version =
// "v" + version, this process's pid, no features.
VmmIdentity DefaultVmmIdentity();

// Only vm.create reads a body; elsewhere a short one (e.g. "{}") is accepted
// and ignored, anything longer refused (413) before it is buffered.
inline constexpr size_t kMaxIgnoredBodyBytes = 4096;
// The longest VmConfig vm.create takes (CH's own configs are a few KiB).
inline constexpr size_t kMaxConfigBodyBytes = size_t{1} << 20;

// The longest body `head` (method and target) may carry: the ParseHttpRequest
// BodyLimit the server uses, so a body no route reads is never buffered.
size_t MaxRequestBodyBytes(const HttpRequest& head);

// `fds`: what the request carried (SCM_RIGHTS); vm.restore takes them (its
// net_fds), every other route closes them unused, as CH's.
HttpResponse RouteRequest(const HttpRequest& request, VmmControl& control,
                          const VmmIdentity& identity, std::vector<UniqueFd> fds = {});

}  // namespace petrel::api
