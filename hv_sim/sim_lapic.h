// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimLapic: the local APIC of an interpreted hv_sim vCPU (SimConfig::interpret),
// the xAPIC subset small test guests use (SDM 3A chapter 11, "Advanced
// Programmable Interrupt Controller (APIC)"), on virtual time.
//
// Modelled: the MMIO page's ID, version, TPR, PPR, EOI, LDR, DFR, SVR, ISR,
// TMR, IRR, ESR and LVT registers; fixed interrupts accepted from MSIs (the
// IOAPIC's pins and PCI MSI(-X) alike, SimVm routes them here by destination
// APIC ID), prioritised by class against the PPR (SDM 3A 11.8.3.1), moved
// from IRR to ISR when the CPU takes them and retired by an EOI write, which
// reports a level-triggered vector (its TMR bit) so the caller can broadcast
// the EOI to the IOAPIC, as KVM's split irqchip exits to userspace for
// exactly those vectors.
// Not modelled: the timer (its registers hold values but never fire), IPIs
// (ICR writes are ignored), x2APIC, NMI/SMI/INIT/SIPI delivery modes (such
// messages are dropped), the error register's bits.
// As on KVM, an APIC that software has not enabled (SVR bit 8, clear after
// reset) drops fixed interrupts.
//
// Thread-safety: Accept() from any thread (devices signal MSIs from theirs);
// everything else from the vCPU's thread. All under one mutex.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

namespace petrel::sim {

class SimLapic {
 public:
  // Register offsets in the APIC page (SDM 3A 11.4.1, Table 11-1).
  static constexpr uint32_t kRegId = 0x20;
  static constexpr uint32_t kRegVersion = 0x30;
  static constexpr uint32_t kRegTpr = 0x80;
  static constexpr uint32_t kRegPpr = 0xa0;
  static constexpr uint32_t kRegEoi = 0xb0;
  static constexpr uint32_t kRegLdr = 0xd0;
  static constexpr uint32_t kRegDfr = 0xe0;
  static constexpr uint32_t kRegSvr = 0xf0;
  static constexpr uint32_t kRegIsr = 0x100;  // 8 registers, 0x10 apart
  static constexpr uint32_t kRegTmr = 0x180;
  static constexpr uint32_t kRegIrr = 0x200;
  static constexpr uint32_t kRegEsr = 0x280;
  static constexpr uint32_t kRegIcrLow = 0x300;
  static constexpr uint32_t kRegLvtFirst = 0x320;  // timer, thermal, perf, LINT0, LINT1, error
  static constexpr uint32_t kRegLvtLast = 0x370;
  static constexpr uint32_t kRegTimerInitial = 0x380;
  static constexpr uint32_t kRegTimerDivide = 0x3e0;
  static constexpr uint32_t kSvrEnable = 1u << 8;
  // Version 0x14 (an integrated APIC) with 6 LVT entries (max LVT 5), as KVM reports.
  static constexpr uint32_t kVersion = 0x0005'0014;
  static constexpr uint64_t kPageSize = 0x1000;

  explicit SimLapic(uint32_t apic_id) : apic_id_(apic_id) { Reset(); }

  // The power-on state (SDM 3A 11.4.7.1): SVR 0xFF, LVTs masked, the rest 0.
  void Reset();

  // A fixed-mode interrupt arrives (from SimVm's MSI routing).
  void Accept(uint8_t vector, bool level_triggered);

  // The vector the CPU would take now, if any: the highest in IRR whose
  // priority class is above the PPR's.
  std::optional<uint8_t> Deliverable() const;
  // The CPU takes `vector` (from Deliverable()): IRR -> ISR.
  void Acknowledge(uint8_t vector);

  struct Eoi {
    uint8_t vector;
    bool level_triggered;
  };
  // Guest MMIO at `offset` in the APIC page. A write to EOI retires the
  // highest in-service vector and returns it.
  void Read(uint64_t offset, std::span<uint8_t> data) const;
  std::optional<Eoi> Write(uint64_t offset, std::span<const uint8_t> data);

  uint32_t apic_id() const { return apic_id_; }

 private:
  using Bits = std::array<uint32_t, 8>;  // 256 vectors, as the ISR/TMR/IRR registers
  static bool Test(const Bits& bits, uint8_t v) { return (bits[v / 32] >> (v % 32)) & 1; }
  static void Set(Bits& bits, uint8_t v, bool on);
  static std::optional<uint8_t> Highest(const Bits& bits);
  uint32_t PprLocked() const;
  uint32_t RegisterLocked(uint32_t offset) const;

  const uint32_t apic_id_;
  mutable std::mutex mu_;
  uint32_t tpr_ = 0, ldr_ = 0, dfr_ = 0, svr_ = 0, esr_ = 0;
  uint32_t icr_low_ = 0, icr_high_ = 0, timer_initial_ = 0, timer_divide_ = 0;
  std::array<uint32_t, 6> lvt_{};
  Bits isr_{}, tmr_{}, irr_{};
};

}  // namespace petrel::sim
