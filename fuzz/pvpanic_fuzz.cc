// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes PvpanicDevice (--pvpanic) with what a guest controls: BAR reads and
// writes of any size at any offset, config space accesses, and the time
// between them. Each 4-byte step: op, offset, value, time step. Oracles: no
// crash or sanitizer report; a read of the register gives the supported
// events; each write to the register counts once under its event name; the
// sink hears each event at most once per kReportIntervalNs (the rate limit)
// and at least once if the guest wrote it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "devices/pvpanic/pvpanic.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using petrel::PvpanicDevice;
  petrel::VirtualClock clock;
  std::map<std::string, std::vector<uint64_t>> heard;  // event -> times
  PvpanicDevice dev(clock, [&](std::string_view event) {
    heard[std::string(event)].push_back(clock.NowNs());
  });
  std::map<std::string, uint64_t> written;
  for (size_t i = 0; i + 4 <= size && i < 4 * 4096; i += 4) {
    const uint8_t op = data[i];
    const uint64_t offset = data[i + 1] % 24;  // inside, at the edge of and past the BAR
    const uint8_t value = data[i + 2];
    clock.Advance(uint64_t{data[i + 3]} * 10'000'000);  // 0..2.55 s
    const size_t len = size_t{1} << ((op >> 2) & 3);   // 1, 2, 4, 8
    std::array<uint8_t, 8> bytes{};
    bytes.fill(value);
    switch (op & 3) {
      case 0: {
        dev.BarRead(op >> 4 & 1, offset, std::span(bytes.data(), len));
        if ((op >> 4 & 1) == PvpanicDevice::kBar && offset < PvpanicDevice::kRegisterSize) {
          Check(bytes[0] == PvpanicDevice::kSupportedEvents);
        }
        break;
      }
      case 1:
        dev.BarWrite(op >> 4 & 1, offset, std::span<const uint8_t>(bytes.data(), len));
        if ((op >> 4 & 1) == PvpanicDevice::kBar && offset < PvpanicDevice::kRegisterSize) {
          ++written[std::string(PvpanicDevice::EventName(value))];
        }
        break;
      case 2:
        (void)dev.config().Read(static_cast<uint16_t>(value * 4 + (op >> 4 & 3)), len > 4 ? 4 : len);
        break;
      default:
        dev.config().Write(static_cast<uint16_t>(value * 4 + (op >> 4 & 3)), len > 4 ? 4 : len,
                           uint32_t{data[i + 3]} * 0x01010101u);
        break;
    }
  }
  for (const auto& [event, count] : written) {
    Check(dev.event_count(event) == count);
    const auto& times = heard[event];
    Check(!times.empty() && times.size() <= count);
    for (size_t k = 1; k < times.size(); ++k) {
      Check(times[k] - times[k - 1] >= PvpanicDevice::kReportIntervalNs);
    }
  }
  for (const auto& [event, times] : heard) Check(written.count(event) == 1);
  const auto state = dev.Save();
  petrel::VirtualClock other;
  PvpanicDevice copy(other, nullptr);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  return 0;
}
