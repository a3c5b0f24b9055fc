// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Cmos: the PC's MC146818-compatible RTC and 128 bytes of CMOS RAM.
//
// Registered at port 0x70 with kSize 2: offset 0 (port 0x70) selects the
// register (bits 0-6; bit 7 is the chipset's NMI-disable bit, masked off and
// not modelled; the port reads 0xff), offset 1 (port 0x71) reads or writes it.
//
// Registers (Motorola MC146818A datasheet, Table 2 "Address Map" and
// "Register A-D"):
//   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm
//   0x04 hours    0x05 hours alarm    0x06 day of week (1 = Sunday)
//   0x07 date     0x08 month          0x09 year (00-99)
//   0x0A register A: UIP (bit 7) always reads 0 -- the time registers are
//        computed on every read, so a read can never see a half-done update
//        and there is no update cycle to wait for; DV2-0/RS3-0 are stored,
//        RS3-0 selects the periodic rate (Table 5 "Periodic Interrupt Rate").
//   0x0B register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary, 0 = BCD),
//        24/12 (1 = 24-hour), DSE. SQWE and DSE have no effect.
//   0x0C register C: IRQF (bit 7), PF, AF, UF (bits 6-4); read-only, cleared
//        by a read.
//   0x0D register D: VRT (bit 7) = 1, valid RAM and time.
//
// Interrupts (datasheet "Interrupts" and "Register C"), on the line given in
// `Interrupts` (the PC's IRQ 8; the DSDT describes it as PNP0B00, see
// core/acpi/dsdt.h): IRQF = (PF & PIE) | (AF & AIE) | (UF & UIE), and the
// line is high exactly while IRQF is set (as QEMU's mc146818rtc: reading
// register C lowers it; on an edge-triggered IOAPIC pin the rise is the
// interrupt). Flag sources, timed by the EventLoop:
// - UF at each RTC second boundary while UIE or AIE is set and SET is 0 (the
//   boundaries are the wall clock's: the guest offset is whole seconds).
// - AF at such an update when seconds, minutes and hours equal their alarm
//   registers (0x01/0x03/0x05, in the current BCD/binary and 12/24-hour
//   format); an alarm value with bits 7-6 = 11 matches any value.
// - PF every period of register A's rate (RS = 1, 2: 256, 128 Hz; RS = 3..15:
//   32768 >> (RS - 1) Hz, so 8192 Hz at most) while PIE is set and DV2-0 =
//   010 (the 32.768 kHz time base), counted from when PIE was set.
// Deviation: with its interrupt disabled a real chip still sets UF, AF and PF;
// here they are set only while the interrupt (for UF: UIE or AIE) is enabled,
// so an idle RTC costs no timers. Linux's rtc-cmos reads flags only from its
// interrupt handler. A late timer (host load, a paused VM) does not replay
// the updates or periods it missed: it sets each flag once.
//   0x32 century (IBM PC convention, named by the ACPI FADT CENTURY field):
//        computed like the time registers.
// Time registers read the wall clock (ns since the Unix epoch, UTC) plus a
// guest offset. Writing them changes that offset (so `hwclock --systohc`
// works and survives snapshot/restore): while register B SET is 1 the time
// is frozen and writes edit the frozen fields; clearing SET makes the frozen
// time current. Writes with SET = 0 apply at once. Out-of-range values
// (e.g. minutes 61, month 13, bad BCD digits) are ignored; a day past the
// month's end counts on into the next month. Day-of-week writes are ignored
// (it is derived from the date).
//
// Memory-size bytes, as QEMU's pc_cmos_init, Cloud Hypervisor and SeaBIOS:
//   0x15/0x16 base memory in KiB (640)
//   0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in KiB (cap 0xffff)
//   0x34/0x35 RAM between 16 MiB and 4 GiB in 64 KiB units (cap 0xffff)
//   0x5B/0x5C/0x5D RAM above 4 GiB in 64 KiB units (cap 0xffffff)
// They are ordinary RAM bytes: the guest may overwrite them.
// 0x2E/0x2F hold the AT checksum of bytes 0x10-0x2D (big-endian), as a BIOS
// leaves it, so Linux's /dev/nvram accepts the contents.
//
// Thread-safety: safe from any thread. Timer handlers run on the EventLoop's
// thread; the interrupt line is driven with the device lock held.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/bus/bus.h"
#include "core/event/event_loop.h"
#include "core/hv/hypervisor.h"
#include "devices/legacy/civil_time.h"

