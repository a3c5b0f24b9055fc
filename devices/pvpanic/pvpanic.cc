// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PvpanicDevice: the pvpanic-pci register (see pvpanic.h).
#include "devices/pvpanic/pvpanic.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/base/log.h"

namespace petrel {

namespace {
constexpr std::string_view kEventNames[] = {"panic", "crash_loaded", "unknown_event"};
}  // namespace

PvpanicDevice::PvpanicDevice(const Clock& clock, EventSink sink)
    : clock_(clock),
      sink_(std::move(sink)),
      config_(PciIds{.vendor_id = kVendorId,
                     .device_id = kDeviceId,
                     .revision = kRevision,
                     .class_code = kClassCode}) {
  // Cannot fail: BAR 0 is free and 16 is a power of two >= the minimum.
  (void)config_.AddBar(kBar, kBarSize, PciBarKind::kMmio32, /*prefetchable=*/false);
}

std::string_view PvpanicDevice::EventName(uint8_t value) {
  switch (value) {
    case kPanicked:
      return kEventNames[0];
    case kCrashLoaded:
      return kEventNames[1];
    default:
      return kEventNames[2];
  }
}

size_t PvpanicDevice::Index(std::string_view event) {
  for (size_t i = 0; i < std::size(kEventNames); ++i) {
    if (kEventNames[i] == event) return i;
  }
  return std::size(kEventNames) - 1;
}

void PvpanicDevice::BarRead(int bar, uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (bar == kBar && offset < kRegisterSize && !data.empty()) data[0] = kSupportedEvents;
}

void PvpanicDevice::BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) {
  if (bar != kBar || offset >= kRegisterSize || data.empty()) return;
  const uint8_t value = data[0];
  const std::string_view event = EventName(value);
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu_);
    Limiter& l = limiters_[Index(event)];
    ++l.count;
    const uint64_t now = clock_.NowNs();
    if (l.reported && now - l.last_report_ns < kReportIntervalNs) {
      ++l.suppressed;
      return;
    }
    l.reported = true;
    l.last_report_ns = now;
    suppressed = std::exchange(l.suppressed, 0);
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "%#04x", value);
  if (suppressed == 0) {
    PETREL_LOG(kWarn) << "pvpanic: guest event " << event << " (" << hex << ")";
  } else {
    PETREL_LOG(kWarn) << "pvpanic: guest event " << event << " (" << hex << "); " << suppressed
                      << " more suppressed since the last report";
  }
  if (sink_) sink_(event);
}

uint64_t PvpanicDevice::event_count(std::string_view event) const {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < std::size(kEventNames); ++i) {
    if (kEventNames[i] == event) return limiters_[i].count;
  }
  return 0;
}

}  // namespace petrel
