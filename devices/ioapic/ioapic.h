// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioapic: a userspace I/O APIC (Intel 82093AA, as Linux and Cloud Hypervisor
// use it, with the version-0x20 EOI register), delivering each of its 24
// pins as an MSI through an hv::MsiInterrupt. For backends without an
// in-kernel IOAPIC (KVM's split irqchip, MSHV, hv_sim); see docs/ioapic.md.
// Register map and bit layout: ioapic_registers.h.
//
// MMIO (kSize 0x1000 at x86::kIoapicStart): 4-byte accesses at IOREGSEL
// (0x00, bits 7:0 kept), IOWIN (0x10) and EOI (0x40, write-only, reads 0).
// Every other offset or width reads 0 and ignores writes (counted in
// Counters::bad_accesses, logged once). Through IOWIN:
//   ID  (0x00) bits 27:24 R/W, other bits read 0;
//   VER (0x01) 0x00170020 (version 0x20, maximum redirection entry 23), RO;
//   ARB (0x02) the ID in bits 27:24 (the arbitration ID is loaded from it), RO;
//   0x10 + 2n / 0x11 + 2n: pin n's redirection entry, low / high dword.
//     Delivery status (bit 12) always reads 0 (delivery is never held
//     pending); remote IRR (bit 14) is read-only; reserved bits 55:17 read 0.
//   Writes to VER, ARB and undefined registers are ignored; reads of
//   undefined registers give 0 (undefined ones are counted as bad accesses).
//
// Pins: SetLevel(pin, asserted) takes the logical level (asserted or not),
// as QEMU's and KVM's IOAPICs do: the polarity bit is stored for the guest
// but does not invert the input.
//
// Delivery (an unmasked pin; the message from ComposeMessage()):
//   edge:  every rising edge delivers once. An edge on a masked pin is
//          dropped (82093AA 3.2.4 "Interrupt Mask": edge interrupts on a
//          masked pin are ignored, not held pending; QEMU and KVM do the
//          same), so unmasking an edge pin delivers nothing.
//   level: an asserted line delivers and sets remote IRR; while remote IRR
//          is set nothing more is delivered. An EOI for the entry's vector
//          (a write to the EOI register, or EndOfInterrupt(), which the
//          backend calls when the LAPIC broadcasts the EOI) clears remote IRR
//          and delivers again if the line is still asserted and the pin
//          unmasked. A masked level pin keeps its line level and delivers
//          when it is unmasked while still asserted (as the hardware, whose
//          input is a level).
//   Switching a pin to edge clears its remote IRR (as QEMU and KVM do).
//   The reserved delivery modes (3 and 6) deliver nothing (counted, logged
//   once); the other modes are passed to the backend in the MSI data as
//   they are. The trigger mode is taken as the guest sets it for every mode.
// Delivery programs the pin's message into its MsiInterrupt when it differs
// from the last one programmed there, then calls Signal(). A failing
// SetMessage is counted, logged once, and the interrupt is not delivered (a
// level pin's remote IRR stays clear, so its next EOI or line change retries).
//
// Save/Restore: State is plain and versioned (kStateVersion). Restore
// refuses, with an error naming the field, a state of another version or one
// this model never produces (ID above 15, reserved or delivery-status bits
// in an entry, remote IRR on an edge entry, line bits above pin 23) and then
// changes nothing. Restore delivers nothing: the MsiInterrupts keep
// whatever was last programmed and the next delivery reprograms them.
//
// Thread-safety: every method is safe from any thread (vCPU threads for MMIO
// and EOIs, device threads for lines). One lock is held while
// SetMessage()/Signal() run, so deliveries of one pin keep their order and
// an MsiInterrupt must not call back into the IOAPIC.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "core/base/result.h"
#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"
#include "devices/ioapic/ioapic_registers.h"

