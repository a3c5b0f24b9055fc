// AcpiPmDevice: sleep control, sleep status and reset registers (see acpi_pm.h).
#include "devices/acpi/acpi_pm.h"

#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {

using acpi_pm::kResetOffset;
using acpi_pm::kResetValue;
using acpi_pm::kSleepControlOffset;
using acpi_pm::kSleepS5Byte;
using acpi_pm::kSleepStatusOffset;
using acpi_pm::kSlpEn;
using acpi_pm::kSlpTypMask;
using acpi_pm::kSlpTypS5;
using acpi_pm::kSlpTypShift;
using acpi_pm::kWakSts;

namespace {

static_assert(kSleepControlOffset < AcpiPmDevice::kSize && kSleepStatusOffset < AcpiPmDevice::kSize &&
              kResetOffset < AcpiPmDevice::kSize);
static_assert((kResetValue & (kSlpEn | kSlpTypMask)) == 0,
              "the reset value must not look like a sleep request");
static_assert(kSleepS5Byte == 0x34);

}  // namespace

AcpiPmDevice::AcpiPmDevice(std::function<void()> power_off, std::function<void()> reset)
    : power_off_(std::move(power_off)), reset_(std::move(reset)) {}

void AcpiPmDevice::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t v = 0xff;  // outside the device (the bus never sends these)
    if (offset < kSize && i < kSize - offset) {
      // Sleep control and reset are write-only and read 0 (4.8.3.6/4.8.3.7);
      // reserved bytes read 0.
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
    s_.sleep_status &= static_cast<uint8_t>(~(value & kWakSts));
    return Request::kNone;
  }
  if (offset != kSleepControlOffset) return Request::kNone;  // reserved byte
  static_assert(kResetOffset == kSleepControlOffset);
  if (value == kResetValue) return Request::kReset;
  if (!(value & kSlpEn)) return Request::kNone;
  const uint8_t slp_typ = (value & kSlpTypMask) >> kSlpTypShift;
  if (slp_typ == kSlpTypS5) return Request::kPowerOff;
  PETREL_LOG_ONCE(kWarn, "acpi-slp-typ-" + std::to_string(slp_typ))
      << "acpi: sleep type " << int{slp_typ} << " is not supported; waking at once";
  s_.sleep_status |= kWakSts;
  return Request::kNone;
}

AcpiPmDevice::State AcpiPmDevice::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> AcpiPmDevice::Restore(const State& state) {
  if (state.sleep_status & ~kWakSts) {
    return Error(ErrorCode::kInvalidArgument, "acpi pm state: reserved sleep status bits set");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
