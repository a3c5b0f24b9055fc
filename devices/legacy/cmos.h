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
//        and there is no update cycle to wait for; DV2-0/RS3-0 are stored.
//   0x0B register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary, 0 = BCD),
//        24/12 (1 = 24-hour), DSE. Only SET, DM and 24/12 have an effect.
//   0x0C register C: interrupt flags; always 0 (no RTC interrupt is wired).
//   0x0D register D: VRT (bit 7) = 1, valid RAM and time.
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
// Thread-safety: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/bus/bus.h"
#include "devices/legacy/civil_time.h"

namespace petrel {

class Cmos final : public BusDevice {
 public:
  static constexpr uint64_t kSize = 2;
  static constexpr size_t kRamSize = 128;
  // Cap on how far the guest's RTC may be set from the wall clock: years
  // 0-9999 are what the century and year registers can express.
  static constexpr int64_t kMaxRtcOffsetS = 10000LL * 366 * kSecondsPerDay;

  struct State {
    // RAM bytes; the computed registers (time, century, C, D) hold 0.
    std::array<uint8_t, kRamSize> ram{};
    uint8_t index = 0;         // selected register, 0-127
    int64_t rtc_offset_s = 0;  // guest RTC minus wall clock, in seconds
    bool frozen = false;       // register B SET is 1: time held in frozen_time
    CivilTime frozen_time{};   // default-valued unless `frozen`
    bool operator==(const State&) const = default;
  };

  // `wall_clock` must outlive the device and count ns since the Unix epoch.
  Cmos(uint64_t mem_below_4g, uint64_t mem_above_4g, const Clock& wall_clock);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  State Save() const;
  Result<void> Restore(const State& state);

 private:
  uint8_t ReadRegister(uint8_t reg) const;
  void WriteRegister(uint8_t reg, uint8_t value);
  void WriteTimeRegister(uint8_t reg, uint8_t value);
  void WriteRegisterB(uint8_t value);
  int64_t WallSeconds() const;
  CivilTime CurrentTime() const;
  uint8_t Encode(uint8_t binary) const;
  // Decodes a BCD or binary register value in [lo, hi]; false if invalid.
  bool Decode(uint8_t value, uint8_t lo, uint8_t hi, uint8_t* out) const;

  const Clock& wall_clock_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
