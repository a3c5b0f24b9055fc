// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GedDevice: the GED event register and its edge interrupt (see ged.h).
#include "devices/acpi/ged.h"

#include <cstdlib>
#include <utility>

#include "core/base/log.h"

namespace petrel {

static_assert(GedDevice::kEventMask <= 0xff, "the event register is one byte");

GedDevice::GedDevice(std::shared_ptr<hv::InterruptLine> irq) : irq_(std::move(irq)) {
  if (!irq_) {
    PETREL_LOG(kError) << "ged: constructed without an interrupt line";
    std::abort();
  }
}

void GedDevice::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t v = 0xff;  // outside the device (the bus never sends these)
    if (offset < kSize && i < kSize - offset) {
      v = s_.pending;
      s_.pending = 0;  // read-to-clear
    }
    data[i] = v;
  }
}

void GedDevice::Write(uint64_t, std::span<const uint8_t>) {
  // The event register is read-only (the AML never writes it).
}

void GedDevice::Notify(uint32_t event_bits) {
  if (event_bits & ~kEventMask) {
    PETREL_LOG_ONCE(kWarn, "ged-undefined-event")
        << "ged: dropping undefined event bits 0x" << std::hex << (event_bits & ~kEventMask);
    event_bits &= kEventMask;
  }
  if (event_bits == 0) return;
  {
    std::lock_guard lock(mu_);
    s_.pending = static_cast<uint8_t>(s_.pending | event_bits);
  }
  irq_->Pulse();  // edge-triggered (see ged.h)
}

uint32_t GedDevice::pending() const {
  std::lock_guard lock(mu_);
  return s_.pending;
}

GedDevice::State GedDevice::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> GedDevice::Restore(const State& state) {
  if (state.pending & ~kEventMask) {
    return Error(ErrorCode::kInvalidArgument, "ged state: undefined event bits pending");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
