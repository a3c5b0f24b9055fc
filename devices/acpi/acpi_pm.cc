// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// AcpiPmDevice: sleep control, sleep status and reset registers (see acpi_pm.h).
#include "devices/acpi/acpi_pm.h"

#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {
namespace {

using acpi::kResetRegOffset;
using acpi::kSleepControlOffset;
using acpi::kSleepEnable;
using acpi::kSleepStatusOffset;
using acpi::kSleepTypeMask;
using acpi::kSleepTypeS5;
using acpi::kSleepTypeShift;
using acpi::kWakeStatus;
constexpr uint8_t kResetValue = AcpiPmDevice::kResetValue;

static_assert(kSleepControlOffset < AcpiPmDevice::kSize && kSleepStatusOffset < AcpiPmDevice::kSize &&
              kResetRegOffset < AcpiPmDevice::kSize);
// The reset register shares the sleep control byte (Cloud Hypervisor's
// layout); the reset value must not look like a sleep request.
static_assert(kResetRegOffset == kSleepControlOffset);
static_assert((kResetValue & (kSleepEnable | kSleepTypeMask)) == 0);
static_assert(acpi::kS5SleepControlValue == 0x34);

}  // namespace

AcpiPmDevice::AcpiPmDevice(std::function<void()> power_off, std::function<void()> reset)
    : power_off_(std::move(power_off)), reset_(std::move(reset)) {}

void AcpiPmDevice::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t v = 0xff;  // outside the device (the bus never sends these)
    if (offset < kSize && i < kSize - offset) {
      // Sleep control and reset are write-only and read 0 (4.8.3.6/4.8.3.7).
      v = offset + i == kSleepStatusOffset ? s_.sleep_status : 0;
    }
    data[i] = v;
  }
}

void AcpiPmDevice::Write(uint64_t offset, std::span<const uint8_t> data) {
  Request request = Request::kNone;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < data.size(); ++i) {
      if (offset >= kSize || i >= kSize - offset) break;
      const Request r = WriteByte(offset + i, data[i]);
      if (r != Request::kNone) request = r;
    }
  }
  switch (request) {
    case Request::kPowerOff:
      PETREL_LOG(kInfo) << "acpi: guest requested power off (S5)";
      if (power_off_) power_off_();
      break;
    case Request::kReset:
      PETREL_LOG(kInfo) << "acpi: guest requested reset";
      if (reset_) reset_();
      break;
    case Request::kNone: break;
  }
}

AcpiPmDevice::Request AcpiPmDevice::WriteByte(uint64_t offset, uint8_t value) {
  if (offset == kSleepStatusOffset) {
    // 4.8.3.8: WAK_STS is cleared by writing 1; reserved bits ignore writes.
    s_.sleep_status &= static_cast<uint8_t>(~(value & kWakeStatus));
    return Request::kNone;
  }
  if (offset != kSleepControlOffset) return Request::kNone;
  if (value == kResetValue) return Request::kReset;
  if (!(value & kSleepEnable)) return Request::kNone;
  const uint8_t slp_typ = (value & kSleepTypeMask) >> kSleepTypeShift;
  if (slp_typ == kSleepTypeS5) return Request::kPowerOff;
  PETREL_LOG_ONCE(kWarn, "acpi-slp-typ-" + std::to_string(slp_typ))
      << "acpi: sleep type " << int{slp_typ} << " is not supported; waking at once";
  s_.sleep_status |= kWakeStatus;
  return Request::kNone;
}

AcpiPmDevice::State AcpiPmDevice::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> AcpiPmDevice::Restore(const State& state) {
  if (state.sleep_status & ~kWakeStatus) {
    return Error(ErrorCode::kInvalidArgument, "acpi pm state: reserved sleep status bits set");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
