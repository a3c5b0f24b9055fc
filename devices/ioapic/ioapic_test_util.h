// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for the Ioapic tests: a fake hv::MsiInterrupt per pin that
// records every message programmed and delivered, and guest-side register
// accessors (IOREGSEL/IOWIN/EOI as Linux's io_apic.c uses them). Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "devices/ioapic/ioapic.h"

namespace petrel::ioapic_test {

struct Delivery {
  uint32_t pin;
  hv::MsiMessage message;
  bool operator==(const Delivery&) const = default;
};

// Everything the fake routes saw, in order.
struct RouteLog {
  std::vector<Delivery> deliveries;
  std::vector<Delivery> set_messages;
  bool fail_set_message = false;
};

class FakePinRoute final : public hv::MsiInterrupt {
 public:
  FakePinRoute(RouteLog* log, uint32_t pin) : log_(log), pin_(pin) {}
  Result<void> SetMessage(const hv::MsiMessage& message) override {
    if (log_->fail_set_message) return Error(ErrorCode::kOutOfRange, "routing table full");
    log_->set_messages.push_back({pin_, message});
    message_ = message;
    return Ok();
  }
  void Signal() override { log_->deliveries.push_back({pin_, message_}); }

 private:
  RouteLog* log_;
  uint32_t pin_;
  hv::MsiMessage message_;
};

inline IoapicPinRouteFactory FakeRoutes(RouteLog* log) {
  return [log](uint32_t pin) -> Result<std::shared_ptr<hv::MsiInterrupt>> {
    return std::shared_ptr<hv::MsiInterrupt>(std::make_shared<FakePinRoute>(log, pin));
  };
}

inline std::shared_ptr<Ioapic> MakeIoapic(RouteLog* log) {
  auto made = Ioapic::Create(FakeRoutes(log));
  EXPECT_TRUE(made.ok());
  return made.ok() ? std::move(made).value() : nullptr;
}

inline void Write32(Ioapic& io, uint64_t offset, uint32_t value) {
  uint8_t b[4];
  std::memcpy(b, &value, 4);
  io.Write(offset, b);
}
inline uint32_t Read32(Ioapic& io, uint64_t offset) {
  uint8_t b[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  io.Read(offset, b);
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}
inline void WriteRegister(Ioapic& io, uint8_t reg, uint32_t value) {
  Write32(io, ioapic::kIoRegSelOffset, reg);
  Write32(io, ioapic::kIoWinOffset, value);
}
inline uint32_t ReadRegister(Ioapic& io, uint8_t reg) {
  Write32(io, ioapic::kIoRegSelOffset, reg);
  return Read32(io, ioapic::kIoWinOffset);
}
// Programs pin `pin`'s whole entry as Linux does: high dword, then low.
inline void WriteEntry(Ioapic& io, uint32_t pin, uint64_t entry) {
  const auto reg = static_cast<uint8_t>(ioapic::kRegRedirectionBase + 2 * pin);
  WriteRegister(io, reg + 1, static_cast<uint32_t>(entry >> 32));
  WriteRegister(io, reg, static_cast<uint32_t>(entry));
}
inline uint64_t ReadEntry(Ioapic& io, uint32_t pin) {
  const auto reg = static_cast<uint8_t>(ioapic::kRegRedirectionBase + 2 * pin);
  return uint64_t{ReadRegister(io, reg + 1)} << 32 | ReadRegister(io, reg);
}

// An unmasked entry: fixed delivery, physical destination `dest`.
inline uint64_t EdgeEntry(uint8_t vector, uint8_t dest = 0) {
  return vector | uint64_t{dest} << ioapic::kRteDestinationShift;
}
inline uint64_t LevelEntry(uint8_t vector, uint8_t dest = 0) {
  return EdgeEntry(vector, dest) | ioapic::kRteTriggerLevel;
}

}  // namespace petrel::ioapic_test
