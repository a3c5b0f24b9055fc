// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the REST API end to end with the VMM's real VmmControl (vmm/vmm.h):
// the input first creates the VM configuration the API reports (kernel,
// initramfs and cmdline strings with any bytes, as the CLI accepts them; CPU
// and memory numbers), then the rest is a stream of pipelined HTTP requests,
// parsed and routed as the server does. vm.create, vm.delete, vm.info and
// vm.counters run for real (vm.create reads the body with the real JSON
// reader); no VM thread runs, so vm.boot and the calls that need a running
// VM fail at once. Each input also asks vm.info once directly, so the
// configuration reaches the serialiser without the fuzzer first having to
// spell a request. Requests are parsed with the server's body limit.
// Checks:
//   - nothing throws (an exception here would end the VMM's API thread);
//   - every response is well formed HTTP (status line, Content-Length
//     matches) and every body is valid JSON in valid UTF-8;
//   - vm.info answers 200 with "config" and "state" while a config exists,
//     404 otherwise.
// Work bound: at most kMaxRequests requests per input.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vmm/api/api_router.h"
#include "vmm/api/http_request.h"
#include "vmm/api/http_response.h"
#include "vmm/vmm.h"

namespace {

using petrel::api::HttpParseResult;
using Kind = HttpParseResult::Kind;

constexpr int kMaxRequests = 64;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckResponse(const petrel::api::HttpResponse& response) {
  const std::string wire = petrel::api::SerializeResponse(response);
  Check(wire.rfind("HTTP/1.1 " + std::to_string(response.status) + " ", 0) == 0);
  if (response.status == 204) return;
  Check(wire.find("Content-Length: " + std::to_string(response.body.size()) + "\r\n") !=
        std::string::npos);
  Check(wire.size() >= response.body.size() &&
        wire.compare(wire.size() - response.body.size(), std::string::npos, response.body) == 0);
  Check(nlohmann::json::accept(response.body));  // also rejects invalid UTF-8
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const petrel::api::VmmIdentity identity{"v0-fuzz", "0", 1, {}};
  FuzzedDataProvider in(data, size);
  petrel::config::VmConfig config;
  config.payload.kernel = in.ConsumeRandomLengthString(256);
  config.payload.initramfs = in.ConsumeRandomLengthString(256);
  config.payload.cmdline = in.ConsumeRandomLengthString(1024);
  config.cpus.boot_vcpus = in.ConsumeIntegral<uint8_t>();
  config.cpus.max_vcpus = in.ConsumeIntegral<uint8_t>();
  config.memory.size = in.ConsumeIntegral<uint64_t>();
  petrel::vmm::VmmServices services;
  services.open_hypervisor = [] {
    return petrel::Result<std::unique_ptr<petrel::hv::Hypervisor>>(
        petrel::Error(petrel::ErrorCode::kUnsupported, "no hypervisor in the fuzzer"));
  };
  services.request_timeout = std::chrono::milliseconds(0);  // no VM thread answers
  petrel::vmm::Vmm control(std::move(services));
  Check(control.Create(config).ok());
  const std::string stream = in.ConsumeRemainingBytesAsString();

  petrel::api::HttpRequest info;
  info.method = "GET";
  info.target = "/api/v1/vm.info";
  const petrel::api::HttpResponse info_response =
      petrel::api::RouteRequest(info, control, identity);
  CheckResponse(info_response);
  Check(info_response.status == 200);

  std::string_view rest = stream;
  for (int i = 0; i < kMaxRequests && !rest.empty(); ++i) {
    HttpParseResult r = petrel::api::ParseHttpRequest(rest, &petrel::api::MaxRequestBodyBytes);
    if (r.kind == Kind::kNeedMore) break;
    if (r.kind == Kind::kError) {
      CheckResponse(petrel::api::ErrorResponse(r.status, {r.error}));
      break;
    }
    Check(r.consumed > 0 && r.consumed <= rest.size());
    const petrel::api::HttpResponse response =
        petrel::api::RouteRequest(r.request, control, identity);
    CheckResponse(response);
    if (r.request.method == "GET" && r.request.Path() == "/api/v1/vm.info") {
      const bool created = control.state() != petrel::vmm::VmmState::kNone;
      Check(response.status == (created ? 200 : 404));
      if (!created) {
        rest.remove_prefix(r.consumed);
        continue;
      }
      const auto body = nlohmann::json::parse(response.body);
      Check(body.contains("config") && body.contains("state"));
    }
    rest.remove_prefix(r.consumed);
  }
  return 0;
}
