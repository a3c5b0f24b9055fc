// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the ACPI platform devices (AcpiPmDevice, PmTimer, GedDevice): the
// input decodes into reads and writes of any width at any offset on any of
// the three, GED notifications and clock advances. Oracles: the callbacks
// fire only for the S5 byte and the reset value; the PM timer reads the
// count its clock implies; GED reads return exactly the bits notified since
// the last read; every reachable state is accepted by Restore, round-trips
// through Save, and reads the same as the original.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "core/base/clock.h"
#include "core/hv/hypervisor.h"
#include "devices/acpi/acpi_pm.h"
#include "devices/acpi/ged.h"
#include "devices/acpi/pm_timer.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

class CountingLine final : public petrel::hv::InterruptLine {
 public:
  void SetLevel(bool high) override {
    if (high) ++edges;
    level = high;
  }
  int edges = 0;
  bool level = false;
};

uint8_t In(petrel::BusDevice& d, uint64_t off) {
  uint8_t v = 0;
  d.Read(off, std::span<uint8_t>(&v, 1));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  uint64_t start = 0;
  for (int k = 0; k < 8; ++k) start = (start << 8) | next();
  petrel::VirtualClock clock(start >> 2);  // any origin that cannot wrap below
  const uint64_t t0 = clock.NowNs();

  int power_offs = 0, resets = 0;
  int expected_power_offs = 0, expected_resets = 0;
  petrel::AcpiPmDevice pm([&] { ++power_offs; }, [&] { ++resets; });
  petrel::PmTimer timer(clock);
  auto line = std::make_shared<CountingLine>();
  petrel::GedDevice ged(line);
  uint32_t ged_expected = 0;
  int expected_edges = 0;
  uint64_t advanced = 0;

  while (i < size) {
    const uint8_t op = next();
    const uint64_t offset = (op >> 3) & 0x07;  // past the end too
    const size_t width = size_t{1} << ((op >> 6) & 3);
    uint8_t buf[8] = {};
    switch (op & 7) {
      case 0:  // PM registers: write
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        if (offset == petrel::acpi::kSleepControlOffset) {
          const uint8_t v = buf[0];
          if (v == petrel::AcpiPmDevice::kResetValue) ++expected_resets;
          if ((v & petrel::acpi::kSleepEnable) &&
              ((v & petrel::acpi::kSleepTypeMask) >> 2) == petrel::acpi::kSleepTypeS5) {
            ++expected_power_offs;
          }
        }
        pm.Write(offset, std::span<const uint8_t>(buf, width));
        break;
      case 1:  // PM registers: read
        pm.Read(offset, std::span<uint8_t>(buf, width));
        for (size_t k = 0; k < width; ++k) {
          const uint64_t at = offset + k;
          if (at < petrel::AcpiPmDevice::kSize && at != petrel::acpi::kSleepStatusOffset) {
            Check(buf[k] == 0);
          }
          if (at == petrel::acpi::kSleepStatusOffset) Check((buf[k] & 0x7f) == 0);
        }
        break;
      case 2: {  // PM timer: read (and ignored writes)
        timer.Write(offset, std::span<const uint8_t>(buf, width));
        timer.Read(offset, std::span<uint8_t>(buf, width));
        const uint32_t count =
            static_cast<uint32_t>(petrel::PmTimer::TicksForNs(clock.NowNs() - t0));
        for (size_t k = 0; k < width; ++k) {
          const uint64_t at = offset + k;
          Check(buf[k] == (at < 4 ? static_cast<uint8_t>(count >> (8 * at)) : 0xff));
        }
        break;
      }
      case 3: {  // GED: read
        ged.Read(offset, std::span<uint8_t>(buf, width));
        if (offset == 0) {
          Check(buf[0] == ged_expected);
          ged_expected = 0;
        }
        for (size_t k = 0; k < width; ++k) {
          if (offset + k >= petrel::GedDevice::kSize) Check(buf[k] == 0xff);
        }
        break;
      }
      case 4: {  // GED: notify (any bits) and ignored writes
        const uint32_t bits = uint32_t{next()} | uint32_t{next()} << 8;
        ged.Write(offset, std::span<const uint8_t>(buf, width));
        ged.Notify(bits);
        if (bits & petrel::GedDevice::kEventMask) ++expected_edges;
        ged_expected |= bits & petrel::GedDevice::kEventMask;
        Check(ged.pending() == ged_expected);
        break;
      }
      case 5: {  // clock: up to 255 << 40 ns (~3 days) per step, 10 years in all
        const uint64_t step = uint64_t{next()} << ((op >> 3) + 9);
        if (advanced + step < 10ULL * 366 * 24 * 3600 * 1'000'000'000ULL) {
          clock.Advance(step);
          advanced += step;
        }
        break;
      }
      default:  // offsets far away
        pm.Write(~0ULL - op, std::span<const uint8_t>(buf, width));
        ged.Read(~0ULL - op, std::span<uint8_t>(buf, width));
        timer.Read(~0ULL - op, std::span<uint8_t>(buf, width));
        break;
    }
  }
  Check(power_offs == expected_power_offs);
  Check(resets == expected_resets);
  Check(line->edges == expected_edges && !line->level);

  // Snapshot round trips.
  const auto pm_state = pm.Save();
  petrel::AcpiPmDevice pm_copy(nullptr, nullptr);
  Check(pm_copy.Restore(pm_state).ok());
  Check(pm_copy.Save() == pm_state);
  Check(In(pm_copy, petrel::acpi::kSleepStatusOffset) ==
        In(pm, petrel::acpi::kSleepStatusOffset));

  const auto timer_state = timer.Save();
  petrel::PmTimer timer_copy(clock);
  Check(timer_copy.Restore(timer_state).ok());
  Check(timer_copy.Save() == timer_state);
  Check(timer_copy.Count() == timer.Count());
  clock.Advance(123'456'789);
  Check(timer_copy.Count() == timer.Count());

  const auto ged_state = ged.Save();
  petrel::GedDevice ged_copy(std::make_shared<CountingLine>());
  Check(ged_copy.Restore(ged_state).ok());
  Check(ged_copy.Save() == ged_state);
  Check(In(ged_copy, 0) == In(ged, 0));
  return 0;
}
