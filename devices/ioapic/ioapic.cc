// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioapic: registers, pin inputs, EOIs and MSI delivery (see ioapic.h).
#include "devices/ioapic/ioapic.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "core/acpi/madt.h"
#include "core/arch/x86_layout.h"
#include "core/base/log.h"

namespace petrel {

using namespace ioapic;  // NOLINT: the register constants

static_assert(kNumPins == acpi::kIoapicPins, "the MADT describes the IOAPIC's pins");
static_assert(kNumPins == hv::kIoapicPins, "hv's IoapicState has one entry per pin");
static_assert(acpi::kIoapicId == 0, "the reset ID (0) is the MADT's IOAPIC id");
static_assert(kMsiAddressBase == x86::kLapicStart, "MSIs are writes to the LAPIC window");
static_assert((kRteWritable & kRteReadOnly) == 0);

namespace {

bool IsLevel(uint64_t entry) { return (entry & kRteTriggerLevel) != 0; }
bool IsMasked(uint64_t entry) { return (entry & kRteMasked) != 0; }
bool HasRemoteIrr(uint64_t entry) { return (entry & kRteRemoteIrr) != 0; }
uint8_t VectorOf(uint64_t entry) { return static_cast<uint8_t>(entry & kRteVectorMask); }
uint8_t DeliveryModeOf(uint64_t entry) {
  return static_cast<uint8_t>((entry & kRteDeliveryModeMask) >> kRteDeliveryModeShift);
}
uint32_t Bit(uint32_t pin) { return 1u << pin; }

}  // namespace

// Pin `pin_` as an hv::InterruptLine.
class Ioapic::PinLine final : public hv::InterruptLine {
 public:
  PinLine(std::weak_ptr<Ioapic> ioapic, uint32_t pin) : ioapic_(std::move(ioapic)), pin_(pin) {}
  void SetLevel(bool high) override {
    if (auto ioapic = ioapic_.lock()) ioapic->SetLevel(pin_, high);
  }

 private:
  std::weak_ptr<Ioapic> ioapic_;
  uint32_t pin_;
};

Result<std::shared_ptr<Ioapic>> Ioapic::Create(const IoapicPinRouteFactory& factory) {
  if (!factory) return Error(ErrorCode::kInvalidArgument, "ioapic: no pin route factory");
  std::array<std::shared_ptr<hv::MsiInterrupt>, kNumPins> routes;
  for (uint32_t pin = 0; pin < kNumPins; ++pin) {
    auto route = factory(pin);
    if (!route.ok()) {
      return Error(route.error().code(),
                   "ioapic: pin " + std::to_string(pin) + ": " + route.error().message());
    }
    if (!route.value()) {
      return Error(ErrorCode::kInternal, "ioapic: pin " + std::to_string(pin) + ": null route");
    }
    routes[pin] = std::move(route).value();
  }
  return std::shared_ptr<Ioapic>(new Ioapic(std::move(routes)));
}

Ioapic::Ioapic(std::array<std::shared_ptr<hv::MsiInterrupt>, kNumPins> routes)
    : routes_(std::move(routes)) {}

hv::MsiMessage Ioapic::ComposeMessage(uint64_t entry) {
  const uint64_t dest = (entry & kRteDestinationMask) >> kRteDestinationShift;
  hv::MsiMessage m;
  m.address = kMsiAddressBase | dest << kMsiAddressDestShift |
              ((entry & kRteDestModeLogical) ? kMsiAddressDestModeLogical : 0);
  m.data = VectorOf(entry) | uint32_t{DeliveryModeOf(entry)} << kMsiDataDeliveryModeShift;
  if (IsLevel(entry)) m.data |= kMsiDataTriggerLevel | kMsiDataLevelAssert;
  return m;
}

void Ioapic::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  uint32_t value = 0;
  if (data.size() != kRegisterAccessWidth) {
    CountBadAccessLocked("read of a width other than 4");
  } else if (offset == kIoRegSelOffset) {
    value = s_.ioregsel;
  } else if (offset == kIoWinOffset) {
    value = ReadRegisterLocked(s_.ioregsel);
  } else if (offset != kEoiOffset) {  // EOI is write-only: reads 0
    CountBadAccessLocked("read outside IOREGSEL/IOWIN/EOI");
  }
  if (data.empty()) return;  // memset/memcpy need a non-null pointer
  std::memset(data.data(), 0, data.size());
  std::memcpy(data.data(), &value, std::min(data.size(), sizeof(value)));
}

