// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseEventMonitor (see event_monitor_config.h).
#include "vmm/config/event_monitor_config.h"

#include <climits>
#include <cstdint>
#include <optional>

#include "vmm/config/option_parser.h"

namespace petrel::config {
namespace {

constexpr char kOption[] = "--event-monitor";

Error EventMonitorError(std::string_view problem) {
  return Error(ErrorCode::kInvalidArgument, std::string(kOption) + ": " + std::string(problem));
}

}  // namespace

Result<EventMonitorConfig> ParseEventMonitor(std::string_view text) {
  EventMonitorConfig config;
  OptionParser parser(Option(kOption));
  if (!text.empty()) PETREL_TRY(parser.Parse(text));
  if (parser.Has("path") && parser.Has("fd")) return EventMonitorError("give path or fd, not both");
  if (parser.Has("path")) {
    config.path = *parser.Get("path");
    return config;
  }
  // Nothing, "path=" or "fd=" (CH: "path or fd required", or a panic).
  if (!parser.Has("fd")) return EventMonitorError("needs path=<path> or fd=<n>");
  const std::string value = *parser.Get("fd");
  std::optional<uint64_t> fd;
  if (value.find_first_not_of("0123456789") == std::string::npos) fd = ParseU64(value);
  if (!fd || *fd > static_cast<uint64_t>(INT_MAX)) {
    return parser.ValueError("fd", value, "expected a file descriptor number");
  }
  config.fd = static_cast<int>(*fd);
  return config;
}

}  // namespace petrel::config