namespace petrel {

// Gives the MsiInterrupt that carries pin `pin` (0..23); called once per pin
// by Ioapic::Create. (KVM's split irqchip will want pin n on GSI n.)
using IoapicPinRouteFactory =
    std::function<Result<std::shared_ptr<hv::MsiInterrupt>>(uint32_t pin)>;

class Ioapic final : public BusDevice, public std::enable_shared_from_this<Ioapic> {
 public:
  static constexpr uint64_t kSize = ioapic::kMmioSize;
  static constexpr uint32_t kNumPins = ioapic::kNumPins;
  // The State layout this Petrel writes and reads; bump it when State changes.
  static constexpr uint32_t kStateVersion = 1;

  struct State {
    uint32_t version = kStateVersion;
    uint8_t ioregsel = 0;  // IOREGSEL bits 7:0
    uint8_t id = 0;        // IOAPICID bits 27:24, 0..15
    std::array<uint64_t, kNumPins> redirection = DefaultRedirection();
    uint32_t line_levels = 0;  // bit n: pin n asserted
    bool operator==(const State&) const = default;

    static constexpr std::array<uint64_t, kNumPins> DefaultRedirection() {
      std::array<uint64_t, kNumPins> r{};
      r.fill(ioapic::kRteReset);
      return r;
    }
  };

  // Guest-caused and backend events, counted.
  struct Counters {
    uint64_t bad_accesses = 0;          // other offset or width, undefined register
    uint64_t reserved_mode_drops = 0;   // a delivery in delivery mode 3 or 6
    uint64_t set_message_failures = 0;  // MsiInterrupt::SetMessage failed
    uint64_t delivered = 0;             // Signal() calls
  };

  // An IOAPIC in its reset state (every pin masked, ID 0: the MADT's
  // IOAPIC id, core/acpi/madt.h kIoapicId) with one MsiInterrupt per pin
  // from `factory`. Fails if the factory fails or gives null.
  static Result<std::shared_ptr<Ioapic>> Create(const IoapicPinRouteFactory& factory);
  Ioapic(const Ioapic&) = delete;
  Ioapic& operator=(const Ioapic&) = delete;

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // The input of pin `pin` (a device's interrupt line). Pins >= kNumPins are
  // ignored (logged once).
  void SetLevel(uint32_t pin, bool asserted);
  // Pin `pin` as an hv::InterruptLine for a device; it holds the IOAPIC
  // weakly (a line outliving the IOAPIC does nothing). Null for pins >= 24.
  std::shared_ptr<hv::InterruptLine> Line(uint32_t pin);
  // The local APICs signalled an EOI for `vector` (KVM: KVM_EXIT_IOAPIC_EOI,
  // hv::GuestIo::EndOfInterrupt). Same effect as the guest writing the EOI register.
  void EndOfInterrupt(uint8_t vector);

  // The MSI a redirection entry delivers: address 0xFEE00000 | destination
  // << 12 | DM << 2 (RH 0); data vector | delivery mode << 8 | (level:
  // trigger bit 15 and assert bit 14).
  static hv::MsiMessage ComposeMessage(uint64_t entry);

  uint64_t RedirectionEntry(uint32_t pin) const;  // for tests; 0 past the last pin
  Counters counters() const;

  State Save() const;
  Result<void> Restore(const State& state);
  // Restore()'s checks alone.
  static Result<void> Validate(const State& state);

 private:
  class PinLine;
  explicit Ioapic(std::array<std::shared_ptr<hv::MsiInterrupt>, kNumPins> routes);

  uint32_t ReadRegisterLocked(uint8_t reg);
  void WriteRegisterLocked(uint8_t reg, uint32_t value);
  void WriteRedirectionLocked(uint32_t pin, bool high_dword, uint32_t value);
  void EndOfInterruptLocked(uint8_t vector);
  // Delivers a level pin if it is asserted, unmasked and without remote IRR.
  void ServiceLevelLocked(uint32_t pin);
  // Sends pin `pin`'s message once; false if nothing was delivered.
  bool DeliverLocked(uint32_t pin);
  void CountBadAccessLocked(const char* what);

  const std::array<std::shared_ptr<hv::MsiInterrupt>, kNumPins> routes_;
  mutable std::mutex mu_;
  State s_;
  std::array<std::optional<hv::MsiMessage>, kNumPins> programmed_{};  // last SetMessage per pin
  Counters counters_;
};

}  // namespace petrel