void Ioapic::Write(uint64_t offset, std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  if (data.size() != kRegisterAccessWidth) {
    CountBadAccessLocked("write of a width other than 4");
    return;
  }
  uint32_t value = 0;
  std::memcpy(&value, data.data(), sizeof(value));
  if (offset == kIoRegSelOffset) {
    s_.ioregsel = static_cast<uint8_t>(value & kIoRegSelMask);
  } else if (offset == kIoWinOffset) {
    WriteRegisterLocked(s_.ioregsel, value);
  } else if (offset == kEoiOffset) {
    EndOfInterruptLocked(static_cast<uint8_t>(value & kRteVectorMask));
  } else {
    CountBadAccessLocked("write outside IOREGSEL/IOWIN/EOI");
  }
}

uint32_t Ioapic::ReadRegisterLocked(uint8_t reg) {
  if (reg == kRegId || reg == kRegArb) return uint32_t{s_.id} << kIdShift;
  if (reg == kRegVer) return kVersion | (kNumPins - 1) << kMaxRedirectionEntryShift;
  if (reg >= kRegRedirectionBase && reg <= kRegRedirectionLast) {
    const uint32_t index = reg - kRegRedirectionBase;
    const uint64_t entry = s_.redirection[index / 2];
    return static_cast<uint32_t>(index % 2 ? entry >> 32 : entry);
  }
  CountBadAccessLocked("read of an undefined IOAPIC register");
  return 0;
}

void Ioapic::WriteRegisterLocked(uint8_t reg, uint32_t value) {
  if (reg == kRegId) {
    s_.id = static_cast<uint8_t>((value >> kIdShift) & kIdMask);
  } else if (reg == kRegVer || reg == kRegArb) {
    // Read-only (Windows writes 0 to VER); ignored.
  } else if (reg >= kRegRedirectionBase && reg <= kRegRedirectionLast) {
    const uint32_t index = reg - kRegRedirectionBase;
    WriteRedirectionLocked(index / 2, index % 2 != 0, value);
  } else {
    CountBadAccessLocked("write of an undefined IOAPIC register");
  }
}

void Ioapic::WriteRedirectionLocked(uint32_t pin, bool high_dword, uint32_t value) {
  uint64_t& entry = s_.redirection[pin];
  const uint64_t half_mask = high_dword ? 0xffff'ffff'0000'0000ULL : 0x0000'0000'ffff'ffffULL;
  const uint64_t shifted = high_dword ? uint64_t{value} << 32 : uint64_t{value};
  const uint64_t writable = half_mask & kRteWritable;
  entry = (entry & ~writable) | (shifted & writable);
  if (!IsLevel(entry)) entry &= ~kRteRemoteIrr;  // QEMU's ioapic_fix_edge_remote_irr
  ServiceLevelLocked(pin);
}

void Ioapic::SetLevel(uint32_t pin, bool asserted) {
  if (pin >= kNumPins) {
    PETREL_LOG_ONCE(kWarn, "ioapic: line change on a pin past 23")
        << "ioapic: ignoring a line change on pin " << pin;
    return;
  }
  std::lock_guard lock(mu_);
  const bool was = (s_.line_levels & Bit(pin)) != 0;
  if (asserted) {
    s_.line_levels |= Bit(pin);
  } else {
    s_.line_levels &= ~Bit(pin);
  }
  const uint64_t entry = s_.redirection[pin];
  if (IsLevel(entry)) {
    ServiceLevelLocked(pin);
  } else if (asserted && !was && !IsMasked(entry)) {
    DeliverLocked(pin);  // a rising edge; masked edges are dropped
  }
}

