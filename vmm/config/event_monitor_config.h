// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --event-monitor: where the VMM writes its life-cycle events (Cloud
// Hypervisor syntax, CH's cloud-hypervisor/src/main.rs):
//   --event-monitor path=<path>   create (or truncate) the file <path>
//   --event-monitor fd=<n>        write to the inherited descriptor <n>
// Unlike --api-socket there is no bare-path form: CH's option parser refuses
// "/tmp/events" as an unknown key, and so does this one.
//
// Where CH differs, Petrel refuses instead of guessing or crashing, as its
// --api-socket does: path and fd together is an error (CH silently takes fd),
// and "path=" or "fd=" without a value is an error (CH panics). fd is decimal,
// 0..INT_MAX; the VMM checks it is open when it opens the monitor
// (vmm/event_monitor.h).
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

struct EventMonitorConfig {
  std::string path;  // set for path=
  int fd = -1;       // set (>= 0) for fd=
  bool operator==(const EventMonitorConfig&) const = default;
};

// Errors are one line starting "--event-monitor: ".
Result<EventMonitorConfig> ParseEventMonitor(std::string_view text);

}  // namespace petrel::config
