// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DebugPort: POST-code logging and the event record (see debug_port.h).
#include "devices/legacy/debug_port.h"

#include <cstdio>
#include <string>

#include "core/base/log.h"

namespace petrel {

DebugPort::DebugPort(const Clock& clock) : clock_(clock), start_ns_(clock.NowNs()) {}

std::string_view DebugPort::RangeName(uint8_t code) {
  if (code < 0x20) return "Firmware";
  if (code < 0x40) return "Bootloader";
  if (code < 0x60) return "Kernel";
  if (code < 0x80) return "Userspace";
  return "Custom";
}

void DebugPort::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = (offset == 0 && i == 0) ? s_.last_code : 0xff;
  }
}

void DebugPort::Write(uint64_t offset, std::span<const uint8_t> data) {
  // Only byte 0 of an access at offset 0 lands on the port.
  if (offset != 0 || data.empty()) return;
  const uint8_t code = data[0];
  std::lock_guard lock(mu_);
  // Read under the lock so recorded times never go backwards.
  const uint64_t ns = clock_.NowNs() - start_ns_;
  s_.last_code = code;
  if (s_.events.size() >= kMaxEvents) {
    ++s_.dropped;
    PETREL_LOG_ONCE(kInfo, "debug-port-cap")
        << "Debug I/O port: " << kMaxEvents << " events recorded; not logging further codes";
    return;
  }
  s_.events.push_back(Event{code, ns});
  char when[48];
  std::snprintf(when, sizeof when, "%llu.%06llu",
                static_cast<unsigned long long>(ns / 1'000'000'000ULL),
                static_cast<unsigned long long>(ns / 1000 % 1'000'000ULL));
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%x", code);
  PETREL_LOG(kInfo) << "[Debug I/O port: " << RangeName(code) << " code " << hex << "] " << when
                    << " seconds";
}

std::vector<DebugPort::Event> DebugPort::events() const {
  std::lock_guard lock(mu_);
  return s_.events;
}

uint64_t DebugPort::dropped_events() const {
  std::lock_guard lock(mu_);
  return s_.dropped;
}

DebugPort::State DebugPort::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> DebugPort::Restore(const State& state) {
  if (state.events.size() > kMaxEvents) {
    return Error(ErrorCode::kInvalidArgument, "debug port state: more events than kMaxEvents");
  }
  for (size_t i = 1; i < state.events.size(); ++i) {
    if (state.events[i].ns < state.events[i - 1].ns) {
      return Error(ErrorCode::kInvalidArgument, "debug port state: event times go backwards");
    }
  }
  if (state.dropped != 0 && state.events.size() != kMaxEvents) {
    return Error(ErrorCode::kInvalidArgument, "debug port state: dropped events below the cap");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
