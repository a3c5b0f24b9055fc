// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseApiSocket (see api_socket.h).
#include "vmm/config/api_socket.h"

#include <climits>
#include <optional>

#include "vmm/config/option_parser.h"

namespace petrel::config {
namespace {

constexpr char kOption[] = "--api-socket";

Error ApiSocketError(std::string_view problem) {
  return Error(ErrorCode::kInvalidArgument, std::string(kOption) + ": " + std::string(problem));
}

}  // namespace

Result<ApiSocketConfig> ParseApiSocket(std::string_view text) {
  if (text.empty()) return ApiSocketError("needs a value: path=<path>, fd=<n> or a path");
  ApiSocketConfig config;
  if (text.substr(0, 5) != "path=" && text.substr(0, 3) != "fd=") {
    config.path = std::string(text);
    return config;
  }
  OptionParser parser(Option(kOption));
  PETREL_TRY(parser.Parse(text));
  if (parser.Has("path") && parser.Has("fd")) return ApiSocketError("give path or fd, not both");
  if (parser.Has("path")) {
    config.path = *parser.Get("path");
    return config;
  }
  if (!parser.Has("fd")) return ApiSocketError("needs path=<path> or fd=<n>");  // "path=" or "fd="
  const std::string value = *parser.Get("fd");
  std::optional<uint64_t> fd;
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
    fd = ParseU64(value);
  }
  if (!fd || *fd > static_cast<uint64_t>(INT_MAX)) {
    return parser.ValueError("fd", value, "expected a file descriptor number");
  }
  config.fd = static_cast<int>(*fd);
  return config;
}

}  // namespace petrel::config
