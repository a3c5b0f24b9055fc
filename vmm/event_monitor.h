// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EventMonitor: the --event-monitor writer. Owns the descriptor the events go
// to (a file it created, or the fd it was given, closed on destruction), the
// monitor's start time and the count of events it had to drop.
//
// Each event is written as Cloud Hypervisor's event_monitor crate writes it
// (event_monitor/src/lib.rs, and the writer thread in vmm/src/lib.rs):
// serde_json's pretty form of
//   {"timestamp": {"secs": S, "nanos": N}, "source": "...", "event": "...",
//    "properties": null | {"key": "value", ...}}
// (two-space indent, keys in that order), followed by "\n\n". The timestamp
// is the time since Open(), read from the injected Clock. Properties keep the
// order they were given in (CH's is a HashMap's, i.e. any); no properties
// gives null, as CH's event!() without key/value pairs does. Invalid UTF-8
// becomes U+FFFD.
//
// The descriptor is made non-blocking, as CH does. Emit never blocks, never
// throws and never raises SIGPIPE: an event the reader has no room for
// (EAGAIN), or that fails (EPIPE, ENOSPC, ...), is dropped, counted
// (dropped()) and logged once. If only part of an event fits, the rest is
// kept and written before the next event (which is dropped while the rest
// still does not fit), so the reader only ever sees whole events.
// Thread-safe: events from concurrent Emit calls never interleave.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "vmm/config/event_monitor_config.h"
#include "vmm/vmm_events.h"

namespace petrel::vmm {

class EventMonitor final : public VmmEvents {
 public:
  // path=: creates or truncates the file (write-only, close-on-exec, mode
  // 0666 less the umask: CH's OpenOptions create+truncate). fd=: adopts the
  // descriptor after checking it is open. `clock` must outlive the monitor.
  // Errors are one line starting "--event-monitor: ".
  static Result<std::unique_ptr<EventMonitor>> Open(const config::EventMonitorConfig& config,
                                                    const Clock& clock);

  ~EventMonitor() override;
  EventMonitor(const EventMonitor&) = delete;
  EventMonitor& operator=(const EventMonitor&) = delete;

  void Emit(std::string_view source, std::string_view event,
            const EventProperties& properties = {}) override;

  // Events dropped so far (wholly: nothing of them was written).
  uint64_t dropped() const;

  // The bytes of one event, `elapsed_ns` after the monitor started.
  static std::string FormatEvent(uint64_t elapsed_ns, std::string_view source,
                                 std::string_view event, const EventProperties& properties);

 private:
  EventMonitor(UniqueFd fd, const Clock& clock);
  // Writes as much of `pending_` as the descriptor takes; true once it is empty.
  bool FlushPendingLocked();
  void DropLocked(int errnum);

  const Clock& clock_;
  const uint64_t start_ns_;
  mutable std::mutex mu_;
  UniqueFd fd_;
  std::string pending_;  // the unwritten rest of the last event
  uint64_t dropped_ = 0;
};

}  // namespace petrel::vmm
