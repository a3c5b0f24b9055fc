// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the REST API's JSON door to VmConfig (vmm/config/vm_config_json):
// the input is a vm.create body. Checks:
//   - nothing throws, whatever the bytes (the reader runs on the API thread);
//   - an error is one line (it becomes a 400 body and petrel-remote's line);
//   - an accepted config round-trips: written as vm.info writes it and read
//     back, it is the same config, and writing it again gives the same JSON.
// Seeds (fuzz/seeds/api_json_fuzz) are Cloud Hypervisor's documented bodies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vmm/config/vm_config_json.h"

namespace {
void Check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto config = petrel::config::VmConfigFromJson(body);
  if (!config.ok()) {
    Check(config.error().message().find('\n') == std::string::npos);
    return 0;
  }
  const nlohmann::json written = petrel::config::VmConfigToJson(*config);
  // Strings from the input may hold any bytes: replace, as the API does.
  const std::string text = written.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto again = petrel::config::VmConfigFromJson(text);
  if (text == written.dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore)) {
    // Valid UTF-8 throughout: the round trip must be exact.
    Check(again.ok());
    Check(*again == *config);
    Check(petrel::config::VmConfigToJson(*again) == written);
  }
  return 0;
}