std::shared_ptr<hv::InterruptLine> Ioapic::Line(uint32_t pin) {
  if (pin >= kNumPins) return nullptr;
  return std::make_shared<PinLine>(weak_from_this(), pin);
}

void Ioapic::EndOfInterrupt(uint8_t vector) {
  std::lock_guard lock(mu_);
  EndOfInterruptLocked(vector);
}

void Ioapic::EndOfInterruptLocked(uint8_t vector) {
  for (uint32_t pin = 0; pin < kNumPins; ++pin) {
    uint64_t& entry = s_.redirection[pin];
    if (!HasRemoteIrr(entry) || VectorOf(entry) != vector) continue;
    entry &= ~kRteRemoteIrr;
    ServiceLevelLocked(pin);
  }
}

void Ioapic::ServiceLevelLocked(uint32_t pin) {
  uint64_t& entry = s_.redirection[pin];
  if (!IsLevel(entry) || IsMasked(entry) || HasRemoteIrr(entry)) return;
  if ((s_.line_levels & Bit(pin)) == 0) return;
  if (DeliverLocked(pin)) entry |= kRteRemoteIrr;
}

bool Ioapic::DeliverLocked(uint32_t pin) {
  const uint64_t entry = s_.redirection[pin];
  const uint8_t mode = DeliveryModeOf(entry);
  if (mode == kDeliveryReserved3 || mode == kDeliveryReserved6) {
    ++counters_.reserved_mode_drops;
    PETREL_LOG_ONCE(kWarn, "ioapic: reserved delivery mode")
        << "ioapic: pin " << pin << " uses reserved delivery mode " << int{mode}
        << "; not delivered";
    return false;
  }
  const hv::MsiMessage message = ComposeMessage(entry);
  if (programmed_[pin] != message) {
    auto set = routes_[pin]->SetMessage(message);
    if (!set.ok()) {
      ++counters_.set_message_failures;
      programmed_[pin].reset();
      PETREL_LOG_ONCE(kWarn, "ioapic: SetMessage failed")
          << "ioapic: pin " << pin << ": cannot route its MSI: " << set.error().message();
      return false;
    }
    programmed_[pin] = message;
  }
  routes_[pin]->Signal();
  ++counters_.delivered;
  return true;
}

void Ioapic::CountBadAccessLocked(const char* what) {
  ++counters_.bad_accesses;
  PETREL_LOG_ONCE(kWarn, std::string("ioapic: ") + what) << "ioapic: ignored " << what;
}

uint64_t Ioapic::RedirectionEntry(uint32_t pin) const {
  if (pin >= kNumPins) return 0;
  std::lock_guard lock(mu_);
  return s_.redirection[pin];
}

Ioapic::Counters Ioapic::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

Ioapic::State Ioapic::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> Ioapic::Validate(const State& state) {
  auto invalid = [](const std::string& what) {
    return Error(ErrorCode::kInvalidArgument, "ioapic state: " + what);
  };
  if (state.version != kStateVersion) {
    return invalid("version " + std::to_string(state.version) + ", this Petrel reads version " +
                   std::to_string(kStateVersion));
  }
  if (state.id > kIdMask) return invalid("id " + std::to_string(state.id) + " is above 15");
  if (state.line_levels >> kNumPins) return invalid("line_levels has bits past pin 23");
  for (uint32_t pin = 0; pin < kNumPins; ++pin) {
    const uint64_t entry = state.redirection[pin];
    const std::string where = "redirection[" + std::to_string(pin) + "]: ";
    if (entry & ~(kRteWritable | kRteRemoteIrr)) {
      return invalid(where + "reserved or delivery-status bits set");
    }
    if (HasRemoteIrr(entry) && !IsLevel(entry)) {
      return invalid(where + "remote IRR on an edge-triggered entry");
    }
  }
  return Ok();
}

Result<void> Ioapic::Restore(const State& state) {
  PETREL_TRY(Validate(state));
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
