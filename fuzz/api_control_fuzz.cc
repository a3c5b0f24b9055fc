// Fuzzes the REST API end to end with the VMM's real VmmControl
// (vmm/api_control): the input first sets the VM configuration the API
// reports (kernel, initramfs and cmdline strings with any bytes, as the CLI
// accepts them; CPU and memory numbers) and the VM state string, then the
// rest is a stream of pipelined HTTP requests, parsed and routed as the
// server does. There is no VM, so the VM calls answer 404; vm.info and
// vmm.shutdown run for real. Each input also asks vm.info once directly, so
// the configuration reaches the serialiser without the fuzzer first having
// to spell a request. Requests are parsed with the server's body limit.
// Checks:
//   - nothing throws (an exception here would end the VMM's API thread);
//   - every response is well formed HTTP (status line, Content-Length
//     matches) and every body is valid JSON in valid UTF-8;
//   - vm.info answers 200 with "config" and "state".
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
#include "vmm/api_control.h"

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
  petrel::vmm::VmmApiControl control(config);
  if (in.ConsumeBool()) control.ClearVm(in.ConsumeRandomLengthString(64));
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
      Check(response.status == 200);
      const auto body = nlohmann::json::parse(response.body);
      Check(body.contains("config") && body.contains("state"));
    }
    rest.remove_prefix(r.consumed);
  }
  return 0;
}