namespace petrel {

// Where the RTC's interrupts go. Without an irq line, a loop and its clock
// the RTC raises none (register C stays 0).
struct CmosInterrupts {
  std::shared_ptr<hv::InterruptLine> irq;
  EventLoop* loop = nullptr;          // timers; must outlive the device
  const Clock* loop_clock = nullptr;  // the clock `loop`'s deadlines are in
};

class Cmos final : public BusDevice {
 public:
  static constexpr uint64_t kSize = 2;
  static constexpr size_t kRamSize = 128;
  // Cap on how far the guest's RTC may be set from the wall clock: years
  // 0-9999 are what the century and year registers can express.
  static constexpr int64_t kMaxRtcOffsetS = 10000LL * 366 * kSecondsPerDay;

  // Register C bits (MC146818A "Register C").
  static constexpr uint8_t kRegCIrqf = 0x80;
  static constexpr uint8_t kRegCPf = 0x40;
  static constexpr uint8_t kRegCAf = 0x20;
  static constexpr uint8_t kRegCUf = 0x10;

  using Interrupts = CmosInterrupts;

  struct State {
    // RAM bytes; the computed registers (time, century, C, D) hold 0.
    std::array<uint8_t, kRamSize> ram{};
    uint8_t flags = 0;         // register C: IRQF, PF, AF, UF; bits 3-0 zero
    uint8_t index = 0;         // selected register, 0-127
    int64_t rtc_offset_s = 0;  // guest RTC minus wall clock, in seconds
    bool frozen = false;       // register B SET is 1: time held in frozen_time
    CivilTime frozen_time{};   // default-valued unless `frozen`
    bool operator==(const State&) const = default;
  };

  // `wall_clock` must outlive the device and count ns since the Unix epoch.
  Cmos(uint64_t mem_below_4g, uint64_t mem_above_4g, const Clock& wall_clock,
       Interrupts interrupts = {});
  ~Cmos() override;
  Cmos(const Cmos&) = delete;
  Cmos& operator=(const Cmos&) = delete;

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  State Save() const;
  // Also re-arms the timers register B asks for and re-drives the line.
  Result<void> Restore(const State& state);

 private:
  bool wired() const { return irq_ != nullptr && loop_ != nullptr && loop_clock_ != nullptr; }
  uint8_t ReadRegister(uint8_t reg);
  uint8_t EncodeHours(uint8_t hour) const;
  bool AlarmMatches(const CivilTime& t) const;
  // Sets flag bits, recomputes IRQF and drives the line on a change.
  void RaiseFlags(uint8_t flags);
  void UpdateIrq();
  // Starts or stops the update and periodic timers to match registers A/B.
  void Rearm();
  void StopUpdateTimer();
  void StopPeriodicTimer();
  void ScheduleUpdate();
  void SchedulePeriodic();
  void OnUpdateTimer(uint64_t generation);
  void OnPeriodicTimer(uint64_t generation);
  // Period of the periodic interrupt in 32.768 kHz ticks; 0: none.
  uint32_t PeriodicTicks() const;
  void WriteRegister(uint8_t reg, uint8_t value);
  void WriteTimeRegister(uint8_t reg, uint8_t value);
  void WriteRegisterB(uint8_t value);
  int64_t WallSeconds() const;
  CivilTime CurrentTime() const;
  uint8_t Encode(uint8_t binary) const;
  // Decodes a BCD or binary register value in [lo, hi]; false if invalid.
  bool Decode(uint8_t value, uint8_t lo, uint8_t hi, uint8_t* out) const;

  const Clock& wall_clock_;
  const std::shared_ptr<hv::InterruptLine> irq_;
  EventLoop* const loop_;
  const Clock* const loop_clock_;
  mutable std::mutex mu_;
  State s_;
  bool irq_level_ = false;
  // Timers (not state: Restore() re-arms them). A generation that moved on
  // makes a handler that was already running or queued do nothing.
  bool update_armed_ = false;
  WatchId update_timer_ = 0;
  uint64_t update_generation_ = 0;
  int64_t last_update_s_ = 0;  // RTC second of the last update (UF)
  bool periodic_armed_ = false;
  WatchId periodic_timer_ = 0;
  uint64_t periodic_generation_ = 0;
  uint32_t periodic_ticks_ = 0;    // period the armed timer uses
  uint64_t periodic_base_ns_ = 0;  // loop time PIE was set
  uint64_t periodic_count_ = 0;    // periods since periodic_base_ns_
};

}  // namespace petrel
